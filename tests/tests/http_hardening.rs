//! `serve --http` against clients that do not play fair, through the real binary and raw
//! sockets: a short token beyond loopback, HTTP without `Host`, cross-origin preflights,
//! more calls than the in-flight cap, a client that trickles its headers, and more idle
//! connections than the process has descriptors. Each verdict comes from what the client
//! received, what the server logged and what the emulator saw.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::{McpServer, ServerSetup};
use serde_json::json;

fn setup(api: &Emulator, home: &tempfile::TempDir) -> ServerSetup {
    ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
}

fn api() -> Emulator {
    Emulator::start(EmulatorConfig::without_demo_data()).unwrap()
}

/// Sends `raw` as it is and returns everything the server wrote until it closed.
fn raw_exchange(server: &HttpMcpServer, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn modern_discover_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "server/discover"),
    ]
}

fn discover_body() -> serde_json::Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": { "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {} } } })
}

/// What a server may answer before it serves a client again.
#[derive(Clone, Copy, PartialEq)]
enum Refusals {
    /// Only "busy, come back" (503).
    OnlyBusy,
    /// Anything.
    Any,
}

/// Sends `server/discover` until it is served (200), for at most `patience`.
fn discover_until_served(endpoint: &impl HttpEndpoint, patience: Duration, refusals: Refusals) {
    let deadline = Instant::now() + patience;
    loop {
        let reply = endpoint.post_json(&modern_discover_headers(), &discover_body());
        if reply.status == 200 {
            return;
        }
        if refusals == Refusals::OnlyBusy {
            assert_eq!(
                reply.status,
                503,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
        }
        assert!(
            Instant::now() < deadline,
            "not served within {patience:?}: {}",
            reply.status
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn beyond_loopback_a_short_token_is_refused_and_a_long_one_serves() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    for short in ["x", "0123456789abcdef0123456789abcde"] {
        let refused = HttpMcpServer::try_start_at(
            &setup(&api, &home).with_env("FACTURATION_HTTP_TOKEN", short),
            "0.0.0.0:0",
        );
        let Err((status, stderr)) = refused else {
            panic!("a {}-character token was accepted on 0.0.0.0", short.len());
        };
        assert!(!status.success());
        assert!(stderr.contains("FACTURATION_HTTP_TOKEN"), "{stderr}");
        assert!(!stderr.contains(short) || short.len() == 1, "{stderr}");
    }
    let token = "0123456789abcdef0123456789abcdef";
    let server = HttpMcpServer::start_at(
        &setup(&api, &home).with_env("FACTURATION_HTTP_TOKEN", token),
        "0.0.0.0:0",
    );
    let bearer = format!("Bearer {token}");
    let mut headers = modern_discover_headers();
    headers.push(("Authorization", &bearer));
    let reply = server.post_json(&headers, &discover_body());
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

#[test]
fn malformed_http_is_a_400_from_the_host_not_a_crash() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server = HttpMcpServer::start(&setup(&api, &home));
    let body = discover_body().to_string();
    let without_host = format!(
        "POST /mcp HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = raw_exchange(&server, without_host.as_bytes());
    assert!(
        answer.starts_with("HTTP/1.0 400") || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    let absurd = "POST http://[::1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    let answer = raw_exchange(&server, absurd.as_bytes());
    assert!(answer.contains(" 400 "), "{answer}");
    assert!(!server.stderr().contains("crashed"), "{}", server.stderr());
    assert!(api.requests().is_empty());
}

#[test]
fn preflights_are_answered_for_allowed_origins_only() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server = HttpMcpServer::start(
        &setup(&api, &home).with_env("FACTURATION_HTTP_ALLOWED_ORIGINS", "https://app.example"),
    );
    let preflight = |origin: &str| {
        server.send(
            "OPTIONS",
            "/mcp",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization, content-type",
                ),
            ],
            b"",
        )
    };
    let allowed = preflight("https://app.example");
    assert!(
        allowed.status == 204 || allowed.status == 200,
        "{}",
        allowed.status
    );
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let refused = preflight("https://evil.example");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
}

#[test]
fn beyond_the_in_flight_cap_a_request_is_told_to_come_back() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server =
        HttpMcpServer::start(&setup(&api, &home).with_env("FACTURATION_MAX_IN_FLIGHT", "1"));
    api.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(3),
    });
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_account", "arguments": {},
        "_meta": { "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {} } } });
    std::thread::scope(|scope| {
        let held = scope.spawn(|| {
            server.post_json(
                &[
                    ("Accept", "application/json, text/event-stream"),
                    ("MCP-Protocol-Version", "2026-07-28"),
                    ("Mcp-Method", "tools/call"),
                    ("Mcp-Name", "get_account"),
                ],
                &call,
            )
        });
        api.wait_for_requests(1);
        let busy = server.post_json(&modern_discover_headers(), &discover_body());
        assert_eq!(busy.status, 503);
        assert!(busy.header("retry-after").is_some());
        assert!(busy.json()["error"]["message"].is_string());
        assert_eq!(held.join().unwrap().status, 200);
    });
    // Once the held call is done, the next one is served.
    let reply = server.post_json(&modern_discover_headers(), &discover_body());
    assert_eq!(reply.status, 200);
}

