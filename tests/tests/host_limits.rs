//! The host's limits on the component: a memory ceiling, a budget of computation per
//! request, and a clear answer when an instance crashes. Each MCP request runs in its
//! own instance, so a crash costs that one request: the host answers it with an error that
//! names the cause and goes on serving the next. The probe component plays the runaway;
//! the guest's test-only fixture build (guest/src/fixtures/hostile.rs) plays a guest that
//! answers without end or opens resources without end.

use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::probe::{
    modern_meta, probe_outcome, probe_params, probe_request,
};
use facturation_pro_emulator::harness::{
    McpServer, ServerSetup, fixture_component, probe_component,
};
use serde_json::{Value, json};

fn probe_setup(api: &Emulator, home: &std::path::Path) -> ServerSetup {
    let probe = probe_component();
    ServerSetup::against(&api.base_url(), &home.join("downloads"))
        .with_args(&["--component", probe.to_str().unwrap()])
        .with_env("FACTURATION_CPU_LIMIT_SECS", "1")
}

fn api() -> Emulator {
    Emulator::start(EmulatorConfig::without_demo_data()).unwrap()
}

/// Sends one probe command and returns the whole response to it.
fn probe(server: &mut McpServer, command: &str) -> Value {
    server.request("probe", probe_params(command))
}

/// The message of the host's answer for an instance that crashed on this request.
fn crash_message(response: &Value) -> &str {
    assert_eq!(
        response["error"]["code"], -32603,
        "expected the host's crash error: {response}"
    );
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("crashed"), "{response}");
    message
}

/// Ends the session and checks that the process, unlike its crashed instances, ended well.
fn finish_cleanly(server: McpServer) {
    let (status, stderr) = server.finish();
    assert!(status.success(), "{stderr}");
}

#[test]
fn memory_beyond_the_ceiling_fails_that_request_only() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));

    assert_eq!(
        probe_outcome(&probe(&mut server, "alloc 16"), "alloc 16"),
        Ok(json!(16))
    );
    let blown = probe(&mut server, "alloc 400");
    assert!(crash_message(&blown).contains("memory limit"), "{blown}");
    // The next request runs in a new instance, which has the whole ceiling to itself again.
    assert_eq!(
        probe_outcome(&probe(&mut server, "alloc 100"), "alloc 100"),
        Ok(json!(100))
    );
    finish_cleanly(server);
}

#[test]
fn a_request_computing_past_its_budget_is_stopped_and_the_next_is_served() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));

    // `spin` runs for a wall-clock time, while the budget counts the guest's own computing:
    // on a loaded machine a guest gets only part of each second, so a spin just past the
    // budget could end before using it. One a minute long can only end by the budget.
    let stopped = probe(&mut server, "spin 60");
    assert!(
        crash_message(&stopped).contains("computed for over 1 s"),
        "{stopped}"
    );
    assert!(probe_outcome(&probe(&mut server, "spin 0"), "spin 0").is_ok());
    finish_cleanly(server);
}

#[test]
fn runaway_requests_do_not_hold_up_the_others() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));

    // Requests overlap, each in its own instance: two runaways spin (on stdio the host has
    // a single worker thread), and meanwhile a quick request and one that waits on the API
    // are answered; the watchdog then stops each runaway alone.
    let account = format!("http GET {}/account.json", api.base_url());
    server.send_line(probe_request(1, "spin 60").to_string().as_bytes());
    server.send_line(probe_request(2, "spin 60").to_string().as_bytes());
    server.send_line(probe_request(3, "alloc 1").to_string().as_bytes());
    server.send_line(probe_request(4, &account).to_string().as_bytes());
    let mut quick = [server.read_message(), server.read_message()];
    quick.sort_by_key(|answer| answer["id"].as_u64());
    assert_eq!(quick[0]["id"], 3, "a quick request waited: {quick:?}");
    assert_eq!(probe_outcome(&quick[0], "alloc 1"), Ok(json!(1)));
    assert_eq!(
        quick[1]["id"], 4,
        "a request waiting on the API waited: {quick:?}"
    );
    assert_eq!(probe_outcome(&quick[1], &account).unwrap()["status"], 200);
    for _ in 0..2 {
        let stopped = server.read_message();
        assert!(matches!(stopped["id"].as_u64(), Some(1 | 2)), "{stopped}");
        assert!(
            crash_message(&stopped).contains("computed for over 1 s"),
            "{stopped}"
        );
    }
    finish_cleanly(server);
}

