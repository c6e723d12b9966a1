//! The loopback listener that receives the browser's redirect once the user has approved (or
//! refused) the sign-in. It listens on 127.0.0.1 only, and stops listening after the first
//! callback that carries this attempt's `state`: a repeated or replayed callback then finds
//! nobody, so one attempt can never redeem a code twice.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wasmtime_wasi_http::io::TokioIo;

/// What the authorization server sent back.
pub enum Outcome {
    Code(String),
    /// `error` (and `error_description`) instead of a code: the user refused, say.
    Refused(String),
}

pub struct Listener {
    listener: TcpListener,
    path: String,
}

impl Listener {
    /// Listens where `fixed` (a registered `http://127.0.0.1:PORT/...` or
    /// `http://localhost:PORT/...` redirect URI) says, or on a free port; returns the
    /// redirect URI to send with the authorization request. `listen` overrides the address
    /// (in a container, where the published port arrives on another interface).
    pub async fn bind(fixed: Option<&str>, listen: Option<SocketAddr>) -> Result<(Self, String)> {
        let (port, path, redirect) = match fixed {
            Some(uri) => {
                let parsed: http::Uri = uri.parse().with_context(|| {
                    format!("FACTURATION_OAUTH_REDIRECT_URI is not a URL: {uri}")
                })?;
                let loopback = matches!(parsed.host(), Some("127.0.0.1" | "localhost"));
                if parsed.scheme_str() != Some("http") || !loopback {
                    bail!(
                        "FACTURATION_OAUTH_REDIRECT_URI must be http://127.0.0.1:PORT/... (the sign-in \
                         callback is only ever received on this machine), got {uri}"
                    );
                }
                let port = parsed.port_u16().context(
                    "FACTURATION_OAUTH_REDIRECT_URI needs an explicit port (http://127.0.0.1:PORT/...)",
                )?;
                (port, parsed.path().to_string(), uri.to_string())
            }
            None => (0, "/callback".to_string(), String::new()),
        };
        let address = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port)));
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} for the sign-in callback"))?;
        let redirect = if redirect.is_empty() {
            format!("http://127.0.0.1:{}{path}", listener.local_addr()?.port())
        } else {
            redirect
        };
        Ok((Self { listener, path }, redirect))
    }

    /// Serves callbacks until one carries `state`, or `timeout` passes.
    pub async fn wait(self, state: &str, timeout: Duration) -> Result<Outcome> {
        let (sender, mut outcomes) = mpsc::channel::<Outcome>(1);
        let expected = Arc::new((self.path, state.to_string()));
        let accepting = async {
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    continue;
                };
                let (sender, expected) = (sender.clone(), expected.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let answer = answer(&request, &expected.0, &expected.1, &sender);
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            outcome = outcomes.recv() => outcome.context("the sign-in callback listener stopped"),
            () = accepting => unreachable!("the accept loop never ends"),
            () = tokio::time::sleep(timeout) => bail!(
                "no answer from the browser within {} s: run `facturation-pro-mcp login` again",
                timeout.as_secs()
            ),
        }
    }
}

/// Answers one request to the listener, passing this attempt's outcome on when it is one.
fn answer(
    request: &http::Request<hyper::body::Incoming>,
    path: &str,
    state: &str,
    sender: &mpsc::Sender<Outcome>,
) -> http::Response<Full<Bytes>> {
    if request.uri().path() != path {
        return page(404, "Nothing here.");
    }
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let field = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    if field("state").as_deref() != Some(state) {
        return page(
            400,
            "This sign-in link does not belong to the current attempt.",
        );
    }
    let outcome = match (field("code"), field("error")) {
        (Some(code), _) => Outcome::Code(code),
        (None, error) => {
            let error = error.unwrap_or_else(|| "no code".into());
            let reason = match field("error_description") {
                Some(description) => format!("{error}: {description}"),
                None => error,
            };
            Outcome::Refused(reason)
        }
    };
    let signed_in = matches!(outcome, Outcome::Code(_));
    // Only the first outcome counts; the channel holds one and the waiter then stops.
    if sender.try_send(outcome).is_err() {
        return page(409, "This sign-in attempt has already been answered.");
    }
    if signed_in {
        page(
            200,
            "Signed in. You can close this tab and return to the terminal.",
        )
    } else {
        page(200, "The sign-in was not approved. You can close this tab.")
    }
}

fn page(status: u16, message: &str) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(format!(
            "<!doctype html><title>facturation-pro-mcp</title><p>{message}</p>"
        ))))
        .expect("a valid response")
}
