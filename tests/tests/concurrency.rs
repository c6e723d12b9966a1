//! Requests on one stdio connection run side by side, each in its own component instance: a
//! call waiting on a slow API holds up neither a `ping` nor another call, and
//! `notifications/cancelled` drops a call for good (no response is ever written for it, and
//! its API request is abandoned, not retried).
//!
//! Nothing here measures time. The emulator holds its answers back (`Fault::Slow`), and the
//! tests assert orderings: which reply comes first, and that the emulator had received a
//! request before any reply was written. To be sure a cancelled call never answers, a test
//! closes stdin and reads everything the server writes until it exits.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault};
use facturation_pro_emulator::harness::{ServerSetup, assert_route};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Long enough that a reply written before the delay ends shows a request did not wait on
/// another; it is never compared with a measured duration.
const SLOW: Duration = Duration::from_secs(3);

/// For calls that must never be answered by the API: far past the host's request timeout,
/// so a call that was not really abandoned would end in a (forbidden) error response.
const NEVER: Duration = Duration::from_secs(3600);

/// A guard against hanging when something is broken, not a claim about speed.
const PATIENCE: Duration = Duration::from_secs(60);

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// An MCP client on the server's stdio that can also close stdin and read everything the
/// server writes until it exits (the shared harness client drops what comes after).
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Client {
    fn spawn(setup: &ServerSetup) -> Self {
        let mut child = setup
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn facturation-pro-mcp");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        }
    }

    fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{message}")
            .and_then(|()| stdin.flush())
            .expect("write to the server");
    }

    fn read(&mut self) -> Value {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("non-JSON line {line:?}: {error}")),
            Err(error) => panic!(
                "no message ({error:?}); stderr: {}",
                self.stderr.lock().unwrap()
            ),
        }
    }

    /// A legacy handshake (2025-11-25), as most clients of today do.
    fn initialize(&mut self) {
        self.send(
            json!({ "jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "e2e-concurrency", "version": "1" } } }),
        );
        let reply = self.read();
        assert_eq!(reply["result"]["protocolVersion"], "2025-11-25", "{reply}");
        self.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
    }

    /// Closes stdin, then collects every message written until the server exits.
    fn finish(mut self) -> (ExitStatus, Vec<Value>) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => rest.push(serde_json::from_str(&line).expect("a JSON line")),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "the server kept stdout open after stdin closed; stderr: {}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
        let status = self.child.wait().expect("wait for the server");
        (status, rest)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

struct World {
    emulator: Emulator,
    client: Client,
    _home: TempDir,
}

impl World {
    /// A server against an emulator without demo data; not yet initialized.
    fn new() -> Self {
        let emulator =
            Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
        let home = tempfile::tempdir().expect("a temporary home");
        let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));
        Self {
            client: Client::spawn(&setup),
            emulator,
            _home: home,
        }
    }

    /// An initialized legacy session.
    fn initialized() -> Self {
        let mut world = Self::new();
        world.client.initialize();
        world
    }

    fn customer(&self, name: &str) -> u64 {
        self.emulator
            .insert_customer(1001, json!({ "company_name": name }))
    }
}

fn call(id: Value, tool: &str, arguments: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": tool, "arguments": arguments } })
}

fn ping(id: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "ping" })
}

fn cancel(id: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": id, "reason": "the user changed their mind" } })
}

/// Checks `reply` answers `id` with a successful tool result; returns the structured part.
fn tool_success(reply: &Value, id: Value) -> Value {
    assert_eq!(reply["id"], id, "{reply}");
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    reply["result"]["structuredContent"].clone()
}

fn assert_pong(reply: &Value, id: Value) {
    assert_eq!(reply, &json!({ "jsonrpc": "2.0", "id": id, "result": {} }));
}

#[test]
fn a_ping_is_answered_while_a_call_waits_on_the_api() {
    let mut world = World::initialized();
    let id = world.customer("Lent");
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: SLOW,
    });
    world.client.send(call(
        json!(10),
        "get_customer",
        json!({ "customer_id": id }),
    ));
    // The call is now waiting on the API, which holds its answer back.
    world.emulator.wait_for_requests(1);
    world.client.send(ping(json!(11)));

    assert_pong(&world.client.read(), json!(11));
    let customer = tool_success(&world.client.read(), json!(10));
    assert_eq!(customer["id"], id);

    let requests = world.emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(
        &requests[0],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert_eq!(requests[0].status, 200);
    let (status, rest) = world.client.finish();
    assert!(status.success());
    assert!(rest.is_empty(), "unexpected messages: {rest:?}");
}

