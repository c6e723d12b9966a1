//! `serve --http`: Streamable HTTP on one address, each POST handled by a fresh instance of
//! the component, like `wasmtime serve` but behind our capability gate. The component
//! applies the transport's rules (path, methods, headers, Origin); the host adds what needs
//! a secret the component must not see: the bearer token.

use std::convert::Infallible;
use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use serde_json::json;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

use crate::component::Runner;

/// Bodies larger than this are refused before the component sees them; it refuses anything
/// over 32 MiB itself, so one more byte than that is all it needs to say so.
const MAX_BODY_BYTES: usize = (32 << 20) + 1;

/// Serves until the process is stopped.
pub async fn serve(runner: Runner, address: SocketAddr) -> Result<()> {
    if !address.ip().is_loopback() && runner.settings().http_token.is_none() {
        bail!(
            "serving on {address}, beyond this machine, needs FACTURATION_HTTP_TOKEN: anyone who \
             reaches the port would otherwise use your Facturation.PRO account"
        );
    }
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    // Tests and scripts read the actual port from this line (port 0 picks a free one).
    eprintln!("facturation-pro-mcp: serving MCP on http://{local}/mcp");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(connection) => connection,
            Err(error) => {
                eprintln!("facturation-pro-mcp: accepting a connection failed: {error}");
                continue;
            }
        };
        let runner = runner.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let runner = runner.clone();
                async move { Ok::<_, Infallible>(answer(&runner, request).await) }
            });
            // A client that disconnects drops its request's future, and with it the instance.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    runner: &Runner,
    request: http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let (mut parts, body) = request.into_parts();
    if let Some(token) = &runner.settings().http_token
        && !bearer_matches(parts.headers.get(http::header::AUTHORIZATION), token)
    {
        let mut response = refusal(
            401,
            "a valid bearer token is required (FACTURATION_HTTP_TOKEN)",
        );
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    // The token is the host's secret: the sandbox never sees it.
    parts.headers.remove(http::header::AUTHORIZATION);
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            return refusal(413, "the body is larger than 32 MiB");
        }
        // The client stopped sending (or the connection broke) before its body was whole.
        Err(error) => return refusal(400, &format!("the body could not be read: {error}")),
    };
    match runner.handle(http::Request::from_parts(parts, body)).await {
        Ok(response) => response.map(Full::new),
        Err(crash) => {
            eprintln!("facturation-pro-mcp: {}", crash.0);
            refusal(500, &crash.0)
        }
    }
}

/// Compares in constant time, so response timing does not reveal how much of a guess was
/// right.
fn bearer_matches(header: Option<&http::HeaderValue>, token: &str) -> bool {
    let Some(given) = header
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, given)| given.trim())
    else {
        return false;
    };
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn refusal(status: u16, message: &str) -> http::Response<Full<Bytes>> {
    let body =
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32600, "message": message } });
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid response")
}
