//! The first tools, end to end: a real MCP session with the real binary, against the
//! emulator. Each test checks both what the client got back and what the API received.

use facturation_pro_emulator::emulator::EmulatorConfig;
use facturation_pro_emulator::harness::{
    TestSession, assert_json_body, assert_route, error_text, success,
};
use serde_json::json;

fn customer_id(session: &TestSession, name: &str) -> u64 {
    session
        .emulator
        .insert_customer(1001, json!({ "company_name": name }))
}

#[test]
fn get_account_lists_the_firms() {
    let mut s = TestSession::new();
    let result = s.server.call_tool("get_account", json!({}));
    let account = success(&result);
    assert_eq!(account["email"], "demo@example.test");
    let firm_ids: Vec<u64> = account["firms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(firm_ids, [1001, 1002]);

    let request = s.only_request();
    assert_route(&request, "GET", "/account.json");
    assert!(request.query.is_empty());
}

#[test]
fn list_customers_passes_filters_and_reports_pagination() {
    let mut s = TestSession::new();
    for n in 0..60 {
        s.emulator.insert_customer(
            1001,
            json!({ "company_name": format!("Client {n:02}"), "email": format!("c{n}@acme.test") }),
        );
    }
    let archived = s.emulator.insert_customer(
        1001,
        json!({ "company_name": "Client archivé", "archived": true }),
    );

    let result = s.server.call_tool(
        "list_customers",
        json!({ "page": 2, "sort": "desc", "order": "created" }),
    );
    let page = success(&result);
    assert_eq!(page["customers"].as_array().unwrap().len(), 10);
    assert_eq!(
        page["pagination"],
        json!({ "current_page": 2, "total_pages": 2, "per_page": 50, "total_entries": 60 })
    );
    assert!(
        page["customers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != json!(archived)),
        "archived shown by default"
    );
    let request = s.only_request();
    assert_eq!(request.path, "/firms/1001/customers.json");
    assert_eq!(request.query_param("page"), Some("2"));
    assert_eq!(request.query_param("sort"), Some("desc"));
    assert_eq!(request.query_param("order"), Some("created"));

    let result = s.server.call_tool(
        "list_customers",
        json!({ "mode": "archived", "with_sepa": true }),
    );
    let page = success(&result);
    assert_eq!(page["customers"].as_array().unwrap().len(), 1);
    assert_eq!(page["customers"][0]["id"], json!(archived));
    let request = s.only_request();
    assert_eq!(
        request.query,
        [
            ("mode".to_string(), "archived".to_string()),
            ("with_sepa".into(), "1".into())
        ]
    );
}

#[test]
fn get_customer_returns_the_record() {
    let mut s = TestSession::new();
    let id = customer_id(&s, "Boulangerie Martin");
    let result = s
        .server
        .call_tool("get_customer", json!({ "customer_id": id }));
    let customer = success(&result);
    assert_eq!(customer["id"], json!(id));
    assert_eq!(customer["company_name"], "Boulangerie Martin");
    let request = s.only_request();
    assert_route(&request, "GET", &format!("/firms/1001/customers/{id}.json"));
}

#[test]
fn create_customer_sends_the_fields_as_json() {
    let mut s = TestSession::new();
    let args = json!({
        "company_name": "Acme SAS", "email": "compta@acme.test", "country": "FR",
        "pay_before": "30fm", "currency": "EUR", "language": "en", "individual": false, "default_vat": 20.0,
    });
    let result = s.server.call_tool("create_customer", args.clone());
    let created = success(&result);
    let id = created["id"].as_u64().expect("the new id");
    assert_eq!(created["company_name"], "Acme SAS");

    let request = s.only_request();
    assert_route(&request, "POST", "/firms/1001/customers.json");
    assert_eq!(request.status, 201);
    assert_json_body(&request, &args);
    let stored = s
        .emulator
        .customer(1001, id)
        .expect("the emulator stored it");
    assert_eq!(stored["email"], "compta@acme.test");
    assert_eq!(stored["pay_before"], "30fm");
}

#[test]
fn create_customer_shows_the_api_validation_errors() {
    let mut s = TestSession::new();
    let text = error_text(
        &s.server
            .call_tool("create_customer", json!({ "email": "nobody@acme.test" })),
    );
    assert!(text.contains("HTTP 422"), "{text}");
    let request = s.only_request();
    assert_eq!(request.status, 422);
    assert_eq!(
        request.json_body(),
        Some(json!({ "email": "nobody@acme.test" }))
    );
    // The API's own explanation reaches the model, field name included.
    assert!(text.contains("company_name"), "{text}");
    assert!(s.emulator.customers(1001).is_empty(), "nothing was created");
}

#[test]
fn update_customer_patches_only_the_given_fields() {
    let mut s = TestSession::new();
    let id = customer_id(&s, "Old Name");
    let result = s.server.call_tool(
        "update_customer",
        json!({ "customer_id": id, "company_name": "New Name", "city": "Lyon" }),
    );
    assert_eq!(
        success(&result),
        &json!({ "customer_id": id, "updated": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "PATCH",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert_eq!(
        request.json_body(),
        Some(json!({ "company_name": "New Name", "city": "Lyon" }))
    );
    let stored = s.emulator.customer(1001, id).unwrap();
    assert_eq!(
        (stored["company_name"].as_str(), stored["city"].as_str()),
        (Some("New Name"), Some("Lyon"))
    );
}

#[test]
fn delete_customer_removes_it_and_unknown_ids_say_404() {
    let mut s = TestSession::new();
    let id = customer_id(&s, "Short-lived");
    let result = s
        .server
        .call_tool("delete_customer", json!({ "customer_id": id }));
    assert_eq!(
        success(&result),
        &json!({ "customer_id": id, "deleted": true })
    );
    let request = s.only_request();
    assert_route(
        &request,
        "DELETE",
        &format!("/firms/1001/customers/{id}.json"),
    );
    assert!(s.emulator.customer(1001, id).is_none());

    let text = error_text(
        &s.server
            .call_tool("get_customer", json!({ "customer_id": id })),
    );
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(s.only_request().status, 404);
}

#[test]
fn an_invoiced_customer_cannot_be_deleted() {
    let mut s = TestSession::new();
    let id = s.emulator.insert_customer(
        1001,
        json!({ "company_name": "Invoiced", "last_invoiced_on": "2025-09-30" }),
    );
    let text = error_text(
        &s.server
            .call_tool("delete_customer", json!({ "customer_id": id })),
    );
    assert!(text.contains("HTTP 422"), "{text}");
    assert_eq!(s.only_request().status, 422);
    assert!(s.emulator.customer(1001, id).is_some());
}

#[test]
fn firm_id_overrides_the_configured_firm() {
    let mut s = TestSession::new();
    let id = s
        .emulator
        .insert_customer(1002, json!({ "company_name": "Second firm's customer" }));
    let result = s.server.call_tool(
        "get_customer",
        json!({ "firm_id": 1002, "customer_id": id }),
    );
    assert_eq!(success(&result)["id"], json!(id));
    assert_eq!(
        s.only_request().path,
        format!("/firms/1002/customers/{id}.json")
    );

    // The same id does not exist in the configured firm: records are scoped per firm.
    let text = error_text(
        &s.server
            .call_tool("get_customer", json!({ "customer_id": id })),
    );
    assert!(text.contains("HTTP 404"), "{text}");
}

#[test]
fn a_firm_outside_the_account_is_refused_by_the_api() {
    let mut s = TestSession::new();
    let text = error_text(
        &s.server
            .call_tool("list_customers", json!({ "firm_id": 4242 })),
    );
    assert!(text.contains("HTTP 403"), "{text}");
    assert_eq!(s.only_request().path, "/firms/4242/customers.json");
}

#[test]
fn without_a_configured_firm_firm_tools_ask_for_one_and_send_nothing() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.without_env("FACTURATION_FIRM_ID")
    });
    let text = error_text(&s.server.call_tool("list_customers", json!({})));
    assert!(
        text.contains("FACTURATION_FIRM_ID") && text.contains("firm_id"),
        "{text}"
    );
    assert!(s.emulator.requests().is_empty());
    // The account itself needs no firm.
    success(&s.server.call_tool("get_account", json!({})));
}

#[test]
fn invalid_values_are_refused_before_any_request() {
    let mut s = TestSession::new();
    for (args, field) in [
        (
            json!({ "company_name": "X", "country": "France" }),
            "country",
        ),
        (json!({ "company_name": "X", "language": "de" }), "language"),
        (
            json!({ "company_name": "X", "currency": "EURO" }),
            "currency",
        ),
        (
            json!({ "company_name": "X", "sepa_signature_on": "2025-02-30" }),
            "sepa_signature_on",
        ),
        (
            json!({ "company_name": "X", "individual": "yes" }),
            "individual",
        ),
        (json!({ "company_name": "X", "nickname": "x" }), "nickname"),
    ] {
        let text = error_text(&s.server.call_tool("create_customer", args));
        assert!(text.contains(&format!("`{field}`")), "{field}: {text}");
    }
    assert!(
        s.emulator.requests().is_empty(),
        "nothing may be sent: {:#?}",
        s.emulator.requests()
    );
}

#[test]
fn redirects_are_followed_but_a_loop_is_cut_off() {
    let mut s = TestSession::new();
    // Every request now answers 302 to itself, on the same host: the client follows, then
    // gives up after a few hops instead of looping forever.
    s.emulator
        .redirect_everything_to(Some(s.emulator.base_url()));
    let text = error_text(&s.server.call_tool("get_account", json!({})));
    assert!(text.contains("redirects"), "{text}");
    let hops = s.emulator.requests().len();
    assert!((2..=10).contains(&hops), "followed {hops} redirects");
}
