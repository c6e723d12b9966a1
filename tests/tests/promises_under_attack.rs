//! The promises the host makes, attacked the way a hostile client, project folder or guest
//! would, through the real binary: a confirmation acts once whatever the JSON spelling; a
//! write that leaves is in the audit log before it leaves and with its outcome after, even
//! when its call is cancelled or the process is killed; settings come only from where the
//! user put them; runaway instances are all stopped however many share the cores. Verdicts
//! come from what the emulator received, what the audit log holds and what the client saw.

use std::path::Path;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault, TestCa};
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::probe::{probe_outcome, probe_request};
use facturation_pro_emulator::harness::{
    McpServer, ServerFixture, ServerSetup, TestSession, audit_lines, probe_component,
};
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";

// ---- one use per confirmation, over HTTP ----------------------------------------------------

/// A modern tools/call body from a client that can show forms.
fn modern_call(id: u64, tool: &str, arguments: &Value, answer: Option<(&Value, &str)>) -> Value {
    let mut params = json!({ "name": tool, "arguments": arguments, "_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": { "elicitation": { "form": {} } },
    } });
    if let Some((responses, state)) = answer {
        params["inputResponses"] = responses.clone();
        params["requestState"] = json!(state);
    }
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params })
}

fn post_raw(server: &HttpMcpServer, tool: &str, body: &str) -> Value {
    let reply = server.send(
        "POST",
        "/mcp",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", tool),
        ],
        body.as_bytes(),
    );
    reply.json()
}

/// Asks for the delete of `customer` on `server` (request `id`) and returns the user's yes
/// to the question, as the body of the next call (request `id + 1`).
fn yes_to_a_delete(server: &HttpMcpServer, customer: u64, id: u64) -> String {
    let arguments = json!({ "customer_id": customer });
    let asked = post_raw(
        server,
        "delete_customer",
        &modern_call(id, "delete_customer", &arguments, None).to_string(),
    );
    assert_eq!(asked["result"]["resultType"], "input_required", "{asked}");
    let state = asked["result"]["requestState"].as_str().unwrap();
    let yes = json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    modern_call(id + 1, "delete_customer", &arguments, Some((&yes, state))).to_string()
}

fn deletes(api: &Emulator) -> usize {
    api.requests()
        .iter()
        .filter(|request| request.method == "DELETE")
        .count()
}

#[test]
fn an_answered_confirmation_acts_once_over_http_whatever_the_json_spelling() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"));
    let server = HttpMcpServer::start(&setup);
    let customer = api.insert_customer(1001, json!({ "company_name": "Une Fois SARL" }));
    let plain = yes_to_a_delete(&server, customer, 1);
    // The same answer as a guard reading bytes would not recognise it, then as it would.
    let spellings = [
        plain.replace("\"requestState\"", r#""request\u0053tate""#),
        plain.replace("\"tools/call\"", r#""tools\/call""#),
        plain.replacen('{', r#"{"method":"ping","#, 1),
        plain.replace(':', " : "),
        plain.clone(),
    ];
    // Sent at once from several connections, then once more one by one.
    std::thread::scope(|scope| {
        for spelling in &spellings {
            let server = &server;
            scope.spawn(move || post_raw(server, "delete_customer", spelling));
        }
    });
    for spelling in &spellings {
        let reply = post_raw(&server, "delete_customer", spelling);
        assert_eq!(
            reply["result"]["resultType"], "input_required",
            "a spent state must lead to a new question: {reply}"
        );
    }
    assert_eq!(deletes(&api), 1, "{:#?}", api.requests());
    assert!(api.customer(1001, customer).is_none());
}

#[test]
fn forged_states_are_refused_and_fill_no_memory() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"));
    let server = HttpMcpServer::start(&setup);
    let customer = api.insert_customer(1001, json!({ "company_name": "Pas Forgé" }));
    let arguments = json!({ "customer_id": customer });
    let yes = json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    for n in 0..200 {
        let forged = format!("eyJ0b29sIjoiZGVsZXRlX2N1c3RvbWVyIn0.forged{n}");
        let body = modern_call(n, "delete_customer", &arguments, Some((&yes, &forged)));
        let reply = post_raw(&server, "delete_customer", &body.to_string());
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("requestState rejected"), "{reply}");
    }
    assert_eq!(deletes(&api), 0);
    // A genuine confirmation still goes through.
    let done = yes_to_a_delete(&server, customer, 900);
    let reply = post_raw(&server, "delete_customer", &done);
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert_eq!(deletes(&api), 1);
}

// ---- the write-ahead audit ----------------------------------------------------------------

