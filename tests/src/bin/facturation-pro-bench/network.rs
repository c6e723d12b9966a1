//! The network rows: how many connections the server opens to the API, and what a call costs
//! on a line with latency rather than on a loopback that forgives every handshake.
//!
//! - API connections per 100 calls, on both transports, from a fresh server against the
//!   plain-HTTP emulator (the pooled client should open one);
//! - calls over TLS through a relay adding a 20 ms round trip: the first call of a fresh
//!   server (TCP, TLS, then the request: about three round trips) and the ones after it (one
//!   round trip plus the server's own time), next to the same GET sent from here on a kept
//!   TLS connection through the same relay;
//! - the bare component under `wasmtime serve`, where the runtime, not our host, makes the
//!   connections: its cost per call and its connections through the same relay, over plain
//!   HTTP because wasmtime's own client trusts only its built-in roots (it has no setting
//!   for a test CA), with our host on that same plain line for comparison.
//!
//! `facturation-pro-bench network` runs this part alone.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, TestCa};
use facturation_pro_emulator::harness::component_host::Host;
use facturation_pro_emulator::harness::http_client::HttpEndpoint;
use facturation_pro_emulator::harness::relay::Relay;
use facturation_pro_emulator::harness::{ServerSetup, TEST_USER_AGENT};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};

use super::{
    HttpTransport, META_CAPABILITIES, META_VERSION, MODERN, StdioTransport, Transport, api_get,
    assert_tool_success, median, median_latency, ms, read_response, row, secs,
};

/// The line the relayed rows stand for: a round trip to the API from a French office line
/// is of this order.
const ROUND_TRIP: Duration = Duration::from_millis(20);
/// Calls whose API connections are counted.
const COUNTED_CALLS: usize = 100;
/// Calls timed through the relay after the first one (each costs at least a round trip).
const RELAYED_CALLS: usize = 30;
/// The bare component's bearer token (`FACTURATION_HTTP_TOKEN`), for this bench only.
const BARE_TOKEN: &str = "a-long-random-token-for-the-bench-of-the-bare-component";

/// The network rows, against `emulator` (plain HTTP, rate limits lifted) and `setup` (our
/// server configured for it, pacing lifted).
pub fn rows(emulator: &Emulator, setup: &ServerSetup) -> anyhow::Result<Vec<String>> {
    let customer = emulator.insert_customer(1001, json!({ "company_name": "Network SARL" }));
    let mut rows = Vec::new();
    let loopback_call = connections_per_calls(emulator, setup, customer, &mut rows);
    tls_through_relay(setup, loopback_call, &mut rows)?;
    bare_component_through_relay(emulator, setup, customer, &mut rows)?;
    Ok(rows)
}

fn get_customer(customer: u64) -> Value {
    json!({ "name": "get_customer", "arguments": { "customer_id": customer } })
}

/// Connections the emulator accepted while fresh servers made [`COUNTED_CALLS`] calls each;
/// returns the median stdio call, the server's own time per call on loopback.
fn connections_per_calls(
    emulator: &Emulator,
    setup: &ServerSetup,
    customer: u64,
    rows: &mut Vec<String>,
) -> Duration {
    let mut stdio = StdioTransport::start(setup);
    let mut http = HttpTransport::start(setup);
    let mut loopback_call = Duration::ZERO;
    for transport in [&mut stdio as &mut dyn Transport, &mut http] {
        let before = emulator.connection_stats().connections;
        let call = median_latency(
            transport,
            COUNTED_CALLS,
            "tools/call",
            get_customer(customer),
            assert_tool_success,
        );
        let opened = emulator.connection_stats().connections - before;
        if transport.name() == "stdio" {
            loopback_call = call;
        }
        rows.push(row(
            &format!(
                "API connections per {COUNTED_CALLS} get_customer calls, {} (fresh server, plain HTTP)",
                transport.name()
            ),
            opened.to_string(),
            "1",
            format!("{opened}x target"),
        ));
    }
    stdio.server.finish();
    loopback_call
}

