//! Where a call's time goes. Requests that stop at successive stages of the server are timed
//! side by side, and the differences between them give each stage's share:
//!
//! - a request the host refuses before any instance (two Host headers): the HTTP exchange
//!   with the host alone;
//! - a legacy `ping`: that, plus a fresh instance of the component and the guest's start
//!   (reading its settings, building its tool table) with an answer that costs nothing;
//! - `tools/list` and `get_customer`: that, plus the listing, or the tool and its API
//!   request, whose own cost is a plain GET to the same emulator.
//!
//! The probes take turns (one of each per round), so a machine that gets busier halfway
//! slows them all alike instead of skewing one difference. `facturation-pro-bench stages
//! [ROUNDS]` runs this part alone and says which process serves HTTP, for a profiler to
//! attach to (`perf record -g -p PID`, while it runs).

use std::io::Write;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::Emulator;
use facturation_pro_emulator::harness::ServerSetup;
use serde_json::{Value, json};

use super::{
    ApiConnection, HttpTransport, KeepAlive, StdioTransport, Transport, assert_tool_success,
    median, ms, ms_f, native_get, ratio, read_response, row, timed,
};

/// Rounds when the whole bench runs: every probe is timed this many times.
pub const ROUNDS: usize = 1000;

/// One request, timed; it checks its own answer so that a fast failure cannot pass for a
/// fast success.
type Probe<'a> = Box<dyn FnMut() -> Duration + 'a>;

