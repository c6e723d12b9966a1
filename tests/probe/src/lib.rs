//! A component that tries, on request, the things our sandbox must forbid, and reports each
//! outcome. It exports `wasi:http/incoming-handler` like the real guest, so the sandbox tests
//! run it through the real host with `--component`, which hands it each MCP request as the
//! body of a `POST /mcp` in a fresh instance, and assert on the reports.
//!
//! A request is JSON-RPC: `{"jsonrpc":"2.0","id":N,"method":"probe","params":{"command":C}}`
//! (plus whatever `_meta` the client sent, which the probe ignores). The answer is HTTP 200,
//! `application/json`, `{"jsonrpc":"2.0","id":N,"result":{"command":C,"ok":true,"detail":…}}`
//! or `…"ok":false,"error":"…"` when the attempt failed. Commands (`C`):
//!
//! `env` | `read PATH` | `write PATH TEXT` | `list PATH` | `http METHOD URL [AUTHORIZATION]`
//! | `tcp IP PORT` | `dns NAME` | `alloc MEGABYTES` | `spin SECONDS` | `trap` | `residue`
//!
//! `trap` panics, and `alloc` past the host's ceiling or a long `spin` get the instance
//! stopped: then no answer comes from the probe, and the host answers for it.

use facturation_pro_wasi_http::{self as wasi_http, Outgoing, RequestHead, SendError};
use serde_json::{Value, json};
use wasip2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};

/// The export exists on wasm32 only. Natively the linker cannot take its symbol name
/// (`wasi:http/incoming-handler@0.2.x#handle`), so a native `cargo build --workspace` would
/// fail to link this cdylib; without the export the crate still compiles and lints there.
#[cfg(target_arch = "wasm32")]
mod export {
    use wasip2::http::types::{IncomingRequest, ResponseOutparam};

    struct Probe;

    impl wasip2::exports::http::incoming_handler::Guest for Probe {
        fn handle(request: IncomingRequest, out: ResponseOutparam) {
            let (head, body) = super::wasi_http::take_request(request);
            let (status, headers, body) = super::handle(head, body);
            super::wasi_http::respond(out, status, &headers, &body);
        }
    }

    wasip2::http::proxy::export!(Probe);
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(
    _head: RequestHead,
    mut body: wasi_http::BodyReader,
) -> (u16, Vec<(&'static str, String)>, Vec<u8>) {
    let mut bytes = Vec::new();
    loop {
        match body.chunk() {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => {
                return (
                    500,
                    Vec::new(),
                    format!("reading the request: {error}").into(),
                );
            }
        }
    }
    let answer = match serde_json::from_slice::<Value>(&bytes) {
        Ok(message) => answer(&message),
        Err(e) => Some(rpc_error(Value::Null, -32700, &format!("not JSON: {e}"))),
    };
    match answer {
        Some(answer) => (
            200,
            vec![("content-type", "application/json".to_string())],
            answer.to_string().into_bytes(),
        ),
        // A notification gets no JSON-RPC answer; 202 is how MCP over HTTP acknowledges one.
        None => (202, Vec::new(), Vec::new()),
    }
}

/// The JSON-RPC answer to one message, `None` for a notification.
fn answer(message: &Value) -> Option<Value> {
    let id = message.get("id")?.clone();
    if message["method"] != "probe" {
        return Some(rpc_error(
            id,
            -32601,
            "the probe only knows the method `probe`",
        ));
    }
    let Some(command) = message["params"]["command"].as_str() else {
        return Some(rpc_error(id, -32602, "params.command must be a string"));
    };
    let report = match run(command) {
        Ok(detail) => json!({ "command": command, "ok": true, "detail": detail }),
        Err(error) => json!({ "command": command, "ok": false, "error": error }),
    };
    Some(json!({ "jsonrpc": "2.0", "id": id, "result": report }))
}

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// Attempts one command; `Ok(detail)` when the sandbox let it through.
fn run(command: &str) -> Result<Value, String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        ["env"] => Ok(json!(std::env::vars().collect::<Vec<_>>())),
        ["read", path] => std::fs::read(path)
            .map(|bytes| json!(bytes.len()))
            .map_err(|e| e.to_string()),
        ["write", path, text] => std::fs::write(path, text)
            .map(|()| json!(text.len()))
            .map_err(|e| e.to_string()),
        ["list", path] => list(path),
        ["http", method, url, rest @ ..] => http(method, url, rest.first().copied()),
        ["tcp", ip, port] => tcp(ip, port),
        ["dns", name] => dns(name),
        ["alloc", megabytes] => alloc(megabytes),
        ["spin", seconds] => spin(seconds),
        ["trap"] => panic!("the probe was asked to trap"),
        ["residue"] => Ok(residue()),
        _ => Err(format!("unknown probe command {command:?}")),
    }
}