/// A fresh stdio server against an HTTPS emulator behind the relay, trusting the emulator's
/// CA through `FACTURATION_CA_FILE`; then the same GET from here on one kept TLS connection.
fn tls_through_relay(
    setup: &ServerSetup,
    loopback_call: Duration,
    rows: &mut Vec<String>,
) -> anyhow::Result<()> {
    let ca = TestCa::new()?;
    let api = Emulator::start(EmulatorConfig {
        tls: Some(ca.clone()),
        ..EmulatorConfig::without_demo_data()
    })?;
    let customer = api.insert_customer(1001, json!({ "company_name": "Network SARL" }));
    let relay = Relay::start(api.port(), ROUND_TRIP)?;
    let folder = tempfile::tempdir()?;
    let ca_file = folder.path().join("test-ca.pem");
    ca.write_pem(&ca_file)?;
    let tls_setup = setup
        .clone()
        .with_env("FACTURATION_BASE_URL", &relay.base_url_for(&api))
        .with_env("FACTURATION_CA_FILE", &ca_file.display().to_string());

    let mut server = StdioTransport::start(&tls_setup);
    let started = Instant::now();
    let answer = server.request("tools/call", get_customer(customer));
    let first = started.elapsed();
    assert_tool_success(&answer);
    let following = median_latency(
        &mut server,
        RELAYED_CALLS,
        "tools/call",
        get_customer(customer),
        assert_tool_success,
    );
    server.server.finish();
    let stats = api.connection_stats();
    let rtt = format!("{} ms", ROUND_TRIP.as_millis());
    rows.push(row(
        &format!("get_customer over TLS through a {rtt} relay, first call of a fresh server"),
        ms(first),
        "about 3 round trips (TCP, TLS, request)",
        round_trips(first),
    ));
    rows.push(row(
        &format!(
            "get_customer over TLS through a {rtt} relay, next {RELAYED_CALLS} calls (median)"
        ),
        ms(following),
        &format!(
            "1 round trip + the server's time ({} on loopback)",
            ms(loopback_call)
        ),
        format!(
            "{} ({:.2}x round trip + loopback call)",
            round_trips(following),
            secs(following) / secs(ROUND_TRIP + loopback_call)
        ),
    ));
    rows.push(row(
        &format!(
            "  connections / TLS handshakes / resumed the API saw over those {} calls",
            RELAYED_CALLS + 1
        ),
        format!(
            "{} / {} / {}",
            stats.connections, stats.tls_handshakes, stats.resumed_handshakes
        ),
        "1 / 1 / 0",
        String::new(),
    ));

    let path = format!("/firms/1001/customers/{customer}.json");
    let mut direct = TlsApiConnection::open(relay.port(), &ca, &path)?;
    let first = direct.get();
    let following = median(&(0..RELAYED_CALLS).map(|_| direct.get()).collect::<Vec<_>>());
    rows.push(row(
        &format!(
            "plain GET from Rust over TLS (HTTP/1.1) through the relay: first (new connection) / next {RELAYED_CALLS} kept-alive (median)"
        ),
        format!("{} / {}", ms(first), ms(following)),
        "",
        format!("{} / {}", round_trips(first), round_trips(following)),
    ));
    Ok(())
}

