//! Legacy (2025-11-25) clients of `serve --http` with a session: `initialize` opens one
//! (`Mcp-Session-Id`), and a tool call that needs the user's answer is held open as an SSE
//! stream carrying `elicitation/create`, answered by another POST of the same session.
//! Through the real binary against the emulator; the verdicts come from what the client
//! saw and what the API received.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::ServerSetup;
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer, HttpReply};
use serde_json::{Value, json};
use tempfile::TempDir;

const VERSION: &str = "2025-11-25";

/// Only against hanging: a question is asked within milliseconds.
const PATIENCE: Duration = Duration::from_secs(30);

struct World {
    emulator: Emulator,
    server: HttpMcpServer,
    _home: TempDir,
}

impl World {
    fn new(adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> World {
        let emulator =
            Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
        let home = tempfile::tempdir().expect("a temporary home");
        let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"));
        let server = HttpMcpServer::start(&adjust(setup));
        World {
            emulator,
            server,
            _home: home,
        }
    }

    /// A legacy POST of `message`, in session `session` when given.
    fn post(&self, session: Option<&str>, message: &Value) -> HttpReply {
        let mut headers = vec![
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", VERSION),
        ];
        if let Some(session) = session {
            headers.push(("Mcp-Session-Id", session));
        }
        self.server.post_json(&headers, message)
    }

    /// `initialize` as a client declaring `capabilities`; the reply.
    fn initialize(&self, capabilities: Value) -> HttpReply {
        self.post(
            None,
            &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": VERSION, "capabilities": capabilities,
                "clientInfo": { "name": "legacy-http-test", "version": "1" } } }),
        )
    }

    /// A session opened by a client that can show its user a form.
    fn session(&self) -> String {
        let reply = self.initialize(json!({ "elicitation": {} }));
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json()["result"]["protocolVersion"], VERSION);
        let id = reply
            .header("mcp-session-id")
            .unwrap_or_else(|| panic!("no session id: {reply:?}"))
            .to_string();
        assert!(
            id.len() >= 32 && id.bytes().all(|byte| (0x21..0x7f).contains(&byte)),
            "{id}"
        );
        let initialized = self.post(
            Some(&id),
            &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        );
        assert_eq!(initialized.status, 202, "{initialized:?}");
        id
    }

    /// The client's answer to question `question`, posted in `session`.
    fn answer(&self, session: &str, question: &Value, result: Value) -> HttpReply {
        self.post(
            Some(session),
            &json!({ "jsonrpc": "2.0", "id": question["id"], "result": result }),
        )
    }

    fn tools_list(&self, session: Option<&str>) -> HttpReply {
        self.post(
            session,
            &json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }),
        )
    }

    fn deletes(&self) -> usize {
        self.emulator
            .requests()
            .iter()
            .filter(|request| request.method == "DELETE")
            .count()
    }

    /// Starts `delete_customer` for `customer` in `session`; the call is held open, so its
    /// answer is a stream to read as it comes.
    fn start_delete(&self, session: &str, customer: u64) -> EventStream {
        let body = json!({ "jsonrpc": "2.0", "id": 77, "method": "tools/call",
            "params": { "name": "delete_customer", "arguments": { "customer_id": customer } } })
        .to_string();
        let address = self.server.address();
        let mut stream = TcpStream::connect(address).expect("connect to the server");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
             MCP-Protocol-Version: {VERSION}\r\nMcp-Session-Id: {session}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send the call");
        EventStream::open(stream)
    }
}

/// A response read as it arrives: server-sent events in a chunked body.
struct EventStream {
    reader: BufReader<TcpStream>,
    pending: String,
    ended: bool,
}

impl EventStream {
    /// Reads the head, which must announce an event stream.
    fn open(stream: TcpStream) -> EventStream {
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read the response head");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        EventStream {
            reader,
            pending: String::new(),
            ended: false,
        }
    }

    /// The next JSON-RPC message on the stream, or None once it has ended.
    fn next_message(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let event: String = self.pending.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|line| line.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if data.is_empty() {
                    continue;
                }
                return Some(serde_json::from_str(&data).expect("an event's data is JSON"));
            }
            if self.ended {
                assert!(self.pending.trim().is_empty(), "{:?}", self.pending);
                return None;
            }
            self.read_chunk();
        }
    }

    fn read_chunk(&mut self) {
        let mut size = String::new();
        self.reader.read_line(&mut size).expect("read a chunk size");
        let size = usize::from_str_radix(size.trim(), 16)
            .unwrap_or_else(|_| panic!("not a chunk size: {size:?}"));
        let mut chunk = vec![0u8; size + 2];
        self.reader.read_exact(&mut chunk).expect("read a chunk");
        if size == 0 {
            self.ended = true;
        }
        self.pending
            .push_str(std::str::from_utf8(&chunk[..size]).expect("events are text"));
    }
}

