//! The MCP protocol as a client sees it through the real `facturation-pro-mcp` binary over
//! stdio: the handshake, version negotiation, tool listing and paging, and how the server
//! answers (and survives) malformed or unexpected messages. Every server talks to its own
//! emulator, whose request log shows what reached the API and what did not.

use facturation_pro_emulator::harness::{McpServer, ServerFixture, ServerSetup, assert_route};
use serde_json::{Value, json};

const NEWEST_VERSION: &str = "2025-11-25";
const SUPPORTED_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// A server from `setup` that has completed the handshake with the newest protocol version.
fn initialized(setup: &ServerSetup) -> McpServer {
    let mut server = McpServer::spawn(setup);
    let result = server.initialize(NEWEST_VERSION);
    assert_eq!(
        result["protocolVersion"], NEWEST_VERSION,
        "initialize failed: {result}"
    );
    server
}

/// Writes one raw line and returns the reply it gets.
fn reply_to_line(server: &mut McpServer, line: &[u8]) -> Value {
    server.send_line(line);
    server.read_message()
}

/// The error code of a JSON-RPC error response, checking it is one and carries a message.
fn error_code(response: &Value) -> i64 {
    assert_eq!(
        response["jsonrpc"], "2.0",
        "not a JSON-RPC message: {response}"
    );
    assert!(
        response.get("result").is_none(),
        "expected an error, got a result: {response}"
    );
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "the error has no message: {response}");
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

/// The names of the tools in a `tools/list` result, in order.
fn tool_names(result: &Value) -> Vec<String> {
    result["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools array in {result}"))
        .iter()
        .map(|tool| tool["name"].as_str().expect("tool name").to_owned())
        .collect()
}

/// Calls get_account and checks both the tool result and the one API request it made.
fn assert_get_account_works(server: &mut McpServer, fixture: &ServerFixture) {
    let requests_before = fixture.requests().len();
    let result = server.call_tool("get_account", json!({}));
    assert_eq!(result["isError"], false, "get_account failed: {result}");
    let account = &result["structuredContent"];
    assert_eq!(account["email"], "demo@example.test");
    assert_eq!(
        account["firms"][0],
        json!({ "id": 1001, "name": "Atelier Demo SARL" })
    );
    assert_eq!(
        account["firms"][1],
        json!({ "id": 1002, "name": "Second Firm SAS" })
    );

    let requests = fixture.requests();
    assert_eq!(
        requests.len(),
        requests_before + 1,
        "get_account made {requests:#?}"
    );
    let request = requests.last().unwrap();
    assert_route(request, "GET", "/account.json");
    assert!(
        request.query.is_empty(),
        "unexpected query {:?}",
        request.query
    );
    assert_eq!(request.status, 200);
}

// ---- initialize -------------------------------------------------------------------------

#[test]
fn initialize_echoes_each_supported_protocol_version() {
    let fixture = ServerFixture::new();
    for version in SUPPORTED_VERSIONS {
        let mut server = McpServer::spawn(&fixture.setup());
        let result = server.initialize(version);
        assert_eq!(
            result["protocolVersion"], version,
            "asked for {version}, got {result}"
        );
        let (status, stderr) = server.finish();
        assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    }
    // The handshake alone never reaches the API.
    fixture.assert_no_api_request();
}

#[test]
fn initialize_answers_an_unknown_version_with_the_newest_one() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup());
    let result = server.initialize("1999-01-01");
    assert_eq!(result["protocolVersion"], NEWEST_VERSION);
    fixture.assert_no_api_request();
}

#[test]
fn initialize_describes_the_server_and_its_tools_capability() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup());
    let result = server.initialize(NEWEST_VERSION);

    let info = &result["serverInfo"];
    assert_eq!(info["name"], "facturation-pro-mcp");
    assert!(
        info["title"]
            .as_str()
            .is_some_and(|title| !title.is_empty()),
        "title: {info}"
    );
    assert!(
        info["version"]
            .as_str()
            .is_some_and(|version| !version.is_empty()),
        "version: {info}"
    );
    let instructions = result["instructions"].as_str().unwrap_or_default();
    assert!(
        instructions.contains("get_account"),
        "instructions: {instructions:?}"
    );
    assert!(
        result["capabilities"]["tools"].is_object(),
        "capabilities: {}",
        result["capabilities"]
    );
    fixture.assert_no_api_request();
}

// ---- ping and notifications -------------------------------------------------------------