/// The bare component under `wasmtime serve`, against the plain-HTTP emulator behind the
/// relay, then our host on the same line: per-call time and API connections per call.
fn bare_component_through_relay(
    emulator: &Emulator,
    setup: &ServerSetup,
    customer: u64,
    rows: &mut Vec<String>,
) -> anyhow::Result<()> {
    let relay = Relay::start(emulator.port(), ROUND_TRIP)?;
    let base_url = relay.base_url_for(emulator);
    let rtt = format!("{} ms", ROUND_TRIP.as_millis());

    let served = Host::Wasmtime.start(&[
        ("FACTURATION_BASE_URL", &base_url),
        ("FACTURATION_API_ID", "demo-api-id"),
        ("FACTURATION_API_KEY", "demo-api-key"),
        ("FACTURATION_FIRM_ID", "1001"),
        ("FACTURATION_USER_AGENT", TEST_USER_AGENT),
        ("FACTURATION_HTTP_TOKEN", BARE_TOKEN),
    ]);
    let bearer = format!("Bearer {BARE_TOKEN}");
    let headers = [
        ("Authorization", bearer.as_str()),
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get_customer"),
    ];
    let mut call = get_customer(customer);
    call["_meta"] = json!({ META_VERSION: MODERN, META_CAPABILITIES: {} });
    let before = (emulator.connection_stats().connections, relay.connections());
    // A new loopback connection per call (wasmtime chunks its answers, which the bench's
    // kept-alive client does not read): a fraction of a millisecond next to the round trips.
    let times: Vec<Duration> = (0..COUNTED_CALLS)
        .map(|id| {
            let body =
                json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": call });
            let started = Instant::now();
            let reply = served.post_json(&headers, &body);
            let elapsed = started.elapsed();
            assert_eq!(reply.status, 200, "{}", served.stderr());
            assert_tool_success(&reply.json());
            elapsed
        })
        .collect();
    let opened = emulator.connection_stats().connections - before.0;
    let relayed = relay.connections() - before.1;
    drop(served);
    let bare = median(&times);
    rows.push(row(
        &format!(
            "bare component under wasmtime serve, get_customer through a {rtt} relay (plain HTTP: wasmtime trusts only its built-in roots), {COUNTED_CALLS} calls (median)"
        ),
        ms(bare),
        "",
        round_trips(bare),
    ));
    rows.push(row(
        &format!(
            "  API connections per {COUNTED_CALLS} calls, bare component (the runtime connects), emulator / relay"
        ),
        format!("{opened} / {relayed}"),
        "",
        String::new(),
    ));

    let mut ours =
        StdioTransport::start(&setup.clone().with_env("FACTURATION_BASE_URL", &base_url));
    let before = relay.connections();
    let call = median_latency(
        &mut ours,
        RELAYED_CALLS,
        "tools/call",
        get_customer(customer),
        assert_tool_success,
    );
    ours.server.finish();
    rows.push(row(
        &format!(
            "our host (stdio) on the same plain-HTTP {rtt} relay, {RELAYED_CALLS} calls (median), API connections"
        ),
        format!("{}, {} connection(s)", ms(call), relay.connections() - before),
        "",
        format!(
            "{} ; bare component {:.2}x slower",
            round_trips(call),
            secs(bare) / secs(call)
        ),
    ));
    Ok(())
}

/// `time` in round trips of the relay.
fn round_trips(time: Duration) -> String {
    format!("{:.2} round trips", secs(time) / secs(ROUND_TRIP))
}

/// A TLS connection to the emulator (through the relay), trusting only the test CA and
/// kept alive across GETs: what a call costs when nothing but the request crosses the line.
struct TlsApiConnection {
    stream: BufReader<StreamOwned<ClientConnection, TcpStream>>,
    request: String,
}

impl TlsApiConnection {
    fn open(port: u16, ca: &TestCa, path: &str) -> anyhow::Result<Self> {
        let mut roots = RootCertStore::empty();
        roots.add(ca.certificate())?;
        // The emulator's own provider: the workspace builds ring only.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tls = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost")?)?;
        let socket = TcpStream::connect(("127.0.0.1", port))?;
        socket.set_nodelay(true)?;
        Ok(Self {
            // The handshake happens with the first GET, which is timed as such.
            stream: BufReader::new(StreamOwned::new(tls, socket)),
            request: api_get(port, path, "keep-alive"),
        })
    }

    fn get(&mut self) -> Duration {
        let started = Instant::now();
        let sent = self.stream.get_mut();
        sent.write_all(self.request.as_bytes())
            .and_then(|()| sent.flush())
            .expect("send to the emulator over TLS");
        let (status, body) = read_response(&mut self.stream);
        let elapsed = started.elapsed();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        elapsed
    }
}