/// Waits (bounded) until the audit log holds a line with `event`.
fn wait_for_event(path: &Path, event: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lines = audit_lines(path);
        if lines.iter().any(|line| line["event"] == event) || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A stdio session whose host writes its audit log to `audit`.
fn audited_session(audit: &Path) -> TestSession {
    TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
    })
}

#[test]
fn a_write_cancelled_while_the_api_answers_is_still_audited_with_its_outcome() {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = audited_session(&audit);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(1500),
    });
    let call = json!({ "jsonrpc": "2.0", "id": 42, "method": "tools/call",
        "params": { "name": "create_customer", "arguments": { "company_name": "Annulé SARL" } } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    // The write is on its way: its line is already in the log, before any answer.
    let before = audit_lines(&audit);
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["event"], "sending");
    assert_eq!(before[0]["tool"], "create_customer");
    s.server.send_line(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":42}}"#,
    );
    let lines = wait_for_event(&audit, "answered");
    let created = s.emulator.customers(1001);
    assert_eq!(created.len(), 1, "the API carried out the write");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["event"], "answered");
    assert_eq!(lines[1]["write"], lines[0]["write"]);
    assert_eq!(lines[1]["status"], 201);
    assert_eq!(lines[1]["id"], created[0]["id"]);
    let (status, _) = s.server.finish();
    assert!(status.success());
}

#[test]
fn a_write_cut_off_by_the_api_is_audited_as_unknown() {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = audited_session(&audit);
    s.emulator.inject(Fault::CutAfterProcessing { times: 5 });
    s.call_error("create_customer", json!({ "company_name": "Coupé SARL" }));
    let lines = audit_lines(&audit);
    let unknown: Vec<&Value> = lines
        .iter()
        .filter(|line| line["event"] == "no_answer")
        .collect();
    assert!(!unknown.is_empty(), "{lines:?}");
    for line in &unknown {
        assert_eq!(line["outcome"], "unknown");
        assert_eq!(line["method"], "POST");
    }
    // Each attempt that left is in the log, as many as the API saw.
    let sent = lines
        .iter()
        .filter(|line| line["event"] == "sending")
        .count();
    let posts = s
        .emulator
        .requests()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    assert_eq!(sent, posts, "{lines:?}");
}

#[test]
fn a_write_in_flight_when_the_process_is_killed_is_already_in_the_log() {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = audited_session(&audit);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(5),
    });
    let call = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": { "name": "delete_customer", "arguments": { "customer_id": 404 } } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    let pid = s.server.pid();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["event"], "sending");
    assert_eq!(lines[0]["method"], "DELETE");
    assert_eq!(lines[0]["path"], "/firms/1001/customers/404.json");
}

/// A write cancelled while the API holds its answer, then the session ended at once: the
/// process settles the write before it exits, with its outcome when it comes within the
/// grace, else `no_answer`. Never a `sending` line left without its end.
fn cancelled_then_ended(api_delay: Duration) -> (Vec<Value>, Emulator) {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = audited_session(&audit);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: api_delay,
    });
    let call = json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": { "name": "create_customer", "arguments": { "company_name": "Fin SARL" } } });
    s.server.send_line(call.to_string().as_bytes());
    s.emulator.wait_for_requests(1);
    s.server.send_line(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}"#,
    );
    let (status, stderr) = s.server.finish();
    assert!(status.success(), "{stderr}");
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["event"], "sending");
    assert_eq!(lines[1]["write"], lines[0]["write"]);
    (lines, s.emulator)
}

#[test]
fn a_cancelled_write_still_on_its_way_at_exit_is_settled_in_the_log() {
    let (lines, api) = cancelled_then_ended(Duration::from_millis(1500));
    assert_eq!(lines[1]["event"], "answered", "{lines:?}");
    assert_eq!(lines[1]["status"], 201);
    assert_eq!(lines[1]["id"], api.customers(1001)[0]["id"]);
    // An answer that does not come within the grace: the outcome is logged as unknown.
    let (lines, _) = cancelled_then_ended(Duration::from_secs(20));
    assert_eq!(lines[1]["event"], "no_answer", "{lines:?}");
    assert_eq!(lines[1]["outcome"], "unknown");
}

#[test]
fn with_nowhere_to_keep_the_audit_log_the_start_says_so() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .without_env("FACTURATION_AUDIT_LOG")
        .run_with_input("");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("writes are not recorded"), "{said}");
}

#[test]
fn a_write_that_cannot_be_logged_is_not_sent() {
    // /dev/full accepts the file's opening and refuses every line, as a full disk would.
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_AUDIT_LOG", "/dev/full")
    });
    let error = s.call_error(
        "create_customer",
        json!({ "company_name": "Sans Trace SARL" }),
    );
    assert!(
        error.contains("audit log") && error.contains("nothing was sent"),
        "{error}"
    );
    assert!(
        s.emulator.requests().is_empty(),
        "{:#?}",
        s.emulator.requests()
    );
    // Reads are not writes: they still work.
    s.call("list_customers", json!({}));
}

