//! The Facturation.PRO MCP server as a WASI component.
//!
//! It exports `wasi:http/incoming-handler`: each HTTP request carries one MCP message, and
//! each is handled by itself, keeping nothing for the next one. That is the model of our own
//! host (which gives each request a fresh instance), of `wasmtime serve`, of Docker's Wasm
//! runtime and of Spin, so this one artifact runs under all of them.
//!
//! Settings come from the environment on every request. Under our host the API credentials
//! stay outside (it adds them on the way out); anywhere else the component holds them itself,
//! and then it serves nobody without a bearer token (FACTURATION_HTTP_TOKEN).

// Natively this crate is built only for its unit tests and lints, with no export to reach
// the code from; scripts/test.sh lints the WebAssembly build, where dead code is reported.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

mod api;
// The reference fixtures of the MCP conformance suite: test builds only (see the module).
#[cfg(feature = "conformance-fixtures")]
mod fixtures;
mod json_text;
mod library;
mod mcp;
mod tools;

use api::{ApiClient, ApiConfig};
use library::Library;
use mcp::{Access, HttpRequest, HttpResponse, Server, ServerInfo};
use tools::{SealKey, Selection, Toolbox, confirmation_from_env};

const SERVER_INFO: ServerInfo = ServerInfo {
    name: "facturation-pro-mcp",
    title: "Facturation.PRO",
    version: env!("CARGO_PKG_VERSION"),
    instructions: "Tools for the Facturation.PRO invoicing service (French: devis = quote, \
        facture = invoice, avoir = credit note, règlement = payment). Start with get_account to \
        learn which firms the key can use; firm-scoped tools take `firm_id` and otherwise use \
        the configured firm. Dates are YYYY-MM-DD. Lists return 50 records per page with a \
        `pagination` object; pass `page` for the next ones (or `all_pages`); text filters match any \
        part of the field. Deleting is permanent; finalising, emailing and credit notes cannot \
        be undone either.",
};

/// `tools/list` page size when FACTURATION_TOOLS_PAGE_SIZE is not set: all tools at once,
/// since several clients never ask for a second page.
const DEFAULT_TOOLS_PAGE_SIZE: usize = 1000;

/// The export itself. Only a WebAssembly build has it: a native linker cannot carry the
/// `wasi:http/...` symbol names, and native builds exist only for unit tests and lints.
#[cfg(target_arch = "wasm32")]
mod export {
    use wasip2::http::types::{IncomingRequest, ResponseOutparam};

    use super::{Access, ApiConfig, HttpRequest, HttpResponse, access, answer, mcp, plain_error};
    use facturation_pro_wasi_http::{self as wasi_http, BodyReader, RequestHead};

    struct Component;

    impl wasip2::exports::http::incoming_handler::Guest for Component {
        fn handle(request: IncomingRequest, out: ResponseOutparam) {
            let (head, body) = wasi_http::take_request(request);
            // A configuration error is the answer to everything.
            let response = match ApiConfig::from_env() {
                Err(message) => plain_error(500, &message),
                Ok(config) => {
                    let access = access(&config);
                    match read_request(head, body, &access) {
                        Ok(request) => answer(config, &access, &request),
                        Err(response) => response,
                    }
                }
            };
            // No Content-Length: the host learns the body's end from the stream's finish.
            wasi_http::respond(out, response.status, &response.headers, &response.body);
        }
    }

    wasip2::http::proxy::export!(Component);

    /// The request as plain data, with its body read up to the cap once its head shows it
    /// may come in.
    fn read_request(
        head: RequestHead,
        mut body: BodyReader,
        access: &Access,
    ) -> Result<HttpRequest, HttpResponse> {
        // The endpoint is a path; a query string plays no part in MCP's HTTP transport.
        let path = match head.path.split_once('?') {
            Some((path, _)) => path.to_string(),
            None => head.path,
        };
        let mut read = HttpRequest {
            method: head.method,
            path,
            headers: head.headers,
            body: Vec::new(),
        };
        if let Some(refused) = mcp::admit(access, &read) {
            return Err(refused);
        }
        loop {
            match body.chunk() {
                Ok(Some(chunk)) => read.body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => {
                    return Err(plain_error(400, &format!("cannot read the body: {error}")));
                }
            }
            // One byte past the cap is enough for the transport layer to refuse it.
            if read.body.len() > mcp::MAX_BODY_BYTES {
                break;
            }
        }
        Ok(read)
    }
}

/// Answers with the configuration read from the environment and the access it allows.
fn answer(config: ApiConfig, access: &Access, request: &HttpRequest) -> HttpResponse {
    let page_size = std::env::var("FACTURATION_TOOLS_PAGE_SIZE")
        .ok()
        .and_then(|size| size.parse().ok())
        .unwrap_or(DEFAULT_TOOLS_PAGE_SIZE);
    let (selection, confirm) = match Selection::from_env()
        .and_then(|selection| Ok((selection, confirmation_from_env()?)))
    {
        Ok(settings) => settings,
        Err(message) => return plain_error(500, &message),
    };
    let seal_key = SealKey::from_env(config.basic_credentials.as_ref());
    // Our host passes the folder's real path, for messages; elsewhere there is no folder.
    let downloads_on_host = std::env::var("FACTURATION_DOWNLOADS_DIR").ok();
    let downloads = downloads_on_host.is_some();
    let library = Library::new(
        ApiClient::new(config.clone()),
        downloads_on_host.filter(|dir| !dir.is_empty()),
    );
    let toolbox = Toolbox::new(
        ApiClient::new(config),
        &selection,
        confirm,
        seal_key,
        downloads,
    );
    let server = Server::new(SERVER_INFO, toolbox, library, page_size);
    mcp::serve(&server, access, request)
}

/// The shortest bearer token accepted where the component holds the API key, as our host
/// requires beyond loopback.
const MIN_TOKEN_CHARS: usize = 32;

/// Who may call. Holding the API key ourselves means no host of ours stands in front: then
/// a bearer token is required, and without one the endpoint stays closed.
fn access(config: &ApiConfig) -> Access {
    let bearer_token = std::env::var("FACTURATION_HTTP_TOKEN")
        .ok()
        .filter(|token| !token.trim().is_empty());
    let holds_key = config.basic_credentials.is_some();
    let closed_because = match &bearer_token {
        None if holds_key => Some(
            "this server holds a Facturation.PRO API key but FACTURATION_HTTP_TOKEN is not set, so \
             it serves nobody: set a long random token and send it as `Authorization: Bearer <token>`"
                .to_string(),
        ),
        // Whoever guesses it uses the account: short ones are not taken.
        Some(token) if holds_key && token.chars().count() < MIN_TOKEN_CHARS => Some(format!(
            "FACTURATION_HTTP_TOKEN is {} characters long; this server holds a Facturation.PRO \
             API key and serves nobody with a token shorter than {MIN_TOKEN_CHARS} (make one \
             with `openssl rand -hex 32`)",
            token.chars().count()
        )),
        _ => None,
    };
    let allowed_origins = std::env::var("FACTURATION_HTTP_ALLOWED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(str::to_string)
        .collect();
    Access {
        bearer_token,
        closed_because,
        allowed_origins,
    }
}

fn plain_error(status: u16, message: &str) -> HttpResponse {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": null,
        "error": { "code": -32603, "message": format!("facturation-pro-mcp: {message}") },
    });
    HttpResponse {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}
