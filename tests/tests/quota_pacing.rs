//! The host's request quotas, end to end: the real binary over stdio, several tool calls in
//! flight at once (each in its own component instance), and the emulator counting what
//! reached the API.
//!
//! Why: host/src/pacing.rs is unit-tested on its own, but what matters is that one count
//! spans every instance (the host's `GateShared` holds a single `Pacer`) and that each kind
//! of exhaustion has the promised effect on a call:
//! - the daily quota (FACTURATION_REQUESTS_PER_DAY) is never waited for: a request over it
//!   is not sent, and the call fails at once with the guest's message naming the setting,
//!   with no retry then or later;
//! - the 5-minute quota (FACTURATION_REQUESTS_PER_5MIN) is waited for: a request over it is
//!   held, unsent and unanswered, while the rest of the session goes on.
//!
//! The emulator keeps the vendor's own quotas (600 per 5 minutes, 10,000 per day), far above
//! the host's settings here, and every request it records must have been answered 200: what
//! these tests observe is the host's pacing, not an API 429 and the guest's retries.
//!
//! Nothing here measures time; the tests assert counts and orderings. The host's window is
//! five minutes, fixed in pacing.rs (only the number of requests is configurable), so a test
//! cannot wait for a held request to be released in a few seconds: it checks that the request
//! is held (the host announces the wait on stderr, and neither the API nor the client hears
//! of it), that the announced wait is the window's, not the one-second pause the host takes
//! when the API says it has nothing left, and that cancelling the call abandons the request
//! for good. Releasing it when the window frees is covered by pacing.rs's unit test
//! `waits_for_the_oldest_request_to_leave_the_window`.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, RecordedRequest};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, assert_route};
use serde_json::{Value, json};
use tempfile::TempDir;

const FIRM: u64 = 1001;

/// The host's settings in these tests: a tiny quota, and the other one left out of the way.
const SMALL_QUOTA: usize = 2;
const OUT_OF_THE_WAY: &str = "1000";

/// What the host writes on stderr before it holds a request back (api_gate.rs).
const PACING_NOTICE: &str = "pacing requests to stay within the API's quota: waiting ";

/// The host's window, fixed in pacing.rs.
const WINDOW: Duration = Duration::from_secs(5 * 60);

/// A guard against hanging when something is broken, not a claim about speed.
const PATIENCE: Duration = Duration::from_secs(60);

struct World {
    emulator: Emulator,
    server: McpServer,
    _home: TempDir,
}

impl World {
    /// An initialized legacy session (2025-11-25) with these host settings, against an
    /// emulator keeping the vendor's quotas, far above the host's.
    fn new(env: &[(&str, &str)]) -> Self {
        let config = EmulatorConfig::without_demo_data();
        assert!(
            config.rate_limit_per_5min as usize >= 100 * SMALL_QUOTA
                && config.rate_limit_per_day as usize >= 100 * SMALL_QUOTA,
            "the emulator's own quotas must stay out of reach: {config:?}"
        );
        let emulator = Emulator::start(config).expect("start the emulator");
        let home = tempfile::tempdir().expect("a temporary home");
        let setup = env.iter().fold(
            ServerSetup::against(&emulator.base_url(), &home.path().join("downloads")),
            |setup, (name, value)| setup.with_env(name, value),
        );
        let mut server = McpServer::spawn(&setup);
        server.initialize("2025-11-25");
        Self {
            emulator,
            server,
            _home: home,
        }
    }

    /// Customers stored directly in the emulator (no API request); their ids.
    fn customers(&self, names: &[&str]) -> Vec<u64> {
        names
            .iter()
            .map(|name| {
                self.emulator
                    .insert_customer(FIRM, json!({ "company_name": name }))
            })
            .collect()
    }

    /// Sends one `get_customer` call per customer, all before reading any answer, so that
    /// their instances run side by side. The call for `customers[i]` has the id `call_id(i)`.
    fn get_all_at_once(&mut self, customers: &[u64]) {
        for (index, customer) in customers.iter().enumerate() {
            let call = json!({ "jsonrpc": "2.0", "id": call_id(index), "method": "tools/call",
                "params": { "name": "get_customer", "arguments": { "customer_id": customer } } });
            self.server.send_line(call.to_string().as_bytes());
        }
    }