#[test]
fn a_second_request_under_the_id_of_one_in_flight_is_refused() {
    let mut s = TestSession::new();
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(1000),
    });
    let call = |name: &str| {
        json!({ "jsonrpc": "2.0", "id": "same", "method": "tools/call",
            "params": { "name": "create_customer", "arguments": { "company_name": name } } })
        .to_string()
    };
    s.server.send_line(call("Premier SARL").as_bytes());
    s.emulator.wait_for_requests(1);
    s.server.send_line(call("Second SARL").as_bytes());
    let refused = s.server.read_message();
    assert_eq!(refused["id"], "same");
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    let first = s.server.read_message();
    assert_eq!(first["id"], "same");
    assert_eq!(first["result"]["isError"], false, "{first}");
    let names: Vec<Value> = s
        .emulator
        .customers(1001)
        .iter()
        .map(|customer| customer["company_name"].clone())
        .collect();
    assert_eq!(names, [json!("Premier SARL")]);
}

// ---- one use per confirmation, across processes -------------------------------------------

#[test]
fn with_a_shared_state_key_an_answer_acts_once_across_processes_and_restarts() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    // Two servers started from the same settings, as two clients of one user would.
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env("HOME", home.path().to_str().unwrap())
        .with_env("FACTURATION_STATE_KEY", "one key in the user's settings");
    let first = HttpMcpServer::start(&setup);
    let second = HttpMcpServer::start(&setup);
    let customer = api.insert_customer(1001, json!({ "company_name": "Une Seule Fois" }));
    let answer = yes_to_a_delete(&first, customer, 1);
    let done = post_raw(&first, "delete_customer", &answer);
    assert_eq!(done["result"]["isError"], false, "{done}");
    let replayed = post_raw(&second, "delete_customer", &answer);
    assert_eq!(
        replayed["result"]["resultType"], "input_required",
        "{replayed}"
    );
    drop(first);
    let restarted = HttpMcpServer::start(&setup);
    let replayed = post_raw(&restarted, "delete_customer", &answer);
    assert_eq!(
        replayed["result"]["resultType"], "input_required",
        "{replayed}"
    );
    assert_eq!(deletes(&api), 1, "{:#?}", api.requests());
    assert!(
        home.path()
            .join(".config/facturation-pro-mcp/answered-states.sqlite3")
            .is_file()
    );
    // Without a configuration folder, the key cannot be honoured: the start says so.
    let refused = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_STATE_KEY", "a key with nowhere to remember")
        .run_with_input("");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("FACTURATION_STORE"),
        "{said}"
    );
}

// ---- settings only from where the user put them ------------------------------------------

#[test]
fn a_dotenv_in_the_working_folder_cannot_redirect_the_key() {
    let fixture = ServerFixture::new();
    let attacker = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    // A cloned project's .env, in the folder the editor starts the server in.
    fixture.write_file(
        ".env",
        &format!(
            "FACTURATION_BASE_URL={}\nFACTURATION_API_KEY=from-the-project\n",
            attacker.base_url()
        ),
    );
    // The client's configuration gives the key and leaves the API's address to the default.
    let setup = fixture
        .setup()
        .without_env("FACTURATION_BASE_URL")
        .with_env("FACTURATION_TIMEOUT_SECS", "2");
    let output = setup.clone().with_args(&["check"]).run_with_input("");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        attacker.requests().is_empty(),
        "the project's .env received the key: {:#?}",
        attacker.requests()
    );
    // The real service is out of reach from here: the check names it, not the project's.
    assert!(!output.status.success());
    assert!(stderr.contains("www.facturation.pro"), "{stderr}");
    assert!(!stderr.contains(&attacker.base_url()), "{stderr}");
    // With the address in the environment too, the key from the environment goes there.
    let output = fixture.setup().with_args(&["check"]).run_with_input("");
    assert!(output.status.success(), "{output:?}");
    assert!(
        fixture
            .requests()
            .iter()
            .all(|request| request.basic_auth()
                == Some(("demo-api-id".into(), "demo-api-key".into())))
    );
    assert!(attacker.requests().is_empty());
}

#[test]
fn a_named_settings_file_that_is_missing_is_an_error_not_a_fallback() {
    let fixture = ServerFixture::new();
    let output = fixture
        .setup()
        .with_args(&["--env-file", "/nonexistent/settings.env", "check"])
        .run_with_input("");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/settings.env"));
    fixture.assert_no_api_request();
}

