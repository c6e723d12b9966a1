//! The switches that shrink what the assistant can do: read-only mode (enforced twice: the
//! guest hides write tools, the host refuses every non-GET request), toolsets and tool
//! lists, and the host's audit log of every write.

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::probe::{probe_outcome, probe_params};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, TestSession, probe_component};
use serde_json::{Value, json};

fn listed(session: &mut TestSession) -> Vec<Value> {
    session.server.request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .unwrap()
        .clone()
}

fn names(tools: &[Value]) -> Vec<&str> {
    tools
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect()
}

#[test]
fn read_only_mode_offers_only_reading_tools() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_READ_ONLY", "1")
    });
    let tools = listed(&mut s);
    assert!(
        tools.len() > 20,
        "the reading tools remain: {:?}",
        names(&tools)
    );
    assert!(
        tools
            .iter()
            .all(|tool| tool["annotations"]["readOnlyHint"] == true),
        "{:?}",
        names(&tools)
    );
    assert!(names(&tools).contains(&"download_invoice_pdf"));

    let refused = s.server.request(
        "tools/call",
        json!({ "name": "create_customer", "arguments": { "company_name": "X" } }),
    );
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    s.assert_no_request();
    s.call("get_account", json!({}));
}

#[test]
fn in_read_only_mode_the_host_refuses_writes_even_from_a_rogue_guest() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let probe = probe_component();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_READ_ONLY", "1")
        .with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
        .with_args(&["--component", probe.to_str().unwrap()]);
    let mut server = McpServer::spawn(&setup);

    for method in ["POST", "DELETE"] {
        let command = format!("http {method} {}/firms/1001/customers.json", api.base_url());
        let response = server.request("probe", probe_params(&command));
        let error = probe_outcome(&response, &command).unwrap_err();
        assert!(error.contains("HttpRequestDenied"), "{error}");
    }
    let command = format!("http GET {}/account.json", api.base_url());
    let response = server.request("probe", probe_params(&command));
    let answer = probe_outcome(&response, &command).expect("reads are allowed");
    assert_eq!(answer["status"], 200);
    let methods: Vec<String> = api
        .requests()
        .iter()
        .map(|request| request.method.clone())
        .collect();
    assert_eq!(methods, ["GET"], "only the read reached the API");

    let (status, stderr) = server.finish();
    assert!(status.success());
    assert!(stderr.contains("read-only mode refused POST"), "{stderr}");
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        2,
        "both refused writes are in the audit log: {lines:?}"
    );
    assert!(lines.iter().all(|line| line["status"].is_null()));
    assert!(
        lines.iter().all(|line| line["event"] == "refused"),
        "{lines:?}"
    );
}

#[test]
fn toolsets_and_tool_lists_narrow_what_the_model_sees() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup
            .with_env("FACTURATION_TOOLSETS", "invoices,account")
            .with_env("FACTURATION_EXCLUDE_TOOLS", "delete_invoice")
    });
    let tools = listed(&mut s);
    for tool in &tools {
        let toolset = tool["_meta"]["facturation-pro/toolset"].as_str().unwrap();
        assert!(
            ["invoices", "account"].contains(&toolset),
            "{}",
            tool["name"]
        );
    }
    let names = names(&tools);
    assert!(names.contains(&"create_invoice") && names.contains(&"get_account"));
    assert!(!names.contains(&"delete_invoice") && !names.contains(&"list_customers"));

    let mut only = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_TOOLS", "get_account, list_invoices")
    });
    let tools = listed(&mut only);
    assert_eq!(self::names(&tools), ["get_account", "list_invoices"]);
}

#[test]
fn an_unknown_toolset_or_tool_name_stops_the_server_before_any_traffic() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("FACTURATION_TOOLSETS", "invoices,payroll"),
        ("FACTURATION_EXCLUDE_TOOLS", "delete_everything"),
    ] {
        let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
            .with_env(variable, value);
        let output = setup.run_with_input("");
        assert!(!output.status.success());
        assert!(output.stdout.is_empty(), "no MCP traffic");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(variable), "{stderr}");
    }
    assert!(api.requests().is_empty());
}

#[test]
fn every_write_is_audited_by_the_host() {
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("logs").join("audit.jsonl");
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
    });
    let created = s.call("create_customer", json!({ "company_name": "Audited SARL" }));
    let id = created["id"].as_u64().unwrap();
    s.call(
        "update_customer",
        json!({ "customer_id": id, "city": "Nantes" }),
    );
    s.call("get_customer", json!({ "customer_id": id }));
    s.call_error("delete_customer", json!({ "customer_id": 999_999 }));

    let all: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Each write has its line before it left, then its outcome under the same id.
    let lines: Vec<Value> = all
        .iter()
        .filter(|line| line["event"] == "answered")
        .cloned()
        .collect();
    for answered in &lines {
        let sent_before = all
            .iter()
            .take_while(|line| *line != answered)
            .any(|line| line["event"] == "sending" && line["write"] == answered["write"]);
        assert!(sent_before, "no `sending` line before {answered}: {all:?}");
    }
    let summary: Vec<(String, String, String, Value)> = lines
        .iter()
        .map(|line| {
            let text = |key: &str| line[key].as_str().unwrap_or_default().to_string();
            (
                text("tool"),
                text("method"),
                text("path"),
                line["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "create_customer".into(),
                "POST".into(),
                "/firms/1001/customers.json".into(),
                json!(201)
            ),
            (
                "update_customer".into(),
                "PATCH".into(),
                format!("/firms/1001/customers/{id}.json"),
                json!(200)
            ),
            (
                "delete_customer".into(),
                "DELETE".into(),
                "/firms/1001/customers/999999.json".into(),
                json!(404)
            ),
        ]
    );
    assert_eq!(
        lines[0]["id"],
        json!(id),
        "the new record's id, from Location"
    );
    assert!(
        lines
            .iter()
            .all(|line| line["time"].as_str().is_some_and(|t| t.ends_with('Z')))
    );
    // The tool-name hint is for the log only: the API never sees it.
    assert!(
        s.emulator
            .requests()
            .iter()
            .all(|request| request.header("x-facturation-tool").is_none())
    );
}

#[test]
fn the_audit_log_cannot_live_in_the_downloads_folder() {
    let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let downloads = home.path().join("downloads");
    let setup = ServerSetup::against(&api.base_url(), &downloads).with_env(
        "FACTURATION_AUDIT_LOG",
        downloads.join("audit.jsonl").to_str().unwrap(),
    );
    let output = setup.run_with_input("");
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("FACTURATION_AUDIT_LOG")
    );
}
