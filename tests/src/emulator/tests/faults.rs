//! Fault injection: refusals, server errors, slow answers and cut connections, used up in order.

use std::time::{Duration, Instant};

use serde_json::json;

use super::super::{EmulatorConfig, Fault};
use super::{api, basic, empty, send_raw, start, user_agent};

#[test]
fn injected_429s_are_used_up_in_order_and_do_not_count_against_the_quota() {
    let emulator = start(EmulatorConfig {
        rate_limit_per_5min: 5,
        ..EmulatorConfig::default()
    });
    emulator.inject(Fault::RateLimited {
        times: 1,
        retry_after: Some(7),
    });
    emulator.inject(Fault::RateLimited {
        times: 1,
        retry_after: None,
    });

    let first = api(&emulator, "GET", "/account.json", None);
    assert_eq!(first.status, 429);
    assert_eq!(first.body, b"Retry later");
    assert!(
        first
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(first.header("retry-after"), Some("7"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("5"));

    let second = api(&emulator, "GET", "/account.json", None);
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), None);

    let third = api(&emulator, "GET", "/account.json", None);
    assert_eq!(third.status, 200);
    assert_eq!(third.header("x-ratelimit-remaining"), Some("4"));

    let requests = emulator.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert!(
        requests
            .windows(2)
            .all(|pair| pair[0].received_at <= pair[1].received_at)
    );
}

#[test]
fn injected_server_errors_refuse_without_acting() {
    let emulator = empty();
    emulator.inject(Fault::ServerError {
        times: 2,
        status: 503,
    });
    for _ in 0..2 {
        let reply = api(
            &emulator,
            "POST",
            "/firms/1001/customers.json",
            Some(json!({ "company_name": "Not stored" })),
        );
        assert_eq!(reply.status, 503);
        assert_eq!(reply.json()["errors"], "Service Unavailable");
    }
    assert!(emulator.customers(1001).is_empty());
    assert_eq!(
        api(&emulator, "GET", "/account.json", None).status,
        200,
        "used up"
    );
}

#[test]
fn faults_meet_any_request_even_a_refused_one_and_can_be_cleared() {
    let emulator = empty();
    emulator.inject(Fault::ServerError {
        times: 1,
        status: 500,
    });
    // No credentials: the fault answers first.
    let anonymous = super::send(&emulator, "GET", "/account.json", &[user_agent()], b"");
    assert_eq!(anonymous.status, 500);

    emulator.inject(Fault::ServerError {
        times: 3,
        status: 500,
    });
    emulator.clear_faults();
    assert_eq!(api(&emulator, "GET", "/account.json", None).status, 200);
}

#[test]
fn a_cut_connection_carries_out_the_request_and_answers_nothing() {
    let emulator = empty();
    emulator.inject(Fault::CutAfterProcessing { times: 1 });
    let body = json!({ "company_name": "Stored anyway" }).to_string();
    let raw = send_raw(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        &[
            basic("demo-api-id", "demo-api-key"),
            user_agent(),
            ("Content-Type", "application/json".to_owned()),
        ],
        body.as_bytes(),
    );
    assert!(
        raw.is_empty(),
        "no byte may be sent: {}",
        String::from_utf8_lossy(&raw)
    );
    let customers = emulator.customers(1001);
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["company_name"], "Stored anyway");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].status, 0, "recorded as never answered");

    // Other connections are not affected.
    assert_eq!(api(&emulator, "GET", "/account.json", None).status, 200);
}

#[test]
fn a_slow_answer_comes_after_the_delay_with_the_work_done() {
    let emulator = empty();
    let delay = Duration::from_millis(300);
    emulator.inject(Fault::Slow { times: 1, delay });
    let started = Instant::now();
    let reply = api(
        &emulator,
        "POST",
        "/firms/1001/customers.json",
        Some(json!({ "company_name": "Slowly" })),
    );
    assert!(started.elapsed() >= delay);
    assert_eq!(reply.status, 201);
    assert_eq!(emulator.customers(1001).len(), 1);
    assert_eq!(emulator.requests()[0].status, 201);
}
