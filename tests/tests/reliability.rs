//! Reliability, end to end: the real binary against an emulator that fails on purpose (rate
//! limits, server errors, cut connections, slow answers). Each test checks what the tool
//! returned and what the API received: how many requests, which methods, how far apart (only
//! the spacing the retry policy promises, with generous bounds), and that nothing was stored
//! twice.
//!
//! The policy under test (guest/src/api/client.rs): a 429 is waited out (`Retry-After`, else
//! 1 s, 2 s, 4 s plus up to 25 % jitter), at most 3 retries; a GET is tried again up to 2
//! times (after 0.5 s, then 1 s) on a 5xx or a network failure; a write is never sent again
//! after a 5xx or a network failure, and says its outcome is unknown when it may have
//! reached the API.

use std::time::Duration;

use facturation_pro_emulator::emulator::{EmulatorConfig, Fault, RecordedRequest};
use facturation_pro_emulator::harness::{TestSession, assert_route};
use serde_json::{Value, json};

const CUSTOMERS: &str = "/firms/1001/customers.json";

fn session_with_timeout(secs: u64) -> TestSession {
    TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_TIMEOUT_SECS", &secs.to_string())
    })
}

fn a_customer(s: &TestSession) -> (u64, String) {
    let id = s
        .emulator
        .insert_customer(1001, json!({ "company_name": "Boulangerie Martin" }));
    (id, format!("/firms/1001/customers/{id}.json"))
}

fn methods(requests: &[RecordedRequest]) -> Vec<&str> {
    requests.iter().map(|r| r.method.as_str()).collect()
}

fn statuses(requests: &[RecordedRequest]) -> Vec<u16> {
    requests.iter().map(|r| r.status).collect()
}

/// Asserts each gap between consecutive requests is about what the policy promises: at
/// least 0.9 times the promised wait, at most 1.5 times it plus half a second (jitter,
/// scheduling, a busy machine).
fn assert_spacing(requests: &[RecordedRequest], promised_secs: &[f64]) {
    assert_eq!(requests.len(), promised_secs.len() + 1, "{requests:#?}");
    for (pair, &base) in requests.windows(2).zip(promised_secs) {
        let gap = pair[1]
            .received_at
            .duration_since(pair[0].received_at)
            .as_secs_f64();
        assert!(
            gap >= 0.9 * base && gap <= 1.5 * base + 0.5,
            "expected about {base} s between retries, got {gap:.3} s (all gaps promised: {promised_secs:?})"
        );
    }
}

/// The same JSON body on every request (a write sent again must be the same write).
fn assert_same_body(requests: &[RecordedRequest], expected: &Value) {
    for request in requests {
        assert_eq!(request.json_body().as_ref(), Some(expected), "{request:#?}");
    }
}

fn contains_ci(text: &str, needle: &str) -> bool {
    text.to_lowercase().contains(&needle.to_lowercase())
}

#[test]
fn a_rate_limited_read_waits_for_retry_after_then_succeeds() {
    let mut s = TestSession::new();
    let (id, path) = a_customer(&s);
    s.emulator.inject(Fault::RateLimited {
        times: 1,
        retry_after: Some(1),
    });

    let customer = s.call("get_customer", json!({ "customer_id": id }));
    assert_eq!(customer["id"], json!(id));

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET", "GET"]);
    assert_eq!(statuses(&requests), [429, 200]);
    for request in &requests {
        assert_route(request, "GET", &path);
    }
    assert_spacing(&requests, &[1.0]);
}

#[test]
fn a_rate_limited_creation_is_sent_again_and_stored_once() {
    let mut s = TestSession::new();
    s.emulator.inject(Fault::RateLimited {
        times: 1,
        retry_after: Some(1),
    });
    let args = json!({ "company_name": "Acme SAS", "email": "compta@acme.test" });

    let created = s.call("create_customer", args.clone());
    let id = created["id"].as_u64().expect("the new id");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["POST", "POST"]);
    assert_eq!(statuses(&requests), [429, 201]);
    for request in &requests {
        assert_route(request, "POST", CUSTOMERS);
    }
    assert_same_body(&requests, &args);
    assert_spacing(&requests, &[1.0]);

    let stored = s.emulator.customers(1001);
    assert_eq!(stored.len(), 1, "exactly one customer: {stored:#?}");
    assert_eq!(stored[0]["id"], json!(id));
    assert_eq!(stored[0]["company_name"], "Acme SAS");
}