/// The stage table's rows, measured over `rounds` rounds against `emulator`.
pub fn rows(emulator: &Emulator, setup: &ServerSetup, rounds: usize) -> Vec<String> {
    let customer = emulator.insert_customer(1001, json!({ "company_name": "Stages SARL" }));
    let get_customer = json!({ "name": "get_customer", "arguments": { "customer_id": customer } });
    let path = format!("/firms/1001/customers/{customer}.json");

    let mut http = HttpTransport::start(setup);
    eprintln!(
        "stages: serve --http is process {}, stdio is started next",
        http.pid()
    );
    let mut stdio = StdioTransport::start(setup);
    let mut refused = KeepAlive::open(http.server.address);
    let mut legacy = KeepAlive::open(http.server.address);
    let mut api = ApiConnection::open(emulator.port(), &path);

    let names = [
        "HTTP: refused by the host, no instance",
        "HTTP: legacy ping through a fresh instance",
        "HTTP: tools/list",
        "HTTP: get_customer",
        "stdio: ping through a fresh instance",
        "stdio: tools/list",
        "stdio: get_customer",
        "API: plain GET, keep-alive connection",
        "API: plain GET, new connection",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); names.len()];
    {
        let http = std::cell::RefCell::new(&mut http);
        let stdio = std::cell::RefCell::new(&mut stdio);
        let mut probes: Vec<Probe> = vec![
            Box::new(|| refused.refused_by_host()),
            Box::new(|| {
                timed(
                    || {
                        let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
                        (1, legacy.post_text(&[], &ping))
                    },
                    assert_pong,
                )
            }),
            Box::new(|| {
                timed(
                    || http.borrow_mut().request_text("tools/list", json!({})),
                    assert_tools,
                )
            }),
            Box::new(|| {
                timed(
                    || {
                        http.borrow_mut()
                            .request_text("tools/call", get_customer.clone())
                    },
                    assert_tool_success,
                )
            }),
            Box::new(|| {
                timed(
                    || stdio.borrow_mut().request_text("ping", json!({})),
                    assert_pong,
                )
            }),
            Box::new(|| {
                timed(
                    || stdio.borrow_mut().request_text("tools/list", json!({})),
                    assert_tools,
                )
            }),
            Box::new(|| {
                timed(
                    || {
                        stdio
                            .borrow_mut()
                            .request_text("tools/call", get_customer.clone())
                    },
                    assert_tool_success,
                )
            }),
            Box::new(|| api.get()),
            Box::new(|| native_get(emulator.port(), &path)),
        ];
        for _ in 0..rounds {
            for (probe, samples) in probes.iter_mut().zip(times.iter_mut()) {
                samples.push(probe());
            }
        }
    }
    stdio.server.finish();

    let medians: Vec<Duration> = times.iter().map(|samples| median(samples)).collect();
    let [
        host,
        ping,
        list,
        call,
        stdio_ping,
        stdio_list,
        stdio_call,
        keep_alive,
        fresh,
    ] = medians[..]
    else {
        unreachable!("one median per probe")
    };
    let mut rows: Vec<String> = names
        .iter()
        .zip(&medians)
        .map(|(name, time)| {
            row(
                &format!("stage probe, {name}, {rounds} rounds (median)"),
                ms(*time),
                "",
                String::new(),
            )
        })
        .collect();
    let beyond = |time: Duration, base: Duration| ms(time.saturating_sub(base));
    rows.extend([
        row(
            "stage: instance and guest start-up (HTTP ping - host refusal)",
            beyond(ping, host),
            "",
            String::new(),
        ),
        row(
            "stage: listing the tools (tools/list - ping), HTTP / stdio",
            format!(
                "{} / {}",
                beyond(list, ping),
                beyond(stdio_list, stdio_ping)
            ),
            "",
            String::new(),
        ),
        row(
            "stage: tool and its API request (get_customer - ping), HTTP / stdio",
            format!(
                "{} / {}",
                beyond(call, ping),
                beyond(stdio_call, stdio_ping)
            ),
            "",
            String::new(),
        ),
        row(
            "stage: stdio over HTTP for the same ping",
            beyond(stdio_ping, ping),
            "",
            String::new(),
        ),
    ]);
    for (transport, call) in [("HTTP", call), ("stdio", stdio_call)] {
        let overhead = call.saturating_sub(keep_alive);
        rows.push(row(
            &format!("per-call overhead over plain keep-alive HTTP, {transport}"),
            ms(overhead),
            "< 0.3 ms",
            ratio(overhead, ms_f(0.3)),
        ));
    }
    rows.push(row(
        "stage: a new API connection over a kept one (new - keep-alive GET)",
        beyond(fresh, keep_alive),
        "",
        String::new(),
    ));
    let parse = client_parse_time(&mut http, rounds);
    rows.push(row(
        "bench client: parsing one tools/list answer (after the clock of every row)",
        ms(parse),
        "",
        String::new(),
    ));
    for (transport, list) in [("HTTP", list), ("stdio", stdio_list)] {
        rows.push(row(
            &format!("tools/list, interleaved with the other probes, {transport}"),
            ms(list),
            "< 0.5 ms",
            ratio(list, ms_f(0.5)),
        ));
    }
    rows
}

/// What this client spends turning a tools/list answer into JSON values, after the clock of
/// the probes has stopped: shown for scale, since every client pays it.
fn client_parse_time(http: &mut HttpTransport, rounds: usize) -> Duration {
    let (_, text) = http.request_text("tools/list", json!({}));
    let times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let answer: Value = serde_json::from_str(&text).expect("JSON");
            let elapsed = started.elapsed();
            assert_tools(&answer);
            elapsed
        })
        .collect();
    median(&times)
}

fn assert_pong(answer: &Value) {
    assert_eq!(answer["result"], json!({}), "{answer}");
}

fn assert_tools(answer: &Value) {
    assert!(answer["result"]["tools"].is_array(), "{answer}");
}

impl KeepAlive {
    /// A request with two Host headers, which the host answers 400 itself: what the HTTP
    /// exchange costs without the component.
    fn refused_by_host(&mut self) -> Duration {
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {0}\r\nHost: {0}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
            self.address
        );
        let started = Instant::now();
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .expect("send to serve --http");
        let (status, body) = read_response(&mut self.stream);
        let elapsed = started.elapsed();
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
        elapsed
    }
}