#[test]
fn plain_http_beyond_this_machine_is_refused_before_any_traffic() {
    let fixture = ServerFixture::new();
    let output = fixture
        .setup()
        .with_env("FACTURATION_BASE_URL", "http://192.0.2.10:8080")
        .with_args(&["check"])
        .run_with_input("");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FACTURATION_ALLOW_PLAIN_HTTP"), "{stderr}");
    assert!(!stderr.contains("demo-api-key"));
}

#[test]
fn a_downloads_folder_holding_the_settings_is_refused() {
    let fixture = ServerFixture::new();
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".config/facturation-pro-mcp");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(".env"), "FACTURATION_API_KEY=demo-api-key\n").unwrap();
    let output = fixture
        .setup()
        .with_env("HOME", home.path().to_str().unwrap())
        .with_env("FACTURATION_AUDIT_LOG", "off")
        .with_env("FACTURATION_DOWNLOADS_DIR", home.path().to_str().unwrap())
        .run_with_input("");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FACTURATION_DOWNLOADS_DIR"), "{stderr}");
    fixture.assert_no_api_request();
}

#[test]
fn a_ca_file_the_sandbox_could_write_is_refused() {
    let fixture = ServerFixture::new();
    let downloads = tempfile::tempdir().unwrap();
    // A valid certificate, as a tool could have saved it there during an earlier session.
    TestCa::new()
        .unwrap()
        .write_pem(&downloads.path().join("company-ca.pem"))
        .unwrap();
    std::fs::create_dir(downloads.path().join("sub")).unwrap();
    let planted = downloads.path().join("sub/../company-ca.pem");
    let output = fixture
        .setup()
        .with_env("FACTURATION_AUDIT_LOG", "off")
        .with_env(
            "FACTURATION_DOWNLOADS_DIR",
            downloads.path().to_str().unwrap(),
        )
        .with_env("FACTURATION_CA_FILE", planted.to_str().unwrap())
        .run_with_input("");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("FACTURATION_CA_FILE must be outside"),
        "{stderr}"
    );
    fixture.assert_no_api_request();
}

// ---- limits that hold under load ----------------------------------------------------------

#[test]
fn every_runaway_instance_is_stopped_however_many_share_the_cores() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let probe = probe_component();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_args(&["--component", probe.to_str().unwrap()])
        .with_env("FACTURATION_CPU_LIMIT_SECS", "1");
    let mut server = McpServer::spawn(&setup);
    // Four times as many spinning instances as this machine has cores, at least eight: each
    // gets a share of the time, and each must be stopped once its own share reaches the limit.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let runaways = (cores * 4).max(8);
    for id in 0..runaways {
        server.send_line(probe_request(id as u64, "spin 120").to_string().as_bytes());
    }
    for _ in 0..runaways {
        let answer = server.read_message();
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("computed for over 1 s"), "{answer}");
    }
    server.send_line(probe_request(999, "spin 0").to_string().as_bytes());
    assert!(probe_outcome(&server.read_message(), "spin 0").is_ok());
    let (status, _) = server.finish();
    assert!(status.success());
}

// ---- only regular, visible files inside the downloads folder leave ------------------------

#[test]
fn hidden_files_and_anything_but_regular_files_are_never_uploaded() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| setup);
    let owner = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Cible" }));
    let downloads = s.downloads();
    let outside = downloads.parent().unwrap().join("settings.env");
    std::fs::write(&outside, "FACTURATION_API_KEY=demo-api-key\n").unwrap();
    std::fs::create_dir_all(downloads.join("a/.hidden")).unwrap();
    std::fs::create_dir_all(downloads.join("sub/.git")).unwrap();
    std::fs::create_dir_all(downloads.join("folder")).unwrap();
    for hidden in [".env", "a/.hidden/x.pdf", "sub/.git/config"] {
        std::fs::write(downloads.join(hidden), "FACTURATION_API_KEY=demo-api-key\n").unwrap();
    }
    let fifo = downloads.join("pipe.pdf");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, downloads.join("link.pdf")).unwrap();
    for path in [
        ".env",
        "a/.hidden/x.pdf",
        "sub/.git/config",
        "folder",
        "pipe.pdf",
        "link.pdf",
        "a/./.hidden/x.pdf",
        "a//.hidden/x.pdf",
    ] {
        let result = s.server.call_tool(
            "upload_customer_file",
            json!({ "customer_id": owner, "path": path }),
        );
        assert_eq!(result["isError"], true, "{path} was accepted: {result}");
    }
    let uploads: Vec<_> = s
        .emulator
        .requests()
        .into_iter()
        .filter(|request| request.method != "GET")
        .collect();
    assert!(uploads.is_empty(), "{uploads:#?}");
    assert!(s.emulator.records(1001, "assets").is_empty());
}