#[test]
fn a_429_storm_backs_off_1_2_4_seconds_then_gives_up_naming_the_rate_limit() {
    let mut s = TestSession::new();
    a_customer(&s);
    // One more refusal than the client retries, none with Retry-After.
    s.emulator.inject(Fault::RateLimited {
        times: 4,
        retry_after: None,
    });

    let text = s.call_error("list_customers", json!({}));
    assert!(contains_ci(&text, "rate limit"), "{text}");
    assert!(text.contains("429"), "{text}");
    assert!(text.contains("600 requests per 5 minutes"), "{text}");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET"; 4]);
    assert_eq!(statuses(&requests), [429; 4]);
    assert!(
        requests.iter().all(|r| r.path == CUSTOMERS),
        "{requests:#?}"
    );
    assert_spacing(&requests, &[1.0, 2.0, 4.0]);

    // The session is still usable once the API lets requests through again.
    let page = s.call("list_customers", json!({}));
    assert_eq!(page["customers"].as_array().map(Vec::len), Some(1));
    let requests = s.take_requests();
    assert_eq!(statuses(&requests), [200]);
}

#[test]
fn a_server_error_on_a_read_is_retried_once_and_succeeds() {
    let mut s = TestSession::new();
    let (id, path) = a_customer(&s);
    s.emulator.inject(Fault::ServerError {
        times: 1,
        status: 500,
    });

    let customer = s.call("get_customer", json!({ "customer_id": id }));
    assert_eq!(customer["company_name"], "Boulangerie Martin");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET", "GET"]);
    assert_eq!(statuses(&requests), [500, 200]);
    assert!(requests.iter().all(|r| r.path == path), "{requests:#?}");
    assert_spacing(&requests, &[0.5]);
}

#[test]
fn a_read_failing_three_times_reports_http_500_after_three_tries() {
    let mut s = TestSession::new();
    let (id, path) = a_customer(&s);
    s.emulator.inject(Fault::ServerError {
        times: 3,
        status: 500,
    });

    let text = s.call_error("get_customer", json!({ "customer_id": id }));
    assert!(text.contains("HTTP 500"), "{text}");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET"; 3]);
    assert_eq!(statuses(&requests), [500; 3]);
    assert!(requests.iter().all(|r| r.path == path), "{requests:#?}");
    assert_spacing(&requests, &[0.5, 1.0]);

    // The fault is used up: the same call now works.
    s.call("get_customer", json!({ "customer_id": id }));
    assert_eq!(statuses(&s.take_requests()), [200]);
}

#[test]
fn a_server_error_on_a_creation_is_reported_and_not_retried() {
    let mut s = TestSession::new();
    s.emulator.inject(Fault::ServerError {
        times: 1,
        status: 500,
    });
    let args = json!({ "company_name": "Acme SAS" });

    let text = s.call_error("create_customer", args.clone());
    assert!(text.contains("HTTP 500"), "{text}");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["POST"]);
    assert_eq!(statuses(&requests), [500]);
    assert_route(&requests[0], "POST", CUSTOMERS);
    assert_same_body(&requests, &args);
    // The injected 500 did nothing, and nothing was sent again.
    assert!(s.emulator.customers(1001).is_empty());
}

#[test]
fn a_creation_cut_off_after_processing_reports_an_unknown_outcome_and_is_not_repeated() {
    let mut s = TestSession::new();
    s.emulator.inject(Fault::CutAfterProcessing { times: 1 });
    let args = json!({ "company_name": "Acme SAS" });

    let text = s.call_error("create_customer", args.clone());
    assert!(contains_ci(&text, "outcome is unknown"), "{text}");
    assert!(
        text.contains("list_") || text.contains("get_"),
        "should say how to check: {text}"
    );

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["POST"]);
    assert_eq!(statuses(&requests), [0], "cut before any answer");
    assert_route(&requests[0], "POST", CUSTOMERS);
    assert_same_body(&requests, &args);

    let stored = s.emulator.customers(1001);
    assert_eq!(stored.len(), 1, "created exactly once: {stored:#?}");
    assert_eq!(stored[0]["company_name"], "Acme SAS");

    // Checking, as the message suggests, finds it.
    let page = s.call("list_customers", json!({}));
    assert_eq!(page["customers"][0]["company_name"], "Acme SAS");
}