#[test]
fn beyond_the_connection_cap_clients_are_told_to_come_back_and_probes_still_answer() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server = HttpMcpServer::start(
        &setup(&api, &home)
            .with_env("FACTURATION_HTTP_MAX_CONNECTIONS", "1")
            .with_env("FACTURATION_HTTP_READ_TIMEOUT_SECS", "60"),
    );
    // The one connection allowed, opened and left silent (it holds its slot for the read
    // timeout). The server takes connections in order, so it has the slot.
    let holder = TcpStream::connect(server.address()).unwrap();

    // More clients at once than the server turns away at a time: each one hears it is
    // busy and when to come back, none waits in silence, and nothing reaches the API.
    let replies: Vec<_> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..48)
            .map(|_| scope.spawn(|| server.post_json(&modern_discover_headers(), &discover_body())))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for busy in &replies {
        assert_eq!(busy.status, 503, "{}", String::from_utf8_lossy(&busy.body));
        assert_eq!(busy.header("retry-after"), Some("1"));
        let message = busy.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains("FACTURATION_HTTP_MAX_CONNECTIONS"),
            "{message}"
        );
    }
    // A process at its connection cap is alive: an orchestrator must not restart it.
    let alive = raw_exchange(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(alive.starts_with("HTTP/1.1 200"), "{alive}");
    assert!(api.requests().is_empty());

    // Once the slot is free, the next client is served.
    drop(holder);
    discover_until_served(&server, Duration::from_secs(30), Refusals::OnlyBusy);
}

#[test]
fn a_client_trickling_its_headers_is_cut_off_and_others_are_served() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server = HttpMcpServer::start(
        &setup(&api, &home).with_env("FACTURATION_HTTP_READ_TIMEOUT_SECS", "1"),
    );
    let mut slow = TcpStream::connect(server.address()).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    slow.write_all(b"POST /mcp HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Meanwhile an honest client is served.
    let reply = server.post_json(&modern_discover_headers(), &discover_body());
    assert_eq!(reply.status, 200);
    // The slow one gets nothing more than a refusal, and its connection is closed before
    // its own patience (the read timeout above) runs out.
    let mut rest = Vec::new();
    let closed = slow.read_to_end(&mut rest).is_ok();
    assert!(closed, "the server kept the trickling connection open");
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.is_empty() || text.contains(" 408 ") || text.contains(" 400 "),
        "{text}"
    );
}