    /// The next `count` replies, by their id.
    fn replies(&mut self, count: usize) -> BTreeMap<u64, Value> {
        (0..count)
            .map(|_| {
                let reply = self.server.read_message();
                let id = reply["id"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("a reply to one of our calls: {reply}"));
                (id, reply)
            })
            .collect()
    }

    /// A ping whose answer must be the very next message: proof that no other reply (an
    /// error for a held call, say) was written before it.
    fn ping(&mut self, id: u64) {
        let ping = json!({ "jsonrpc": "2.0", "id": id, "method": "ping" });
        self.server.send_line(ping.to_string().as_bytes());
        assert_eq!(
            self.server.read_message(),
            json!({ "jsonrpc": "2.0", "id": id, "result": {} }),
            "the next message must answer the ping"
        );
    }

    /// Waits until the host's stderr holds a whole line (newline included: stderr arrives in
    /// pieces) containing `needle`; returns all of it.
    fn wait_for_stderr(&self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let stderr = self.server.stderr();
            let complete = stderr
                .find(needle)
                .is_some_and(|at| stderr[at..].contains('\n'));
            if complete {
                return stderr;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the host never wrote {needle:?}; stderr: {stderr}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Ends the session: stdin closes and the host exits once every call still running is
    /// done, so whatever a call could still send has been sent by then. Returns the host's
    /// stderr and everything the emulator received.
    fn finish(self) -> (String, Vec<RecordedRequest>) {
        let (status, stderr) = self.server.finish();
        assert!(status.success(), "{status}; stderr: {stderr}");
        (stderr, self.emulator.requests())
    }
}

fn call_id(index: usize) -> u64 {
    100 + index as u64
}

fn customer_path(customer: u64) -> String {
    format!("/firms/{FIRM}/customers/{customer}.json")
}

/// The customers whose record the emulator was asked for, each checked to be one plain GET
/// answered 200 (not a 429 of the emulator's own quota, which the guest would retry).
fn fetched(requests: &[RecordedRequest], customers: &[u64]) -> Vec<u64> {
    for request in requests {
        assert_eq!(
            request.status, 200,
            "the emulator's quota must not be what limits: {request:#?}"
        );
    }
    requests
        .iter()
        .map(|request| {
            let customer = *customers
                .iter()
                .find(|customer| request.path == customer_path(**customer))
                .unwrap_or_else(|| panic!("an unexpected request: {request:#?}"));
            assert_route(request, "GET", &customer_path(customer));
            customer
        })
        .collect()
}

/// The customer a successful `get_customer` reply returned.
fn returned_customer(reply: &Value) -> u64 {
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    reply["result"]["structuredContent"]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("a customer: {reply}"))
}

/// The error text of a failed tool call.
fn tool_error(reply: &Value) -> &str {
    assert!(
        reply.get("error").is_none(),
        "a tool result, not a protocol error: {reply}"
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("an error text: {reply}"))
}

/// Checks the guest's words for a request the host held back over the daily quota
/// (`ApiError::DailyQuotaSpent` in guest/src/api/error.rs).
fn assert_names_the_daily_quota(text: &str) {
    for words in [
        "as many requests in 24 hours as its daily quota allows",
        "FACTURATION_REQUESTS_PER_DAY",
        "nothing was sent",
    ] {
        assert!(text.contains(words), "{words:?} missing from {text:?}");
    }
    assert!(!text.contains("429"), "not the API's rate limit: {text}");
}

/// The wait the host announced on stderr (`{:?}` of a `Duration`: `299.99s`, `950ms`...).
fn announced_wait(stderr: &str) -> Duration {
    let line = stderr
        .lines()
        .find(|line| line.contains(PACING_NOTICE))
        .unwrap_or_else(|| panic!("no pacing notice in {stderr}"));
    let shown = line.split(PACING_NOTICE).nth(1).unwrap().trim();
    let (number, unit) = shown
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|at| shown.split_at(at))
        .unwrap_or_else(|| panic!("no unit in {line:?}"));
    let number: f64 = number
        .parse()
        .unwrap_or_else(|error| panic!("{line:?}: {error}"));
    let per_second = match unit {
        "s" => 1.0,
        "ms" => 1e3,
        "µs" => 1e6,
        "ns" => 1e9,
        other => panic!("unknown unit {other:?} in {line:?}"),
    };
    Duration::from_secs_f64(number / per_second)
}

