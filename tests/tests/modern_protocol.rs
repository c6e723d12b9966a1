//! MCP 2026-07-28 over stdio, through the real binary: every request carries its protocol
//! version and the client's capabilities in `params._meta`, with no handshake, and every
//! result says what it is (`resultType`). Confirmation of irreversible calls travels as an
//! `input_required` result whose sealed `requestState` the client sends back. The legacy
//! revisions still work through `initialize`, each seeing only the fields it defined.
//!
//! Each test checks what the client got and what the emulator received: a refusal must
//! leave the API untouched, and a confirmed call must have reached it exactly once.

use base64::Engine as _;
use base64::prelude::BASE64_URL_SAFE_NO_PAD;
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, TEST_USER_AGENT, assert_route};
use serde_json::{Value, json};
use tempfile::TempDir;

const MODERN: &str = "2026-07-28";
const ALL_VERSIONS: [&str; 5] = [
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// How many tools the full catalogue holds.
const TOOL_COUNT: usize = 72;

/// A server on stdio that has seen no `initialize`, its own emulator (no demo data, so every
/// record is one the test made), and the folder both live in.
struct World {
    emulator: Emulator,
    server: McpServer,
    home: TempDir,
}

impl World {
    fn new() -> Self {
        Self::with(|setup| setup)
    }

    fn with(adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> Self {
        let emulator =
            Emulator::start(EmulatorConfig::without_demo_data()).expect("start the emulator");
        let home = tempfile::tempdir().expect("a temporary home");
        let setup = adjust(ServerSetup::against(
            &emulator.base_url(),
            &home.path().join("downloads"),
        ));
        let server = McpServer::spawn(&setup);
        Self {
            emulator,
            server,
            home,
        }
    }

    /// Another server process against the same emulator.
    fn second_server(&self) -> McpServer {
        McpServer::spawn(&ServerSetup::against(
            &self.emulator.base_url(),
            &self.home.path().join("downloads"),
        ))
    }

    /// A modern request from a client with `capabilities`; the whole response.
    fn modern(&mut self, method: &str, params: Value, capabilities: Value) -> Value {
        modern_request(&mut self.server, method, params, capabilities)
    }

    /// A modern tools/call that must get a result (not a JSON-RPC error); that result.
    fn call(&mut self, tool: &str, arguments: Value, capabilities: Value) -> Value {
        let response = self.modern(
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
            capabilities,
        );
        assert!(
            response.get("error").is_none(),
            "{tool} failed at protocol level: {response}"
        );
        response["result"].clone()
    }

    fn customer(&self, name: &str) -> u64 {
        self.emulator
            .insert_customer(1001, json!({ "company_name": name }))
    }

    /// Every request the emulator received, each checked to carry the configured
    /// credentials and User-Agent.
    fn api_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.emulator.requests();
        for request in &requests {
            assert_eq!(
                request.basic_auth(),
                Some(("demo-api-id".into(), "demo-api-key".into())),
                "{request:#?}"
            );
            assert_eq!(request.header("user-agent"), Some(TEST_USER_AGENT));
        }
        requests
    }

    fn assert_api_untouched(&self) {
        let requests = self.emulator.requests();
        assert!(requests.is_empty(), "the API was called: {requests:#?}");
    }
}

/// The per-request metadata of a modern client.
fn meta(capabilities: Value) -> Value {
    json!({ META_VERSION: MODERN, META_CAPABILITIES: capabilities })
}

/// Sends `method` with `params` plus modern `_meta`; returns the response to it.
fn modern_request(
    server: &mut McpServer,
    method: &str,
    params: Value,
    capabilities: Value,
) -> Value {
    let mut params = params;
    params["_meta"] = meta(capabilities);
    server.request(method, params)
}

/// The code and message of a JSON-RPC error response.
fn error_of(response: &Value) -> (i64, String) {
    assert!(
        response.get("result").is_none(),
        "expected an error: {response}"
    );
    let code = response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {response}"));
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "an error without message: {response}");
    (code, message.to_string())
}

/// Checks a modern result is marked finished and names the server.
fn assert_complete(result: &Value) {
    assert_eq!(result["resultType"], "complete", "{result}");
    let info = &result["_meta"][META_SERVER_INFO];
    assert_eq!(info["name"], "facturation-pro-mcp", "{result}");
    assert_eq!(info["title"], "Facturation.PRO", "{result}");
    assert!(info["version"].as_str().is_some_and(|v| !v.is_empty()));
}