#[test]
fn waiting_for_the_client_is_not_computing() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));
    // Idle for longer than the one-second limit, then work briefly: nothing is stopped.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(probe_outcome(&probe(&mut server, "spin 0"), "spin 0").is_ok());
    finish_cleanly(server);
}

/// Instances come from a pool of memory slots that later requests reuse (on Linux 6.7 and
/// later); whatever one request leaves in its memory must be gone when the next starts.
#[test]
fn nothing_one_request_leaves_in_memory_reaches_the_next() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));
    for round in 0..4 {
        let report = probe_outcome(&probe(&mut server, "residue"), "residue")
            .unwrap_or_else(|error| panic!("round {round}: {error}"));
        assert_eq!(
            report,
            json!({ "data": "pristine-data---", "nonzero_heap_bytes": 0 }),
            "round {round} found what an earlier request left"
        );
    }
    finish_cleanly(server);
}

#[test]
fn a_crash_answers_that_request_and_the_session_goes_on() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));

    crash_message(&probe(&mut server, "trap"));
    assert_eq!(
        probe_outcome(&probe(&mut server, "list /downloads"), "list /downloads"),
        Ok(json!([]))
    );
    finish_cleanly(server);
}

// ---- a guest that does not play fair ------------------------------------------------------

/// The tools of guest/src/fixtures/hostile.rs, in the test-only fixture build.
const HOSTILE_TOOLS: [&str; 2] = ["hostile_oversized_answer", "hostile_resource_flood"];

fn hostile_setup(api: &Emulator, home: &std::path::Path) -> ServerSetup {
    let fixtures = fixture_component();
    ServerSetup::against(&api.base_url(), &home.join("downloads"))
        .with_args(&["--component", fixtures.to_str().unwrap()])
}

fn call(server: &mut McpServer, tool: &str) -> Value {
    server.request(
        "tools/call",
        json!({ "name": tool, "arguments": {}, "_meta": modern_meta() }),
    )
}

/// A real tool of the same build answers as usual, in a fresh instance.
fn assert_still_served(server: &mut McpServer) {
    let answer = call(server, "test_simple_text");
    assert_eq!(answer["result"]["isError"], Value::Null, "{answer}");
    assert!(
        answer["result"]["content"][0]["text"].is_string(),
        "{answer}"
    );
}

#[test]
fn an_answer_past_64_mib_is_dropped_with_a_clear_error_and_the_next_is_served() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&hostile_setup(&api, home.path()));

    // A well-formed result padded with 100 MiB of white space: taken whole, it would be a
    // success for the client. The host stops reading at its cap instead.
    let dropped = call(&mut server, "hostile_oversized_answer");
    assert!(
        crash_message(&dropped).contains("larger than 64 MiB"),
        "{dropped}"
    );
    assert!(dropped.get("result").is_none(), "{dropped}");
    assert_still_served(&mut server);
    assert!(api.requests().is_empty());
    finish_cleanly(server);
}

#[test]
fn a_guest_opening_resources_without_end_is_stopped_at_the_table_limit() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&hostile_setup(&api, home.path()));

    // The tool holds every header collection it creates and reports how many it got; the
    // host's table refuses one long before the 100,000th, which ends that instance alone.
    let stopped = call(&mut server, "hostile_resource_flood");
    assert!(
        crash_message(&stopped).contains("resource table has no free keys"),
        "{stopped}"
    );
    assert_still_served(&mut server);
    finish_cleanly(server);
}

/// The hostile tools exist only in the test build (the whole fixture module is left out of
/// the component we ship, which tests/tests/conformance.rs checks): the embedded component
/// knows no tool by those names and runs nothing.
#[test]
fn the_shipped_component_has_no_hostile_tools() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&ServerSetup::against(
        &api.base_url(),
        &home.path().join("downloads"),
    ));
    for name in HOSTILE_TOOLS {
        let answer = call(&mut server, name);
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(name), "{answer}");
        assert!(!message.contains("crashed"), "{answer}");
        assert!(answer.get("result").is_none(), "{answer}");
    }
    assert!(api.requests().is_empty());
    finish_cleanly(server);
}