#[test]
fn two_slow_calls_wait_on_the_api_side_by_side() {
    let mut world = World::initialized();
    let first = world.customer("Premier");
    let second = world.customer("Second");
    world.emulator.inject(Fault::Slow {
        times: 2,
        delay: SLOW,
    });
    world.client.send(call(
        json!("a"),
        "get_customer",
        json!({ "customer_id": first }),
    ));
    world.client.send(call(
        json!("b"),
        "get_customer",
        json!({ "customer_id": second }),
    ));
    // Both requests reach the API while neither has its answer: one call does not queue
    // behind the other.
    let requests = world.emulator.wait_for_requests(2);
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    let mut expected = [
        format!("/firms/1001/customers/{first}.json"),
        format!("/firms/1001/customers/{second}.json"),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    // Answered before either call: so neither call's reply had been written when the
    // emulator already held both requests.
    world.client.send(ping(json!("p")));
    assert_pong(&world.client.read(), json!("p"));

    let mut answered = [world.client.read(), world.client.read()];
    answered.sort_by_key(|reply| reply["id"].as_str().unwrap_or_default().to_string());
    assert_eq!(tool_success(&answered[0], json!("a"))["id"], first);
    assert_eq!(tool_success(&answered[1], json!("b"))["id"], second);
    let requests = world.emulator.requests();
    assert_eq!(requests.len(), 2, "no request was repeated: {requests:#?}");
    assert!(requests.iter().all(|request| request.method == "GET"));
}

#[test]
fn a_slow_modern_call_does_not_hold_up_a_modern_listing() {
    let mut world = World::new();
    let meta = json!({ META_VERSION: "2026-07-28", META_CAPABILITIES: {} });
    let id = world.customer("Moderne");
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: SLOW,
    });
    world.client.send(
        json!({ "jsonrpc": "2.0", "id": "slow", "method": "tools/call",
        "params": { "name": "get_customer", "arguments": { "customer_id": id }, "_meta": meta } }),
    );
    world.emulator.wait_for_requests(1);
    world.client.send(
        json!({ "jsonrpc": "2.0", "id": "list", "method": "tools/list",
        "params": { "_meta": meta } }),
    );

    let listed = world.client.read();
    assert_eq!(listed["id"], "list", "{listed}");
    assert_eq!(listed["result"]["resultType"], "complete");
    assert_eq!(listed["result"]["tools"].as_array().unwrap().len(), 72);
    let called = world.client.read();
    assert_eq!(called["result"]["resultType"], "complete", "{called}");
    assert_eq!(tool_success(&called, json!("slow"))["id"], id);
    assert_eq!(world.emulator.requests().len(), 1);
}

#[test]
fn a_cancelled_call_is_never_answered_and_its_api_request_is_abandoned() {
    let mut world = World::initialized();
    let id = world.customer("Annulé");
    // The API would answer only long after the host's request timeout: if the call were
    // not really dropped, it would end in an error response for id 42.
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: NEVER,
    });
    world.client.send(call(
        json!(42),
        "get_customer",
        json!({ "customer_id": id }),
    ));
    world.emulator.wait_for_requests(1);
    world.client.send(cancel(json!(42)));
    // Cancelling what is not (or no longer) running changes nothing.
    world.client.send(cancel(json!(999)));
    world.client.send(ping(json!(43)));
    assert_pong(&world.client.read(), json!(43));

    // The session goes on: a fresh call is served normally.
    world.client.send(call(
        json!(44),
        "get_customer",
        json!({ "customer_id": id }),
    ));
    assert_eq!(tool_success(&world.client.read(), json!(44))["id"], id);

    let (status, rest) = world.client.finish();
    assert!(status.success(), "{status}");
    assert!(
        rest.is_empty(),
        "nothing may be written for a cancelled call: {rest:?}"
    );
    let requests = world.emulator.requests();
    assert_eq!(
        requests.len(),
        2,
        "the cancelled read was not retried: {requests:#?}"
    );
    let path = format!("/firms/1001/customers/{id}.json");
    assert!(requests.iter().all(|request| request.path == path));
}

#[test]
fn a_cancelled_write_is_not_sent_again() {
    let mut world = World::initialized();
    world.emulator.inject(Fault::Slow {
        times: 1,
        delay: NEVER,
    });
    world.client.send(call(
        json!(42),
        "create_customer",
        json!({ "company_name": "Peut-être SARL" }),
    ));
    world.emulator.wait_for_requests(1);
    world.client.send(cancel(json!(42)));
    world.client.send(ping(json!(43)));
    assert_pong(&world.client.read(), json!(43));

    let (status, rest) = world.client.finish();
    assert!(status.success(), "{status}");
    assert!(
        rest.is_empty(),
        "nothing may be written for a cancelled call: {rest:?}"
    );
    // Creating is not idempotent: a second POST could make a second customer.
    let requests = world.emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "POST", "/firms/1001/customers.json");
    let named: Vec<Value> = world
        .emulator
        .customers(1001)
        .into_iter()
        .filter(|customer| customer["company_name"] == "Peut-être SARL")
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
}