/// The structured result of a successful call, checked against its text copy.
fn success(result: &Value) -> &Value {
    assert_eq!(result["isError"], false, "the call failed: {result}");
    let text: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().expect("a text copy")).unwrap();
    assert_eq!(text, result["structuredContent"]);
    &result["structuredContent"]
}

fn deletes(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|request| request.method == "DELETE")
        .collect()
}

/// What a client sends back when the user ticked "Go ahead".
fn accepted() -> Value {
    json!({ "confirm": { "action": "accept", "content": { "confirm": true } } })
}

/// Asks to delete customer `id` and checks the question that comes back instead of a
/// result; returns the `requestState` to send with the answer.
fn ask_to_delete(world: &mut World, id: u64, capabilities: Value) -> String {
    let result = world.call(
        "delete_customer",
        json!({ "customer_id": id }),
        capabilities,
    );
    assert_eq!(result["resultType"], "input_required", "{result}");
    assert!(
        result.get("content").is_none(),
        "a question is not a result: {result}"
    );
    let question = &result["inputRequests"]["confirm"];
    assert_eq!(question["method"], "elicitation/create", "{result}");
    let params = &question["params"];
    assert_eq!(params["mode"], "form", "{result}");
    let message = params["message"].as_str().expect("a message for the user");
    assert!(
        message.contains("Delete a customer")
            && message.contains(&id.to_string())
            && message.contains("cannot be undone"),
        "{message}"
    );
    assert_eq!(params["requestedSchema"]["type"], "object");
    assert_eq!(
        params["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    assert_eq!(params["requestedSchema"]["required"], json!(["confirm"]));
    result["requestState"]
        .as_str()
        .filter(|state| !state.is_empty())
        .unwrap_or_else(|| panic!("no requestState in {result}"))
        .to_string()
}

/// Sends the delete of customer `id` again with `answers` and `state`; the response.
fn answer_delete(world: &mut World, id: u64, answers: Value, state: &str) -> Value {
    world.modern(
        "tools/call",
        json!({
            "name": "delete_customer",
            "arguments": { "customer_id": id },
            "inputResponses": answers,
            "requestState": state,
        }),
        json!({ "elicitation": {} }),
    )
}

// ---- discovery and listing --------------------------------------------------------------

#[test]
fn discover_names_every_supported_version_and_the_server() {
    let mut world = World::new();
    let response = world.modern("server/discover", json!({}), json!({}));
    let result = &response["result"];
    assert_eq!(result["supportedVersions"], json!(ALL_VERSIONS), "{result}");
    assert!(result["capabilities"]["tools"].is_object(), "{result}");
    assert!(
        result["instructions"]
            .as_str()
            .is_some_and(|text| text.contains("get_account")),
        "{result}"
    );
    assert!(
        result["ttlMs"].as_u64().is_some_and(|ttl| ttl > 0),
        "{result}"
    );
    assert_eq!(result["cacheScope"], "public");
    assert_complete(result);
    world.assert_api_untouched();
}

#[test]
fn tools_list_is_whole_marked_complete_and_cacheable() {
    let mut world = World::new();
    let result = world.modern("tools/list", json!({}), json!({}))["result"].clone();
    assert_complete(&result);
    assert!(
        result["ttlMs"].as_u64().is_some_and(|ttl| ttl > 0),
        "{result}"
    );
    assert_eq!(result["cacheScope"], "public");
    assert!(
        result.get("nextCursor").is_none(),
        "one page by default: {result}"
    );
    let tools = result["tools"].as_array().expect("a tools array");
    assert_eq!(tools.len(), TOOL_COUNT);
    // The newest revision sees every field the older ones lack.
    for tool in tools {
        for field in ["name", "title", "description", "inputSchema", "annotations"] {
            assert!(tool.get(field).is_some(), "{field} missing in {tool}");
        }
    }
    assert!(tools.iter().any(|tool| tool.get("outputSchema").is_some()));
    world.assert_api_untouched();
}

// ---- tool calls -------------------------------------------------------------------------

#[test]
fn a_tool_call_needs_no_handshake_and_says_who_answered() {
    let mut world = World::new();
    let created = world.call(
        "create_customer",
        json!({ "company_name": "Sans Poignée SARL" }),
        json!({}),
    );
    assert_complete(&created);
    let id = success(&created)["id"].as_u64().expect("the new id");

    let fetched = world.call("get_customer", json!({ "customer_id": id }), json!({}));
    assert_complete(&fetched);
    let customer = success(&fetched);
    assert_eq!(customer["id"], id);
    assert_eq!(customer["company_name"], "Sans Poignée SARL");

    let requests = world.api_requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_route(&requests[0], "POST", "/firms/1001/customers.json");
    assert_eq!(
        requests[0].json_body().unwrap()["company_name"],
        "Sans Poignée SARL"
    );
    assert_route(
        &requests[1],
        "GET",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert_eq!(
        world.emulator.customer(1001, id).unwrap()["company_name"],
        "Sans Poignée SARL"
    );
}

#[test]
fn json_bodies_go_to_the_api_with_a_content_length_not_chunked() {
    let mut world = World::new();
    let result = world.call(
        "create_customer",
        json!({ "company_name": "Longueur Connue", "city": "Lyon" }),
        json!({}),
    );
    success(&result);
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let post = &requests[0];
    assert_route(post, "POST", "/firms/1001/customers.json");
    // Some proxies and API front ends refuse chunked uploads; a JSON body is known in full
    // before it is sent, so its length can always be declared.
    assert_eq!(
        post.header("content-length"),
        Some(post.body.len().to_string().as_str()),
        "{post:#?}"
    );
    assert_eq!(post.header("transfer-encoding"), None, "{post:#?}");
    assert_eq!(
        post.json_body().unwrap(),
        json!({ "company_name": "Longueur Connue", "city": "Lyon" })
    );
}

#[test]
fn the_api_sees_none_of_the_servers_internal_headers() {
    let mut world = World::new();
    let result = world.call("get_account", json!({}), json!({}));
    assert_eq!(success(&result)["email"], "demo@example.test");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    // Hints between the component and the host (which tool, which call) are for the host:
    // the vendor has no use for them, and the call id is the MCP client's own data.
    let internal: Vec<&(String, String)> = requests[0]
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("x-facturation-"))
        .collect();
    assert!(
        internal.is_empty(),
        "internal headers reached the API: {internal:?}"
    );
}

#[test]
fn a_tool_name_that_no_header_can_carry_still_reaches_the_tool_layer() {
    let mut world = World::new();
    // On stdio the host writes the Mcp-Name header itself, in base64 for such a name: the
    // component must decode it and then judge the name, not the header.
    let response = world.modern(
        "tools/call",
        json!({ "name": "facture n°1", "arguments": {} }),
        json!({}),
    );
    let (code, message) = error_of(&response);
    assert_eq!(code, INVALID_PARAMS, "{response}");
    assert!(message.contains("Unknown tool: facture n°1"), "{message}");
    world.assert_api_untouched();
}

// ---- refusals ---------------------------------------------------------------------------

#[test]
fn an_unknown_version_is_refused_with_the_versions_we_speak() {
    let mut world = World::new();
    for method in ["server/discover", "tools/list", "tools/call"] {
        let params = json!({
            "name": "get_account",
            "arguments": {},
            "_meta": { META_VERSION: "2099-01-01", META_CAPABILITIES: {} },
        });
        let response = world.server.request(method, params);
        let (code, message) = error_of(&response);
        assert_eq!(code, UNSUPPORTED_PROTOCOL_VERSION, "{method}: {response}");
        assert!(message.contains("2099-01-01"), "{message}");
        assert_eq!(
            response["error"]["data"],
            json!({ "supported": ALL_VERSIONS, "requested": "2099-01-01" }),
            "{method}"
        );
    }
    world.assert_api_untouched();
}

#[test]
fn a_modern_request_must_declare_the_client_capabilities() {
    let mut world = World::new();
    for meta in [
        json!({ META_VERSION: MODERN }),
        json!({ META_VERSION: MODERN, META_CAPABILITIES: "elicitation" }),
    ] {
        for method in ["server/discover", "tools/call"] {
            let response = world.server.request(
                method,
                json!({ "name": "get_account", "arguments": {}, "_meta": meta }),
            );
            let (code, message) = error_of(&response);
            assert_eq!(code, INVALID_PARAMS, "{method} {meta}: {response}");
            assert!(message.contains(META_CAPABILITIES), "{message}");
        }
    }
    world.assert_api_untouched();
}

#[test]
fn handshake_methods_do_not_exist_in_the_modern_protocol() {
    let mut world = World::new();
    let initialize = json!({
        "protocolVersion": MODERN,
        "capabilities": {},
        "clientInfo": { "name": "e2e", "version": "1" },
    });
    for (method, params) in [
        ("initialize", initialize),
        ("ping", json!({})),
        ("logging/setLevel", json!({ "level": "debug" })),
    ] {
        let response = world.modern(method, params, json!({}));
        let (code, message) = error_of(&response);
        assert_eq!(code, METHOD_NOT_FOUND, "{method}: {response}");
        assert!(message.contains(method), "{message}");
    }
    // The refused `initialize` settled nothing: modern requests go on as before.
    let result = world.modern("tools/list", json!({}), json!({}))["result"].clone();
    assert_eq!(result["tools"].as_array().unwrap().len(), TOOL_COUNT);
    world.assert_api_untouched();
}

// ---- confirmation -----------------------------------------------------------------------

#[test]
fn a_delete_is_asked_about_first_then_done_once_accepted() {
    let mut world = World::new();
    // The elicitation capability in its three spellings that include the form mode.
    for capabilities in [
        json!({ "elicitation": {} }),
        json!({ "elicitation": { "form": {} } }),
        json!({ "elicitation": { "form": {}, "url": {} } }),
    ] {
        world.emulator.clear_requests();
        let id = world.customer("Bientôt Parti");
        let state = ask_to_delete(&mut world, id, capabilities.clone());
        world.assert_api_untouched();
        assert!(world.emulator.customer(1001, id).is_some());

        let response = answer_delete(&mut world, id, accepted(), &state);
        let result = &response["result"];
        assert_complete(result);
        assert_eq!(result["isError"], false, "{capabilities}: {response}");
        let requests = world.api_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(
            &requests[0],
            "DELETE",
            &format!("/firms/1001/customers/{id}.json"),
        );
        assert!(world.emulator.customer(1001, id).is_none());
    }
}

#[test]
fn a_declined_delete_sends_nothing() {
    let mut world = World::new();
    let id = world.customer("Gardé");
    let state = ask_to_delete(&mut world, id, json!({ "elicitation": {} }));
    let response = answer_delete(
        &mut world,
        id,
        json!({ "confirm": { "action": "decline" } }),
        &state,
    );
    let result = &response["result"];
    assert_complete(result);
    assert_eq!(result["isError"], true, "{response}");
    assert_eq!(
        result["content"][0]["text"],
        "Not done: the user declined. Nothing was sent."
    );
    world.assert_api_untouched();
    assert!(world.emulator.customer(1001, id).is_some());
}

#[test]
fn a_request_state_for_another_call_altered_or_forged_confirms_nothing() {
    let mut world = World::new();
    let asked = world.customer("Demandé");
    let other = world.customer("Autre");
    let state = ask_to_delete(&mut world, asked, json!({ "elicitation": {} }));

    // The same payload with a later expiry, under the original seal.
    let (payload, seal) = state.split_once('.').expect("payload.seal");
    let mut payload: Value =
        serde_json::from_slice(&BASE64_URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    payload["expires"] = json!(payload["expires"].as_u64().unwrap() + 3600);
    let altered = format!(
        "{}.{seal}",
        BASE64_URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    // A state sealed by another server process, whose key differs.
    let foreign = {
        let mut stranger = world.second_server();
        let result = modern_request(
            &mut stranger,
            "tools/call",
            json!({ "name": "delete_customer", "arguments": { "customer_id": asked } }),
            json!({ "elicitation": {} }),
        )["result"]
            .clone();
        assert_eq!(result["resultType"], "input_required", "{result}");
        result["requestState"].as_str().unwrap().to_string()
    };

    let attempts = [
        (
            "for another customer",
            "delete_customer",
            json!({ "customer_id": other }),
            state.clone(),
        ),
        (
            "for another tool",
            "delete_supplier",
            json!({ "supplier_id": asked }),
            state.clone(),
        ),
        (
            "with other arguments",
            "delete_customer",
            json!({ "customer_id": asked, "firm_id": 1002 }),
            state.clone(),
        ),
        (
            "altered",
            "delete_customer",
            json!({ "customer_id": asked }),
            altered,
        ),
        (
            "made up",
            "delete_customer",
            json!({ "customer_id": asked }),
            "eyJ0b29sIjoieCJ9.AAAA".to_string(),
        ),
        (
            "not even shaped like one",
            "delete_customer",
            json!({ "customer_id": asked }),
            "yes".to_string(),
        ),
        (
            "from another server",
            "delete_customer",
            json!({ "customer_id": asked }),
            foreign,
        ),
    ];
    for (why, tool, arguments, request_state) in attempts {
        let response = world.modern(
            "tools/call",
            json!({
                "name": tool,
                "arguments": arguments,
                "inputResponses": accepted(),
                "requestState": request_state,
            }),
            json!({ "elicitation": {} }),
        );
        let (code, message) = error_of(&response);
        assert_eq!(code, INVALID_PARAMS, "{why}: {response}");
        assert!(
            message.starts_with("requestState rejected") && message.contains("Nothing was done"),
            "{why}: {message}"
        );
    }
    world.assert_api_untouched();
    assert!(world.emulator.customer(1001, asked).is_some());
    assert!(world.emulator.customer(1001, other).is_some());

    // The genuine state still works: the rejections were about the states, nothing else.
    let response = answer_delete(&mut world, asked, accepted(), &state);
    assert_eq!(response["result"]["isError"], false, "{response}");
    assert_eq!(deletes(&world.api_requests()).len(), 1);
    assert!(world.emulator.customer(1001, asked).is_none());
    assert!(world.emulator.customer(1001, other).is_some());
}

#[test]
fn an_accepted_state_sent_again_sends_nothing_again_and_the_user_is_asked_anew() {
    let mut world = World::new();
    let customer = world.customer("Relancé SARL");
    let invoice = world.emulator.insert_record(
        1001,
        "invoices",
        json!({ "customer_id": customer, "title": "Maintenance",
                "items": [{ "title": "Forfait", "quantity": 1, "unit_price": 300 }] }),
    );
    let arguments = json!({ "invoice_id": invoice, "to": "compta@relance.test" });
    let form = json!({ "elicitation": {} });
    let asked = world.call("send_invoice_email", arguments.clone(), form.clone());
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let state = asked["requestState"].as_str().unwrap().to_string();
    let answered = json!({
        "name": "send_invoice_email",
        "arguments": arguments,
        "inputResponses": accepted(),
        "requestState": state,
    });

    let sent = world.modern("tools/call", answered.clone(), form.clone());
    assert_eq!(sent["result"]["isError"], false, "{sent}");
    assert_eq!(world.emulator.sent_emails().len(), 1);

    // The same answer again, as a client retrying after a lost response would send it, and
    // from a second connection to the same server: the state confirmed one call, so each
    // time the user is asked again, with a state of its own, and no second e-mail leaves.
    for attempt in 0..2 {
        let again = world.modern("tools/call", answered.clone(), form.clone());
        let result = &again["result"];
        assert_eq!(result["resultType"], "input_required", "{attempt}: {again}");
        let new_state = result["requestState"].as_str().unwrap();
        assert_ne!(new_state, state, "{attempt}: a question gets a fresh state");
    }
    assert_eq!(world.emulator.sent_emails().len(), 1, "sent once");
    let posts: Vec<_> = world
        .api_requests()
        .into_iter()
        .filter(|request| request.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
}

#[test]
fn a_client_that_cannot_show_a_form_is_never_asked() {
    let mut world = World::new();
    // Without elicitation, or with only the URL mode, there is no way to ask: the tool acts
    // on the model's word, as the client's own approval of tool calls allows.
    for capabilities in [json!({}), json!({ "elicitation": { "url": {} } })] {
        world.emulator.clear_requests();
        let id = world.customer("Vite Fait");
        let result = world.call(
            "delete_customer",
            json!({ "customer_id": id }),
            capabilities.clone(),
        );
        assert_complete(&result);
        assert_eq!(result["isError"], false, "{capabilities}: {result}");
        let requests = world.api_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(
            &requests[0],
            "DELETE",
            &format!("/firms/1001/customers/{id}.json"),
        );
        assert!(world.emulator.customer(1001, id).is_none());
    }
}

#[test]
fn with_confirmation_off_a_form_capable_client_is_not_asked() {
    let mut world = World::with(|setup| setup.with_env("FACTURATION_CONFIRM", "0"));
    let id = world.customer("Sans Question");
    let result = world.call(
        "delete_customer",
        json!({ "customer_id": id }),
        json!({ "elicitation": {} }),
    );
    assert_complete(&result);
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(deletes(&world.api_requests()).len(), 1);
    assert!(world.emulator.customer(1001, id).is_none());
}

// ---- legacy sessions --------------------------------------------------------------------

#[test]
fn a_2025_03_26_session_sees_no_field_of_later_revisions() {
    let mut world = World::new();
    let init = world.server.initialize("2025-03-26");
    assert_eq!(init["protocolVersion"], "2025-03-26");
    assert!(init["serverInfo"].get("title").is_none(), "{init}");

    let listed = world.server.request("tools/list", json!({}))["result"].clone();
    for field in ["resultType", "ttlMs", "cacheScope", "_meta"] {
        assert!(listed.get(field).is_none(), "{field} in {listed}");
    }
    let tools = listed["tools"].as_array().unwrap();
    assert_eq!(tools.len(), TOOL_COUNT);
    for tool in tools {
        assert!(tool.get("title").is_none(), "{tool}");
        assert!(tool.get("outputSchema").is_none(), "{tool}");
        // Annotations came with 2025-03-26 itself.
        assert!(tool.get("annotations").is_some(), "{tool}");
    }

    let result = world.server.call_tool("get_account", json!({}));
    assert_eq!(result["isError"], false, "{result}");
    for field in ["structuredContent", "resultType", "_meta"] {
        assert!(result.get(field).is_none(), "{field} in {result}");
    }
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["email"], "demo@example.test");
    let requests = world.api_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
}

#[test]
fn a_2025_06_18_session_gets_titles_schemas_and_structured_results_but_no_result_type() {
    let mut world = World::new();
    assert_eq!(
        world.server.initialize("2025-06-18")["protocolVersion"],
        "2025-06-18"
    );
    let listed = world.server.request("tools/list", json!({}))["result"].clone();
    assert!(listed.get("resultType").is_none(), "{listed}");
    let tools = listed["tools"].as_array().unwrap();
    assert!(tools.iter().all(|tool| tool.get("title").is_some()));
    assert!(tools.iter().any(|tool| tool.get("outputSchema").is_some()));

    let result = world.server.call_tool("get_account", json!({}));
    assert_eq!(success(&result)["email"], "demo@example.test");
    assert!(result.get("resultType").is_none(), "{result}");
    assert_eq!(world.api_requests().len(), 1);
}

#[test]
fn legacy_clients_are_asked_with_a_server_request_shaped_for_their_version() {
    // 2024-11-05 knows no elicitation modes and no annotations; 2025-11-25 knows both.
    for (version, mode, annotated) in [
        ("2024-11-05", None, false),
        ("2025-11-25", Some("form"), true),
    ] {
        let mut world = World::new();
        let init = world
            .server
            .initialize_with(version, json!({ "elicitation": {} }));
        assert_eq!(init["protocolVersion"], version);
        let tools = world.server.request("tools/list", json!({}))["result"]["tools"].clone();
        assert!(
            tools
                .as_array()
                .unwrap()
                .iter()
                .all(|tool| tool.get("annotations").is_some() == annotated),
            "{version}"
        );

        let id = world.customer("Ancien Client");
        let call = json!({ "jsonrpc": "2.0", "id": "del", "method": "tools/call",
            "params": { "name": "delete_customer", "arguments": { "customer_id": id } } });
        world.server.send_line(call.to_string().as_bytes());
        let question = world.server.read_message();
        assert_eq!(question["method"], "elicitation/create", "{question}");
        assert!(
            question["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("server-")),
            "{question}"
        );
        let params = &question["params"];
        assert_eq!(
            params.get("mode").and_then(Value::as_str),
            mode,
            "{question}"
        );
        assert!(
            params["message"]
                .as_str()
                .is_some_and(|text| text.contains(&id.to_string())),
            "{question}"
        );
        assert_eq!(
            params["requestedSchema"]["properties"]["confirm"]["type"],
            "boolean"
        );
        // Nothing leaves before the user answers.
        world.assert_api_untouched();

        let answer = json!({ "jsonrpc": "2.0", "id": question["id"],
            "result": { "action": "accept", "content": { "confirm": true } } });
        world.server.send_line(answer.to_string().as_bytes());
        let response = world.server.read_message();
        assert_eq!(response["id"], "del", "{response}");
        let result = &response["result"];
        assert_eq!(result["isError"], false, "{response}");
        assert!(result.get("resultType").is_none(), "{response}");
        assert!(result.get("requestState").is_none(), "{response}");
        let requests = world.api_requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        assert_route(
            &requests[0],
            "DELETE",
            &format!("/firms/1001/customers/{id}.json"),
        );
        assert!(world.emulator.customer(1001, id).is_none());
    }
}