#[test]
fn a_body_announced_large_and_sent_a_byte_at_a_time_is_cut_off() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let server = HttpMcpServer::start(
        &setup(&api, &home).with_env("FACTURATION_HTTP_READ_TIMEOUT_SECS", "2"),
    );
    let mut slow = TcpStream::connect(server.address()).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(900)))
        .unwrap();
    // 32 MiB announced would buy over eight minutes at the slowest accepted rate; a byte a
    // second never pauses long enough to trip the read timeout.
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        32 << 20
    );
    slow.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(30) {
        if slow.write_all(b" ").is_err() {
            break;
        }
        let mut chunk = [0u8; 1024];
        match slow.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => answer.extend_from_slice(&chunk[..read]),
            Err(_) => {} // nothing yet
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the trickling body was still read after 30 s: {answer}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn a_client_that_takes_no_answers_loses_its_connection_and_others_are_served() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    // One connection at a time: while the greedy client holds it, nobody else gets in.
    let server = HttpMcpServer::start(
        &setup(&api, &home)
            .with_env("FACTURATION_HTTP_MAX_CONNECTIONS", "1")
            .with_env("FACTURATION_HTTP_READ_TIMEOUT_SECS", "1"),
    );
    let address = server.address();
    // Tens of thousands of requests on one connection, and not one answer read: the
    // answers fill the socket's buffers, and the server's writes stall.
    let greedy = TcpStream::connect(address).unwrap();
    greedy
        .set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let pipelined = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(40_000);
    let writer = std::thread::spawn(move || {
        let mut greedy = greedy;
        let _ = greedy.write_all(&pipelined);
        greedy
    });
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    // The honest client is told to come back while the greedy one holds the slot, and
    // does, as a client honouring Retry-After would.
    discover_until_served(&server, Duration::from_secs(60), Refusals::OnlyBusy);
    eprintln!("served after {:?}", started.elapsed());
    drop(writer.join());
}

/// `serve --http` on a loopback port of its choosing, with at most `descriptors` open files;
/// returns the server and the address it printed.
fn serve_with_descriptor_limit(setup: &ServerSetup, descriptors: u32) -> (McpServer, SocketAddr) {
    let server = setup
        .clone()
        .with_args(&["serve", "--http", "127.0.0.1:0"])
        .command();
    // The shell lowers its own limit, which the server inherits through exec.
    let mut limited = Command::new("/bin/sh");
    limited
        .env_clear()
        .envs(
            server
                .get_envs()
                .filter_map(|(name, value)| Some((name, value?))),
        )
        .current_dir(&setup.cwd)
        .arg("-c")
        .arg(format!("ulimit -n {descriptors} && exec \"$0\" \"$@\""))
        .arg(server.get_program())
        .args(server.get_args());
    let server = McpServer::spawn_command(limited);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let said = server.stderr();
        // Only a whole line: stderr arrives in chunks, and one may end mid-address.
        if let Some(address) = said.lines().find_map(|line| {
            line.strip_prefix("facturation-pro-mcp: serving MCP on http://")?
                .strip_suffix("/mcp")
        }) {
            let address = address.parse().unwrap();
            return (server, address);
        }
        assert!(
            Instant::now() < deadline,
            "serve --http did not start: {said}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Where a server started some other way listens.
struct Listening(SocketAddr);

impl HttpEndpoint for Listening {
    fn address(&self) -> SocketAddr {
        self.0
    }
}

#[test]
fn out_of_descriptors_the_server_backs_off_logs_a_few_lines_and_recovers() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    // A connection cap above the descriptor limit, so that accepting itself runs out of
    // descriptors (EMFILE) rather than the cap holding connections back.
    let setup = setup(&api, &home).with_env("FACTURATION_HTTP_MAX_CONNECTIONS", "500");
    let (server, address) = serve_with_descriptor_limit(&setup, 64);
    let endpoint = Listening(address);
    assert_eq!(
        endpoint
            .post_json(&modern_discover_headers(), &discover_body())
            .status,
        200
    );

    // Twice as many idle connections as the process may have files: the system completes
    // them all (its accept queue holds the ones the server cannot take), and the server's
    // accept fails for as long as they are held.
    let idle: Vec<TcpStream> = (0..128)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let failures: Vec<String> = server
        .stderr()
        .lines()
        .filter(|line| line.contains("accepting a connection failed"))
        .map(str::to_string)
        .collect();
    drop(idle);

    assert!(
        !failures.is_empty(),
        "the descriptor limit was never reached, so nothing was tested: {}",
        server.stderr()
    );
    assert!(
        failures
            .iter()
            .any(|line| line.contains("too many open files")),
        "{failures:#?}"
    );
    // About one line a second, each counting the failures since the last: a handful, where
    // a loop retrying at once writes millions.
    assert!(
        failures.len() <= 6,
        "{} lines: {failures:#?}",
        failures.len()
    );
    assert!(server.stderr().lines().count() <= 12, "{}", server.stderr());

    // Once the idle clients are gone, an honest one is served.
    discover_until_served(&endpoint, Duration::from_secs(30), Refusals::Any);
    assert!(api.requests().is_empty());
}