#[test]
fn ping_returns_an_empty_object() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = server.request("ping", json!({}));
    assert_eq!(response["result"], json!({}));
    assert!(response.get("error").is_none(), "{response}");
    fixture.assert_no_api_request();
}

#[test]
fn notifications_get_no_reply() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup());
    // `initialize` in the harness already sends notifications/initialized; send it again
    // with cancelled, then check that the very next line read answers the next request.
    server.initialize(NEWEST_VERSION);
    server.notify("notifications/initialized", json!({}));
    server.notify(
        "notifications/cancelled",
        json!({ "requestId": 1, "reason": "user gave up" }),
    );
    let response = server.request("ping", json!({}));
    assert_eq!(response["result"], json!({}));

    let (status, _) = server.finish();
    assert_eq!(status.code(), Some(0));
    fixture.assert_no_api_request();
}

// ---- tools/list -------------------------------------------------------------------------

#[test]
fn tools_list_returns_every_tool_in_one_page_by_default() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let result = server.request("tools/list", json!({}))["result"].clone();
    let names = tool_names(&result);
    assert!(names.len() > 60, "the whole API is covered: {names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "duplicate tool names: {names:?}");
    assert!(
        result.get("nextCursor").is_none(),
        "one page expected: {result}"
    );
    fixture.assert_no_api_request();
}

#[test]
fn every_tool_is_described_with_schemas_and_annotations() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let result = server.request("tools/list", json!({}))["result"].clone();

    for tool in result["tools"].as_array().expect("tools") {
        let name = tool["name"].as_str().expect("name");
        assert!(
            tool["title"]
                .as_str()
                .is_some_and(|title| !title.is_empty()),
            "{name}: {tool}"
        );
        assert!(
            tool["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{name}: {tool}"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");

        let annotations = &tool["annotations"];
        for hint in ["readOnlyHint", "destructiveHint", "idempotentHint"] {
            assert!(annotations[hint].is_boolean(), "{name}: {annotations}");
        }
        assert_eq!(annotations["openWorldHint"], true, "{name}: {annotations}");
    }
    fixture.assert_no_api_request();
}

#[test]
fn tools_list_pages_with_a_cursor_when_the_page_size_is_small() {
    let fixture = ServerFixture::new();
    let everything = {
        let mut server = initialized(&fixture.setup());
        tool_names(&server.request("tools/list", json!({}))["result"])
    };
    let mut server = initialized(&fixture.setup().with_env("FACTURATION_TOOLS_PAGE_SIZE", "4"));

    // Follow the cursors to the end: pages of four that add up to the whole list.
    let mut collected = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = cursor.map_or(json!({}), |cursor| json!({ "cursor": cursor }));
        let page = server.request("tools/list", params)["result"].clone();
        let names = tool_names(&page);
        assert!(names.len() <= 4 && !names.is_empty(), "{page}");
        collected.extend(names);
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(collected, everything);
    fixture.assert_no_api_request();
}

#[test]
fn tools_list_refuses_a_made_up_cursor() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup().with_env("FACTURATION_TOOLS_PAGE_SIZE", "4"));
    let response = server.request("tools/list", json!({ "cursor": "page-two-please" }));
    assert_eq!(error_code(&response), INVALID_PARAMS);
}

// ---- errors -----------------------------------------------------------------------------

#[test]
fn unknown_methods_get_method_not_found() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    for method in ["resources/subscribe", "server/discover"] {
        let response = server.request(method, json!({}));
        assert_eq!(
            error_code(&response),
            METHOD_NOT_FOUND,
            "{method}: {response}"
        );
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains(method), "{method}: {message}");
    }
    fixture.assert_no_api_request();
}

#[test]
fn an_unparseable_line_gets_a_parse_error_with_a_null_id() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = reply_to_line(&mut server, br#"{"jsonrpc":"2.0","id":7,"method":"ping""#);
    assert_eq!(error_code(&response), PARSE_ERROR);
    assert_eq!(response["id"], Value::Null);
}

#[test]
fn a_line_of_invalid_utf8_gets_a_parse_error() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = reply_to_line(
        &mut server,
        b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"p\xffing\"}",
    );
    assert_eq!(error_code(&response), PARSE_ERROR);
    assert_eq!(response["id"], Value::Null);
}

#[test]
fn params_that_are_not_an_object_get_invalid_params_with_the_request_id() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = reply_to_line(
        &mut server,
        br#"{"jsonrpc":"2.0","id":41,"method":"tools/list","params":[1,2]}"#,
    );
    assert_eq!(error_code(&response), INVALID_PARAMS);
    assert_eq!(response["id"], 41);
}