#[test]
fn over_the_daily_quota_a_concurrent_call_fails_at_once_naming_it_and_is_never_retried() {
    let mut world = World::new(&[
        ("FACTURATION_REQUESTS_PER_DAY", &SMALL_QUOTA.to_string()),
        ("FACTURATION_REQUESTS_PER_5MIN", OUT_OF_THE_WAY),
    ]);
    let customers = world.customers(&["Acme SAS", "Boulangerie Martin", "Café Lumen"]);

    world.get_all_at_once(&customers);
    let replies = world.replies(customers.len());

    // Exactly the quota got through, whichever calls won the race; the one left over was
    // answered (not held) with an error naming the daily quota.
    let mut answered = Vec::new();
    let mut refused = Vec::new();
    for (index, customer) in customers.iter().enumerate() {
        let reply = &replies[&call_id(index)];
        if reply["result"]["isError"] == true {
            assert_names_the_daily_quota(tool_error(reply));
            refused.push(*customer);
        } else {
            assert_eq!(returned_customer(reply), *customer, "{reply}");
            answered.push(*customer);
        }
    }
    answered.sort_unstable();
    assert_eq!(answered.len(), SMALL_QUOTA, "{replies:#?}");
    assert_eq!(refused.len(), customers.len() - SMALL_QUOTA, "{replies:#?}");
    let mut sent = fetched(&world.emulator.requests(), &customers);
    sent.sort_unstable();
    assert_eq!(
        sent, answered,
        "one request per answered call, none for the refused one"
    );

    // The quota stays spent for any later call: refused before anything is sent.
    let later = world
        .server
        .call_tool("get_customer", json!({ "customer_id": customers[0] }));
    assert_names_the_daily_quota(tool_error(&json!({ "result": later })));
    world.ping(901);

    // Once every call has ended and the host has exited, still nothing more reached the API:
    // the refused calls were not retried, then or later.
    let (stderr, requests) = world.finish();
    let mut sent = fetched(&requests, &customers);
    sent.sort_unstable();
    assert_eq!(sent, answered, "{requests:#?}");
    assert!(!stderr.contains("HTTP 429"), "{stderr}");
    assert!(
        !stderr.contains(PACING_NOTICE),
        "the daily quota is not waited for: {stderr}"
    );
}

#[test]
fn over_the_five_minute_quota_a_concurrent_call_is_held_unsent_until_cancelled() {
    let mut world = World::new(&[
        ("FACTURATION_REQUESTS_PER_5MIN", &SMALL_QUOTA.to_string()),
        ("FACTURATION_REQUESTS_PER_DAY", OUT_OF_THE_WAY),
    ]);
    let customers = world.customers(&["Acme SAS", "Boulangerie Martin", "Café Lumen"]);

    world.get_all_at_once(&customers);
    // Only the quota's worth of calls is answered, each with its customer.
    let replies = world.replies(SMALL_QUOTA);
    let mut answered: Vec<u64> = replies.values().map(returned_customer).collect();
    answered.sort_unstable();
    let held_index = (0..customers.len())
        .find(|index| !replies.contains_key(&call_id(*index)))
        .unwrap();
    let held = customers[held_index];

    // The last call's request is held back by the host, announced on stderr with the wait
    // for the window to make room: nearly the whole window (its first requests went out
    // moments ago), not the 1 s pause taken when the API itself says it has nothing left.
    let stderr = world.wait_for_stderr(PACING_NOTICE);
    let wait = announced_wait(&stderr);
    assert!(
        wait <= WINDOW && wait > WINDOW / 5,
        "announced {wait:?}; stderr: {stderr}"
    );
    // Meanwhile the session is served and the held call gets no reply: it is waiting, not
    // refused. The API never heard of it.
    world.ping(901);
    let mut sent = fetched(&world.emulator.requests(), &customers);
    sent.sort_unstable();
    assert_eq!(sent, answered);
    assert!(!answered.contains(&held));

    // Cancelling the held call drops its instance and the request it was waiting to send.
    let cancel = json!({ "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": call_id(held_index), "reason": "no need any more" } });
    world.server.send_line(cancel.to_string().as_bytes());
    world.ping(902);

    // The host exits without waiting out the window (else this would take five minutes and
    // then find a third request), and the held request was never sent.
    let (stderr, requests) = world.finish();
    let mut sent = fetched(&requests, &customers);
    sent.sort_unstable();
    assert_eq!(sent, answered, "{requests:#?}");
    assert!(!stderr.contains("HTTP 429"), "{stderr}");
    assert!(!stderr.contains("daily request quota"), "{stderr}");
}