/// Reads the confirmation question of a delete and checks its shape.
fn question(stream: &mut EventStream, customer: u64) -> Value {
    let question = stream.next_message().expect("a question");
    assert_eq!(question["method"], "elicitation/create", "{question}");
    assert!(question["id"].is_string(), "{question}");
    let message = question["params"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Delete a customer") && message.contains(&customer.to_string()),
        "{message}"
    );
    question
}

fn final_text(result: &Value) -> &str {
    result["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn a_delete_confirmed_over_the_stream_is_sent_once() {
    let world = World::new(|setup| setup);
    let customer = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Doomed" }));
    let session = world.session();
    let mut stream = world.start_delete(&session, customer);
    let asked = question(&mut stream, customer);
    assert!(
        world.emulator.requests().is_empty(),
        "nothing is sent before the answer"
    );

    let yes = json!({ "action": "accept", "content": { "confirm": true } });
    let accepted = world.answer(&session, &asked, yes.clone());
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let done = stream.next_message().expect("the call's answer");
    assert_eq!(done["id"], 77, "{done}");
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert!(
        stream.next_message().is_none(),
        "the answer ends the stream"
    );

    // The same answer again finds no question waiting: refused, and nothing more is sent.
    let replayed = world.answer(&session, &asked, yes);
    assert_eq!(replayed.status, 400, "{replayed:?}");
    assert_eq!(world.deletes(), 1);
    assert_eq!(world.emulator.requests().len(), 1);
    assert!(world.emulator.customer(1001, customer).is_none());
}

#[test]
fn declining_sends_nothing() {
    let world = World::new(|setup| setup);
    let customer = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Kept" }));
    let session = world.session();
    let mut stream = world.start_delete(&session, customer);
    let asked = question(&mut stream, customer);
    let declined = world.answer(&session, &asked, json!({ "action": "decline" }));
    assert_eq!(declined.status, 202, "{declined:?}");
    let done = stream.next_message().expect("the call's answer");
    assert_eq!(done["result"]["isError"], true, "{done}");
    assert!(final_text(&done).contains("Nothing was sent"), "{done}");
    assert!(stream.next_message().is_none());
    assert!(world.emulator.requests().is_empty());
    assert!(world.emulator.customer(1001, customer).is_some());
}

/// A yes from another session, to a made-up question, or from no session at all confirms
/// nothing: the question still waits for its own client, whose "no" is what counts.
#[test]
fn answers_from_elsewhere_are_refused_and_change_nothing() {
    let world = World::new(|setup| setup);
    let customer = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Guarded" }));
    let mine = world.session();
    let theirs = world.session();
    let mut stream = world.start_delete(&mine, customer);
    let asked = question(&mut stream, customer);
    let yes = json!({ "action": "accept", "content": { "confirm": true } });

    let from_another_session = world.answer(&theirs, &asked, yes.clone());
    assert_eq!(from_another_session.status, 400, "{from_another_session:?}");
    let forged = json!({ "id": format!("{}9", asked["id"].as_str().unwrap()) });
    let to_a_made_up_question = world.answer(&mine, &forged, yes.clone());
    assert_eq!(
        to_a_made_up_question.status, 400,
        "{to_a_made_up_question:?}"
    );
    let numeric = json!({ "id": 1 });
    assert_eq!(world.answer(&mine, &numeric, yes.clone()).status, 400);
    // Without a session the answer belongs to no call (the component takes it and ignores
    // it, as it does any response).
    let sessionless = world.post(
        None,
        &json!({ "jsonrpc": "2.0", "id": asked["id"], "result": yes }),
    );
    assert!(
        sessionless.status == 202 || sessionless.status == 400,
        "{sessionless:?}"
    );

    let declined = world.answer(&mine, &asked, json!({ "action": "decline" }));
    assert_eq!(declined.status, 202, "{declined:?}");
    let done = stream.next_message().expect("the call's answer");
    assert_eq!(done["result"]["isError"], true, "{done}");
    assert!(final_text(&done).contains("declined"), "{done}");
    assert!(world.emulator.requests().is_empty());
    assert!(world.emulator.customer(1001, customer).is_some());
}

#[test]
fn unknown_and_ended_sessions_get_404_and_ending_one_dismisses_its_question() {
    let world = World::new(|setup| setup);
    let made_up = "0".repeat(64);
    let unknown = world.tools_list(Some(&made_up));
    assert_eq!(unknown.status, 404, "{unknown:?}");
    let delete_unknown = world.server.send(
        "DELETE",
        "/mcp",
        &[("Mcp-Session-Id", made_up.as_str())],
        b"",
    );
    assert_eq!(delete_unknown.status, 404, "{delete_unknown:?}");

    let customer = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Spared" }));
    let session = world.session();
    assert_eq!(world.tools_list(Some(&session)).status, 200);
    let mut stream = world.start_delete(&session, customer);
    let asked = question(&mut stream, customer);
    let ended = world.server.send(
        "DELETE",
        "/mcp",
        &[("Mcp-Session-Id", session.as_str())],
        b"",
    );
    assert!((200..300).contains(&ended.status), "{ended:?}");
    // The waiting call goes on as if the user had dismissed the question.
    let done = stream.next_message().expect("the call's answer");
    assert_eq!(done["result"]["isError"], true, "{done}");
    assert!(final_text(&done).contains("Nothing was sent"), "{done}");
    let late = world.answer(
        &session,
        &asked,
        json!({ "action": "accept", "content": { "confirm": true } }),
    );
    assert_eq!(late.status, 404, "{late:?}");
    assert_eq!(world.tools_list(Some(&session)).status, 404);
    assert!(world.emulator.requests().is_empty());
    // Requests without a session are served as ever, one at a time.
    assert_eq!(world.tools_list(None).status, 200);
}

#[test]
fn the_session_cap_holds() {
    let world = World::new(|setup| setup.with_env("FACTURATION_HTTP_MAX_SESSIONS", "2"));
    let first = world.session();
    let second = world.session();
    assert_ne!(first, second);
    let refused = world.initialize(json!({ "elicitation": {} }));
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("mcp-session-id"), None);
    assert!(refused.header("retry-after").is_some(), "{refused:?}");
    let message = refused.json()["error"]["message"].to_string();
    assert!(
        message.contains("FACTURATION_HTTP_MAX_SESSIONS"),
        "{message}"
    );
    // The open sessions, and clients without one, are still served.
    assert_eq!(world.tools_list(Some(&first)).status, 200);
    assert_eq!(world.tools_list(None).status, 200);
    // Ending one makes room for another.
    let ended = world
        .server
        .send("DELETE", "/mcp", &[("Mcp-Session-Id", first.as_str())], b"");
    assert!((200..300).contains(&ended.status), "{ended:?}");
    let third = world.session();
    assert_ne!(third, first);
    assert_eq!(world.tools_list(Some(&second)).status, 200);
}

/// With one request in flight allowed, the held call takes it: its client's answer still
/// gets through (or the call would wait for nothing), but nothing else does.
#[test]
fn at_the_in_flight_cap_only_the_awaited_answer_gets_through() {
    let world = World::new(|setup| setup.with_env("FACTURATION_MAX_IN_FLIGHT", "1"));
    let customer = world
        .emulator
        .insert_customer(1001, json!({ "company_name": "Capped" }));
    let session = world.session();
    let mut stream = world.start_delete(&session, customer);
    let asked = question(&mut stream, customer);
    let other_request = world.tools_list(Some(&session));
    assert_eq!(other_request.status, 503, "{other_request:?}");
    let accepted = world.answer(
        &session,
        &asked,
        json!({ "action": "accept", "content": { "confirm": true } }),
    );
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let done = stream.next_message().expect("the call's answer");
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert!(stream.next_message().is_none());
    assert_eq!(world.deletes(), 1);
    // The call over, its permit is free again.
    assert_eq!(world.tools_list(Some(&session)).status, 200);
}