#[test]
fn a_read_slower_than_the_timeout_fails_in_time_and_the_session_goes_on() {
    let mut s = session_with_timeout(1);
    let (id, path) = a_customer(&s);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(3),
    });

    let text = s.call_error("get_customer", json!({ "customer_id": id }));
    assert!(contains_ci(&text, "did not answer in time"), "{text}");

    // A read that already waited the whole timeout is not tried again: a stalled API
    // would otherwise keep the assistant waiting several timeouts long.
    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET"]);
    assert_eq!(requests[0].path, path);

    let customer = s.call("get_customer", json!({ "customer_id": id }));
    assert_eq!(customer["id"], json!(id));
    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET"]);
    assert_eq!(statuses(&requests), [200]);
}

#[test]
fn a_creation_slower_than_the_timeout_reports_an_unknown_outcome_once() {
    let mut s = session_with_timeout(1);
    s.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(3),
    });
    let args = json!({ "company_name": "Acme SAS" });

    let text = s.call_error("create_customer", args.clone());
    assert!(contains_ci(&text, "outcome is unknown"), "{text}");
    assert!(contains_ci(&text, "did not answer in time"), "{text}");

    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["POST"]);
    assert_route(&requests[0], "POST", CUSTOMERS);
    assert_same_body(&requests, &args);
    // The emulator carried it out before stalling: one customer, not two.
    assert_eq!(s.emulator.customers(1001).len(), 1);
}

#[test]
fn an_unknown_id_is_reported_as_http_404() {
    let mut s = TestSession::new();
    let text = s.call_error("get_customer", json!({ "customer_id": 999_999 }));
    assert!(text.contains("HTTP 404"), "{text}");
    let request = s.only_request();
    assert_route(&request, "GET", "/firms/1001/customers/999999.json");
    assert_eq!(request.status, 404);
}

#[test]
fn a_wrong_api_key_is_reported_naming_the_key() {
    let mut s = TestSession::with(EmulatorConfig::without_demo_data(), |setup| {
        setup.with_env("FACTURATION_API_KEY", "not-the-key")
    });
    let text = s.call_error("get_account", json!({}));
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("FACTURATION_API_KEY"), "{text}");

    // Read directly: `take_requests` would insist on the right key.
    let requests = s.emulator.requests();
    assert_eq!(methods(&requests), ["GET"], "a 401 is not retried");
    assert_eq!(statuses(&requests), [401]);
    assert_eq!(
        requests[0].basic_auth(),
        Some(("demo-api-id".into(), "not-the-key".into()))
    );
}

#[test]
fn a_firm_outside_the_account_is_reported_as_http_403() {
    let mut s = TestSession::new();
    let text = s.call_error("list_customers", json!({ "firm_id": 4242 }));
    assert!(text.contains("HTTP 403"), "{text}");
    let requests = s.take_requests();
    assert_eq!(methods(&requests), ["GET"], "a 403 is not retried");
    assert_eq!(statuses(&requests), [403]);
    assert_eq!(requests[0].path, "/firms/4242/customers.json");
}

#[test]
fn an_exhausted_daily_quota_at_the_api_ends_in_a_clear_error_without_a_second_creation() {
    // The API's own quota (not an injected fault): two requests a day, then 429 for the rest.
    let config = EmulatorConfig {
        rate_limit_per_day: 2,
        ..EmulatorConfig::without_demo_data()
    };
    let mut s = TestSession::with(config, |setup| setup);
    s.call("create_customer", json!({ "company_name": "First" }));
    s.call("create_customer", json!({ "company_name": "Second" }));
    s.emulator.clear_requests();

    let text = s.call_error("create_customer", json!({ "company_name": "Third" }));
    assert!(
        contains_ci(&text, "rate limit") && contains_ci(&text, "Nothing was done"),
        "{text}"
    );
    let requests = s.emulator.requests();
    assert_eq!(
        statuses(&requests),
        [429; 4],
        "tried four times in all, each refused"
    );
    assert_eq!(
        s.emulator.customers(1001).len(),
        2,
        "the refused creation never happened"
    );
}