#[test]
fn tools_call_without_a_name_gets_invalid_params() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = server.request("tools/call", json!({ "arguments": {} }));
    assert_eq!(error_code(&response), INVALID_PARAMS);
    fixture.assert_no_api_request();
}

#[test]
fn tools_call_of_an_unknown_tool_gets_invalid_params() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let response = server.request(
        "tools/call",
        json!({ "name": "issue_magic_refund", "arguments": {} }),
    );
    assert_eq!(error_code(&response), INVALID_PARAMS);
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("issue_magic_refund"),
        "{response}"
    );
    fixture.assert_no_api_request();
}

#[test]
fn a_batch_gets_invalid_request() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let batch = json!([
        { "jsonrpc": "2.0", "id": 90, "method": "ping" },
        { "jsonrpc": "2.0", "id": 91, "method": "tools/list" },
    ]);
    let response = reply_to_line(&mut server, batch.to_string().as_bytes());
    assert_eq!(error_code(&response), INVALID_REQUEST);
    assert_eq!(response["id"], Value::Null);
    // One error for the whole batch, not one answer per member: the next line read is the
    // reply to the next request.
    assert_eq!(server.request("ping", json!({}))["result"], json!({}));
}

#[test]
fn tools_list_before_initialize_is_refused() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup());
    let response = server.request("tools/list", json!({}));
    assert_eq!(error_code(&response), INVALID_REQUEST);
    let early_call = server.request(
        "tools/call",
        json!({ "name": "get_account", "arguments": {} }),
    );
    assert_eq!(error_code(&early_call), INVALID_REQUEST);
    fixture.assert_no_api_request();
}

#[test]
fn the_session_survives_every_malformed_message_and_still_serves_tools() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup());

    assert_eq!(
        error_code(&server.request("tools/list", json!({}))),
        INVALID_REQUEST
    );
    assert_eq!(
        server.initialize(NEWEST_VERSION)["protocolVersion"],
        NEWEST_VERSION
    );
    assert_eq!(
        error_code(&server.request("server/discover", json!({}))),
        METHOD_NOT_FOUND
    );
    assert_eq!(
        error_code(&reply_to_line(&mut server, b"this is not json")),
        PARSE_ERROR
    );
    assert_eq!(
        error_code(&reply_to_line(&mut server, b"\xc3\x28\xa0\xa1")),
        PARSE_ERROR
    );
    assert_eq!(
        error_code(&reply_to_line(
            &mut server,
            br#"{"jsonrpc":"2.0","id":"x","method":"ping","params":"p"}"#
        )),
        INVALID_PARAMS
    );
    assert_eq!(
        error_code(&server.request("tools/call", json!({}))),
        INVALID_PARAMS
    );
    assert_eq!(
        error_code(&server.request("tools/call", json!({ "name": "nope" }))),
        INVALID_PARAMS
    );
    assert_eq!(
        error_code(&reply_to_line(
            &mut server,
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#
        )),
        INVALID_REQUEST
    );
    // None of the above reached the API.
    fixture.assert_no_api_request();

    assert_get_account_works(&mut server, &fixture);
    let (status, stderr) = server.finish();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

#[test]
fn the_server_exits_with_status_zero_when_stdin_closes() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    assert_get_account_works(&mut server, &fixture);
    let (status, stderr) = server.finish();
    assert!(status.success(), "exit status {status}, stderr: {stderr}");
    assert_eq!(status.code(), Some(0));
    // Closing the session makes no further API request.
    assert_eq!(fixture.requests().len(), 1);
}

// ---- argument checking ------------------------------------------------------------------

#[test]
fn a_wrongly_typed_argument_is_a_tool_error_and_sends_nothing() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let result = server.call_tool("get_customer", json!({ "customer_id": "abc" }));
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("customer_id"),
        "the message does not name the field: {text:?}"
    );
    assert!(result.get("structuredContent").is_none(), "{result}");
    fixture.assert_no_api_request();
}

#[test]
fn a_wrongly_typed_query_argument_is_a_tool_error_and_sends_nothing() {
    let fixture = ServerFixture::new();
    let mut server = initialized(&fixture.setup());
    let result = server.call_tool("list_customers", json!({ "page": "two" }));
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("`page`"),
        "the message does not name the field: {text:?}"
    );
    fixture.assert_no_api_request();
}