fn list(path: &str) -> Result<Value, String> {
    let entries = std::fs::read_dir(path).map_err(|e| e.to_string())?;
    Ok(json!(
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    ))
}

/// An outgoing request through wasi:http/outgoing-handler, which an HTTP handler may import
/// like any other component: the host's origin gate and credentials apply to it.
fn http(method: &str, url: &str, authorization: Option<&str>) -> Result<Value, String> {
    if !matches!(method, "GET" | "POST" | "DELETE") {
        return Err(format!("unsupported method {method}"));
    }
    let mut headers = vec![(
        "User-Agent",
        "sandbox-probe (tests@example.test)".to_string(),
    )];
    if let Some(value) = authorization {
        headers.push(("Authorization", value.to_string()));
    }
    let sent = wasi_http::send(&Outgoing {
        method,
        url,
        headers,
        body: None,
    });
    // Debug formatting keeps the WASI error code's name (e.g. HttpRequestDenied), which the
    // tests look for.
    let response = sent.map_err(|error| match error {
        SendError::Code(code) => format!("{code:?}"),
        SendError::Unusable(reason) | SendError::Broken(reason) => reason,
    })?;
    let status = response.status;
    let body = response.body()?;
    Ok(json!({ "status": status, "body": String::from_utf8_lossy(&body) }))
}

fn tcp(ip: &str, port: &str) -> Result<Value, String> {
    let octets: Vec<u8> = ip.split('.').filter_map(|part| part.parse().ok()).collect();
    let [a, b, c, d] = octets[..] else {
        return Err(format!("bad IPv4 address {ip}"));
    };
    let port: u16 = port.parse().map_err(|_| format!("bad port {port}"))?;
    let network = wasip2::sockets::instance_network::instance_network();
    let socket = wasip2::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4)
        .map_err(|e| format!("create: {e:?}"))?;
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (a, b, c, d),
    });
    socket
        .start_connect(&network, address)
        .map_err(|e| format!("connect: {e:?}"))?;
    socket.subscribe().block();
    socket
        .finish_connect()
        .map(|_| json!("connected"))
        .map_err(|e| format!("connect: {e:?}"))
}

fn dns(name: &str) -> Result<Value, String> {
    let network = wasip2::sockets::instance_network::instance_network();
    let addresses = wasip2::sockets::ip_name_lookup::resolve_addresses(&network, name)
        .map_err(|e| format!("resolve: {e:?}"))?;
    addresses.subscribe().block();
    let first = addresses
        .resolve_next_address()
        .map_err(|e| format!("resolve: {e:?}"))?;
    Ok(json!(format!("{first:?}")))
}

/// Allocates and touches this much memory, to meet the host's memory cap.
fn alloc(megabytes: &str) -> Result<Value, String> {
    let megabytes: usize = megabytes
        .parse()
        .map_err(|_| format!("bad size {megabytes}"))?;
    let block = vec![1u8; megabytes << 20];
    Ok(json!(
        block.iter().map(|b| *b as usize).sum::<usize>() >> 20
    ))
}

/// What a string in the component's initialised data says before anyone writes it.
const PRISTINE: [u8; 16] = *b"pristine-data---";

/// Reports what an earlier instance may have left in this one's memory, then leaves marks of
/// its own for the next: a string in the initialised data is overwritten, and a fresh heap
/// block, which the allocator hands out as zeroed without clearing it (memory the instance
/// has just grown is zero by definition), is filled with 0xAB and never freed. An instance
/// that starts as new reports the pristine string and not one non-zero byte, even when it
/// reuses the memory of the one before.
fn residue() -> Value {
    static DATA: std::sync::Mutex<[u8; 16]> = std::sync::Mutex::new(PRISTINE);
    let mut data = DATA
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let found = String::from_utf8_lossy(&*data).into_owned();
    *data = *b"left-by-a-caller";
    let mut heap = vec![0u8; 4 << 20];
    let nonzero = heap.iter().filter(|byte| **byte != 0).count();
    heap.fill(0xAB);
    std::mem::forget(heap);
    json!({ "data": found, "nonzero_heap_bytes": nonzero })
}

/// Computes without any I/O for this long, like a runaway loop.
fn spin(seconds: &str) -> Result<Value, String> {
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| format!("bad duration {seconds}"))?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut turns = 0u64;
    while std::time::Instant::now() < until {
        turns = turns.wrapping_add(1);
    }
    Ok(json!(turns))
}
