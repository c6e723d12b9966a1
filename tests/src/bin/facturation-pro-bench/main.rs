//! Measures what users feel: how fast the server starts, what `tools/list` costs the model,
//! how much each call adds over a plain HTTP request, whether a slow API call holds up the
//! others, how much memory it takes, and how big the artifacts are. The server is measured on
//! both transports (stdio, and Streamable HTTP through `serve --http`), against the bundled
//! emulator on this machine, and everything is printed as one Markdown table (medians, with
//! ratios to the targets). Run it through scripts/bench.sh, which builds first. The
//! container images, when scripts/build-images.sh has built them, are measured too (images.rs).
//! How the server uses the network (connections, a line with latency, TLS) is in network.rs.

mod cluster;
mod images;
mod network;
mod stages;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault};
use facturation_pro_emulator::harness::{
    McpServer, ServerSetup, guest_component, host_binary, tool_sizes,
};
use serde_json::{Value, json};

const START_RUNS: usize = 20;
const LIST_RUNS: usize = 50;
const CALLS: usize = 1000;
/// Calls sent together to a slow API: a server that handled them one at a time would take
/// this many times the API's delay.
const CONCURRENT_CALLS: usize = 8;
const SLOW_API: Duration = Duration::from_millis(500);
/// How long the call that a `ping` must not wait for is held by the API; long enough that a
/// ping queued behind it could not go unnoticed.
const BLOCKING_CALL: Duration = Duration::from_secs(3);

/// The revision whose requests carry their own metadata (no handshake).
const MODERN: &str = "2026-07-28";
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// What `serve --http` prints once it listens; the address follows it.
const SERVING_PREFIX: &str = "facturation-pro-mcp: serving MCP on http://";
/// A guard against hanging, not a measure.
const PATIENCE: Duration = Duration::from_secs(60);

fn main() -> anyhow::Result<()> {
    // The vendor's rate limits would stop the call runs after 600 requests: lift them here.
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit_per_5min: u32::MAX,
        rate_limit_per_day: u32::MAX,
        ..EmulatorConfig::without_demo_data()
    })?;
    let home = tempfile::tempdir()?;
    let downloads = home.path().join("downloads");
    // Likewise the client's own pacing, which would wait out the 5-minute window.
    let setup = ServerSetup::against(&emulator.base_url(), &downloads)
        .with_env("FACTURATION_REQUESTS_PER_5MIN", "1000000")
        .with_env("FACTURATION_REQUESTS_PER_DAY", "1000000");
    // `stages [ROUNDS]`: only the stage table, for reruns and profiling (see stages.rs);
    // `network`: only the network rows (see network.rs); `cluster`: replicas behind a load
    // balancer, on their own table (see cluster.rs).
    let mut arguments = std::env::args().skip(1);
    match arguments.next().as_deref() {
        Some("stages") => {
            let rounds = arguments
                .next()
                .map(|rounds| rounds.parse())
                .transpose()?
                .unwrap_or(stages::ROUNDS);
            print_table(stages::rows(&emulator, &setup, rounds));
            return Ok(());
        }
        Some("network") => {
            print_table(network::rows(&emulator, &setup)?);
            return Ok(());
        }
        Some("cluster") => {
            cluster::print_table()?;
            return Ok(());
        }
        _ => {}
    }
    let mut rows = Vec::new();

    // Cold start: process spawn until the first answer (to initialize) has been read.
    let precompiled = median(
        &(0..START_RUNS)
            .map(|_| start_time(&setup))
            .collect::<Vec<_>>(),
    );
    // The same component given as a file is compiled at start: what the embedded,
    // precompiled copy saves.
    let component = guest_component();
    let compiled_setup = setup
        .clone()
        .with_args(&["--component", component.to_str().unwrap()]);
    let compiled = median(
        &(0..START_RUNS)
            .map(|_| start_time(&compiled_setup))
            .collect::<Vec<_>>(),
    );
    rows.push(row(
        "cold start, precompiled (median)",
        ms(precompiled),
        "< 15 ms",
        ratio(precompiled, ms_f(15.0)),
    ));
    rows.push(row(
        "cold start, compiled at start (median)",
        ms(compiled),
        "",
        format!(
            "{:.1}x slower than precompiled",
            secs(compiled) / secs(precompiled)
        ),
    ));

    let mut stdio = StdioTransport::start(&setup);
    let mut http = HttpTransport::start(&setup);
    // Sizes as a 2025-11-25 client receives them, as measured before there was HTTP.
    let tools = stdio.request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut transports: [&mut dyn Transport; 2] = [&mut stdio, &mut http];

    // tools/list: latency on each transport, and what the answer costs in bytes.
    for transport in transports.iter_mut() {
        let latency = median_latency(*transport, LIST_RUNS, "tools/list", json!({}), |answer| {
            assert!(answer["result"]["tools"].is_array(), "{answer}")
        });
        rows.push(row(
            &format!("tools/list latency, {} (median)", transport.name()),
            ms(latency),
            "< 0.5 ms",
            ratio(latency, ms_f(0.5)),
        ));
    }
    let sizes = tool_sizes(&tools);
    rows.push(row(
        &format!("tools/list size, all {} tools", tools.len()),
        format!("{} bytes", sizes.whole),
        "< 100 KB",
        format!("{:.2}x target", sizes.whole as f64 / 100e3),
    ));
    rows.push(row(
        "  of which the model reads (name, title, description, input schema)",
        format!("{} bytes", sizes.visible),
        "< 50 KB",
        format!("{:.2}x target", sizes.visible as f64 / 50e3),
    ));
    let mut by_toolset: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for tool in &tools {
        let toolset = tool["_meta"]["facturation-pro/toolset"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        by_toolset.entry(toolset).or_default().push(tool.clone());
    }
    for (toolset, tools) in &by_toolset {
        let sizes = tool_sizes(tools);
        rows.push(row(
            &format!(
                "  toolset {toolset} ({} tools): model-visible / whole",
                tools.len()
            ),
            format!("{} / {} bytes", sizes.visible, sizes.whole),
            "",
            String::new(),
        ));
    }

    // Per call: get_customer through the sandboxed server vs the same HTTP request natively.
    let customer = emulator.insert_customer(1001, json!({ "company_name": "Bench SARL" }));
    let get_customer = json!({ "name": "get_customer", "arguments": { "customer_id": customer } });
    let path = format!("/firms/1001/customers/{customer}.json");
    // The server keeps its API connection alive, so the baseline does too.
    let mut api = ApiConnection::open(emulator.port(), &path);
    let native = median(&(0..CALLS).map(|_| api.get()).collect::<Vec<_>>());
    rows.push(row(
        &format!("get_customer, plain native HTTP, kept-alive connection, {CALLS} calls (median)"),
        ms(native),
        "",
        String::new(),
    ));
    for transport in transports.iter_mut() {
        let name = transport.name();
        let through = median_latency(
            *transport,
            CALLS,
            "tools/call",
            get_customer.clone(),
            assert_tool_success,
        );
        let overhead = through.saturating_sub(native);
        rows.push(row(
            &format!("get_customer through the server, {name}, {CALLS} calls (median)"),
            ms(through),
            "",
            String::new(),
        ));
        rows.push(row(
            &format!("per-call overhead of the server, {name}"),
            ms(overhead),
            "< 0.3 ms",
            ratio(overhead, ms_f(0.3)),
        ));
        if let Some(kb) = peak_rss_kb(transport.pid()) {
            rows.push(rss_row(
                &format!("peak RSS of the server during the calls, {name}"),
                kb,
            ));
        }
    }

    // Concurrency: calls waiting on a slow API must wait side by side, not in a queue.
    for transport in transports.iter_mut() {
        let name = transport.name();
        emulator.clear_requests();
        emulator.inject(Fault::Slow {
            times: CONCURRENT_CALLS,
            delay: SLOW_API,
        });
        let calls = vec![("tools/call", get_customer.clone()); CONCURRENT_CALLS];
        // The peak so far comes from the runs above (a tools/list answer is 200 kB): start
        // afresh so that the peak read below is the burst's own.
        let peak_reset = reset_peak_rss(transport.pid());
        let (wall, answers) = transport.all_at_once(&calls);
        for answer in &answers {
            assert_tool_success(answer);
        }
        // Every call must have met the delay, or the wall time would flatter the server.
        assert_eq!(
            emulator.requests().len(),
            CONCURRENT_CALLS,
            "one API request per call"
        );
        rows.push(row(
            &format!(
                "{CONCURRENT_CALLS} concurrent get_customer, API answering in {} ms, {name} (wall)",
                SLOW_API.as_millis()
            ),
            ms(wall),
            "< 1 s",
            ratio(wall, ms_f(1000.0)),
        ));
        // The peak only grows, so reading it once the calls are answered covers them.
        if let Some(kb) = peak_rss_kb(transport.pid()) {
            let since = if peak_reset {
                ""
            } else {
                " (peak of the whole run)"
            };
            rows.push(rss_row(
                &format!(
                    "peak RSS of the server, {CONCURRENT_CALLS} calls in flight, {name}{since}"
                ),
                kb,
            ));
        }
    }

    // Responsiveness: a ping must not queue behind a call that waits on the API.
    for transport in transports.iter_mut() {
        let name = transport.name();
        emulator.clear_requests();
        emulator.inject(Fault::Slow {
            times: 1,
            delay: BLOCKING_CALL,
        });
        let (ping, answer) = transport.ping_during(("tools/call", get_customer.clone()), &|| {
            wait_until_received(&emulator)
        });
        assert_tool_success(&answer);
        rows.push(row(
            &format!(
                "ping during a call held {} s by the API, {name}",
                BLOCKING_CALL.as_secs()
            ),
            ms(ping),
            "< 20 ms",
            ratio(ping, ms_f(20.0)),
        ));
    }
    stdio.server.finish();

    // Artifacts.
    let component_bytes = std::fs::metadata(&component)?.len();
    rows.push(row(
        "component size",
        mb(component_bytes),
        "< 2 MB",
        format!("{:.2}x target", component_bytes as f64 / 2e6),
    ));
    let (host_bytes, stripped) = stripped_size(&host_binary(), home.path())?;
    let label = if stripped {
        "host binary size (stripped)"
    } else {
        "host binary size (strip unavailable)"
    };
    rows.push(row(
        label,
        mb(host_bytes),
        "< 25 MB",
        format!("{:.2}x target", host_bytes as f64 / 25e6),
    ));

    rows.extend(images::rows(&setup, precompiled));
    rows.extend(network::rows(&emulator, &setup)?);

    // Last, with servers of its own, so the figures above keep their meaning.
    rows.extend(stages::rows(&emulator, &setup, stages::ROUNDS));

    print_table(rows);
    print_sizes_per_tool(&tools);
    Ok(())
}

fn print_table(rows: Vec<String>) {
    println!("| measure | value | target | ratio |\n|---|---|---|---|");
    for line in rows {
        println!("{line}");
    }
}

/// Every tool's share, largest first: where trimming would pay.
fn print_sizes_per_tool(tools: &[Value]) {
    let mut sizes: Vec<(String, usize, usize)> = tools
        .iter()
        .map(|tool| {
            let visible = tool_sizes(std::slice::from_ref(tool)).visible;
            let name = tool["name"].as_str().unwrap_or("?").to_string();
            (name, visible, tool.to_string().len() - visible)
        })
        .collect();
    sizes.sort_by_key(|(name, visible, _)| (std::cmp::Reverse(*visible), name.clone()));
    println!("\n| tool | model-visible bytes | the rest (output schema, annotations, _meta) |");
    println!("|---|---|---|");
    for (name, visible, rest) in sizes {
        println!("| {name} | {visible} | {rest} |");
    }
}

/// How a client reaches the server, so every measure is taken the same way on both
/// transports.
trait Transport {
    /// For the table.
    fn name(&self) -> &'static str;
    /// The host process, whose memory is read.
    fn pid(&self) -> u32;
    /// Sends one request and returns its id and its JSON-RPC response as received. Latency
    /// is timed to here: the answer has arrived, and what the bench client then spends
    /// parsing it (0.4 ms for the whole tool list) is the client's time, not the server's.
    fn request_text(&mut self, method: &str, params: Value) -> (u64, String);
    /// Sends one request and returns its JSON-RPC response, checked to answer it.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let (id, text) = self.request_text(method, params);
        parse_answer(id, &text)
    }
    /// Sends every request before reading any answer, so that all are in the server at once;
    /// returns the time from the first send to the last answer, and the responses in order.
    fn all_at_once(&mut self, requests: &[(&str, Value)]) -> (Duration, Vec<Value>);
    /// Sends `slow`, runs `in_flight` (which returns once the API holds it), then a legacy
    /// `ping`; returns how long the ping took, and the response to `slow` once it comes.
    fn ping_during(&mut self, slow: (&str, Value), in_flight: &dyn Fn()) -> (Duration, Value);
}

/// One stdio session, initialized once, as an MCP client keeps it.
struct StdioTransport {
    server: McpServer,
}

impl StdioTransport {
    fn start(setup: &ServerSetup) -> Self {
        let mut server = McpServer::spawn(setup);
        server.initialize("2025-11-25");
        Self { server }
    }

    /// Writes a request without waiting; string ids keep clear of the harness's numbers.
    fn send(&mut self, id: &str, method: &str, params: &Value) {
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.server.send_line(message.to_string().as_bytes());
    }

    /// Reads until the answer to `id` comes; answers to other requests are kept in `others`
    /// by id, since concurrent requests finish in any order.
    fn read_answer(&mut self, id: &str, others: &mut BTreeMap<String, Value>) -> Value {
        if let Some(answer) = others.remove(id) {
            return answer;
        }
        loop {
            let message = self.server.read_message();
            match message["id"].as_str() {
                Some(answered) if answered == id => return message,
                Some(answered) => {
                    others.insert(answered.to_string(), message);
                }
                None => panic!("unexpected message: {message}"),
            }
        }
    }
}

impl Transport for StdioTransport {
    fn name(&self) -> &'static str {
        "stdio"
    }

    fn pid(&self) -> u32 {
        self.server.pid()
    }

    fn request_text(&mut self, method: &str, params: Value) -> (u64, String) {
        self.server.request_line(method, params)
    }

    fn all_at_once(&mut self, requests: &[(&str, Value)]) -> (Duration, Vec<Value>) {
        let ids: Vec<String> = (0..requests.len()).map(|n| format!("burst-{n}")).collect();
        let started = Instant::now();
        for (id, (method, params)) in ids.iter().zip(requests) {
            self.send(id, method, params);
        }
        let mut others = BTreeMap::new();
        let answers = ids
            .iter()
            .map(|id| self.read_answer(id, &mut others))
            .collect();
        (started.elapsed(), answers)
    }

    fn ping_during(&mut self, slow: (&str, Value), in_flight: &dyn Fn()) -> (Duration, Value) {
        self.send("slow", slow.0, &slow.1);
        in_flight();
        let started = Instant::now();
        self.send("ping", "ping", &json!({}));
        let mut others = BTreeMap::new();
        let pong = self.read_answer("ping", &mut others);
        let elapsed = started.elapsed();
        assert_eq!(pong["result"], json!({}), "{pong}");
        (elapsed, self.read_answer("slow", &mut others))
    }
}

/// `serve --http` with one keep-alive connection for sequential requests, which speak the
/// modern revision as a 2026-07-28 client would; concurrent ones get a connection each.
struct HttpTransport {
    server: HttpServer,
    connection: KeepAlive,
    next_id: u64,
}

impl HttpTransport {
    fn start(setup: &ServerSetup) -> Self {
        let server = HttpServer::start(setup);
        let connection = KeepAlive::open(server.address);
        Self {
            server,
            connection,
            next_id: 1,
        }
    }
}

impl Transport for HttpTransport {
    fn name(&self) -> &'static str {
        "HTTP"
    }

    fn pid(&self) -> u32 {
        self.server.child.id()
    }

    fn request_text(&mut self, method: &str, params: Value) -> (u64, String) {
        let id = self.next_id;
        self.next_id += 1;
        (id, self.connection.post_modern_text(id, method, params))
    }

    fn all_at_once(&mut self, requests: &[(&str, Value)]) -> (Duration, Vec<Value>) {
        // Connections are opened and threads started before the clock, so that only the
        // requests themselves are timed; the barrier lets them all go together.
        let go = Arc::new(Barrier::new(requests.len() + 1));
        let threads: Vec<_> = requests
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                let mut connection = KeepAlive::open(self.server.address);
                let (method, params, go) = (method.to_string(), params.clone(), Arc::clone(&go));
                thread::spawn(move || {
                    go.wait();
                    connection.post_modern(id as u64, &method, params)
                })
            })
            .collect();
        go.wait();
        let started = Instant::now();
        let answers = threads
            .into_iter()
            .map(|thread| thread.join().expect("a client thread"))
            .collect();
        (started.elapsed(), answers)
    }

    fn ping_during(&mut self, slow: (&str, Value), in_flight: &dyn Fn()) -> (Duration, Value) {
        let mut connection = KeepAlive::open(self.server.address);
        let (method, params) = (slow.0.to_string(), slow.1);
        let slow = thread::spawn(move || connection.post_modern(0, &method, params));
        in_flight();
        // The modern revision has no ping: this is a legacy request, without `_meta` or the
        // modern headers.
        let started = Instant::now();
        let pong = self
            .connection
            .post(&[], &json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }));
        let elapsed = started.elapsed();
        assert_eq!(pong["result"], json!({}), "{pong}");
        (elapsed, slow.join().expect("the slow call's thread"))
    }
}

/// `serve --http` on a free port. Started here rather than through the harness, which does
/// not expose the process id the memory measure needs.
struct HttpServer {
    child: Child,
    address: SocketAddr,
}

impl HttpServer {
    fn start(setup: &ServerSetup) -> Self {
        let mut child = setup
            .clone()
            .with_args(&["serve", "--http", "127.0.0.1:0"])
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn facturation-pro-mcp serve --http");
        let pipe = child.stderr.take().expect("piped stderr");
        let (found, listening) = channel();
        // Reads on after the address line, so the server never blocks on a full pipe; what
        // else it says is passed on, in case it explains a failure.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                match line.strip_prefix(SERVING_PREFIX) {
                    Some(rest) => {
                        let _ = found.send(rest.trim_end_matches("/mcp").to_string());
                    }
                    None => eprintln!("{line}"),
                }
            }
        });
        let address = listening
            .recv_timeout(PATIENCE)
            .expect("serve --http did not say where it listens");
        Self {
            child,
            address: address.parse().expect("a socket address"),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 connection to `/mcp` kept open across requests, as an MCP client keeps one:
/// a new connection per request would add the connect to what is measured.
struct KeepAlive {
    address: SocketAddr,
    stream: BufReader<TcpStream>,
}

impl KeepAlive {
    fn open(address: SocketAddr) -> Self {
        let stream = TcpStream::connect(address).expect("connect to serve --http");
        // Each request goes out in one write; without this, Nagle's algorithm could hold
        // it back waiting for an acknowledgement.
        stream.set_nodelay(true).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        Self {
            address,
            stream: BufReader::new(stream),
        }
    }

    /// A request of the modern revision: its `_meta`, and the headers that repeat the body.
    fn post_modern(&mut self, id: u64, method: &str, params: Value) -> Value {
        parse_answer(id, &self.post_modern_text(id, method, params))
    }

    /// [`Self::post_modern`], returning the answer as it came.
    fn post_modern_text(&mut self, id: u64, method: &str, mut params: Value) -> String {
        params["_meta"] = json!({ META_VERSION: MODERN, META_CAPABILITIES: {} });
        let name = params["name"].as_str().map(str::to_string);
        let mut headers = vec![("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)];
        if let Some(name) = &name {
            headers.push(("Mcp-Name", name));
        }
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.post_text(&headers, &body)
    }

    /// POSTs one JSON-RPC message and returns the JSON answer, which must come with 200.
    fn post(&mut self, headers: &[(&str, &str)], body: &Value) -> Value {
        let answer = self.post_text(headers, body);
        serde_json::from_str(&answer).expect("a JSON answer")
    }

    /// [`Self::post`], returning the answer as it came.
    fn post_text(&mut self, headers: &[(&str, &str)], body: &Value) -> String {
        let body = body.to_string();
        let mut request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .expect("send to serve --http");
        let (status, answer) = read_response(&mut self.stream);
        let answer = String::from_utf8(answer).expect("a UTF-8 answer");
        assert_eq!(status, 200, "{answer}");
        answer
    }
}

/// A JSON-RPC answer parsed, checked to answer request `id`.
fn parse_answer(id: u64, text: &str) -> Value {
    let answer: Value = serde_json::from_str(text).expect("a JSON answer");
    assert_eq!(answer["id"], json!(id), "{answer}");
    answer
}

/// Status and body of the next response on `stream`; the servers measured here size their
/// bodies with Content-Length, which is all this reads.
fn read_response(stream: &mut impl BufRead) -> (u16, Vec<u8>) {
    let mut line = String::new();
    stream.read_line(&mut line).expect("a status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    let mut length = None;
    loop {
        line.clear();
        stream.read_line(&mut line).expect("a header line");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let mut body = vec![0; length.expect("a Content-Length")];
    stream.read_exact(&mut body).expect("the body");
    (status, body)
}

/// Median time of `runs` requests sent one after the other, each to its answer's last byte;
/// `check` sees each response.
fn median_latency(
    transport: &mut dyn Transport,
    runs: usize,
    method: &str,
    params: Value,
    mut check: impl FnMut(&Value),
) -> Duration {
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            timed(
                || transport.request_text(method, params.clone()),
                &mut check,
            )
        })
        .collect();
    median(&times)
}

/// The time `request` takes to bring its answer's last byte; the answer is parsed and
/// checked after the clock stops.
fn timed(request: impl FnOnce() -> (u64, String), check: impl FnOnce(&Value)) -> Duration {
    let started = Instant::now();
    let (id, answer) = request();
    let elapsed = started.elapsed();
    check(&parse_answer(id, &answer));
    elapsed
}

/// Checks a `tools/call` response is a successful result: a failed call, quickly answered,
/// would pass for a fast one.
fn assert_tool_success(answer: &Value) {
    assert_eq!(answer["result"]["isError"], false, "{answer}");
}

/// Returns once the emulator has received a request since its record was last cleared. The
/// emulator records a request before it holds back the answer, so a slow call is then held.
fn wait_until_received(emulator: &Emulator) {
    let deadline = Instant::now() + PATIENCE;
    while emulator.requests().is_empty() {
        assert!(Instant::now() < deadline, "the call never reached the API");
        thread::sleep(Duration::from_millis(1));
    }
}

fn start_time(setup: &ServerSetup) -> Duration {
    start_time_of(setup.command())
}

/// Process (or container) spawn until the answer to `initialize` has been read.
fn start_time_of(command: Command) -> Duration {
    let started = Instant::now();
    let mut server = McpServer::spawn_command(command);
    server.request("initialize", json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "bench", "version": "1" } }));
    let elapsed = started.elapsed();
    server.finish();
    elapsed
}

/// One GET with a fresh connection, as the server makes them, reading the whole answer.
fn native_get(port: u16, path: &str) -> Duration {
    let request = api_get(port, path, "close");
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the emulator");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let elapsed = started.elapsed();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    elapsed
}

/// A keep-alive connection to the emulator, sending the GET the server's tool sends.
struct ApiConnection {
    stream: BufReader<TcpStream>,
    request: String,
}

impl ApiConnection {
    fn open(port: u16, path: &str) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the emulator");
        stream.set_nodelay(true).unwrap();
        Self {
            stream: BufReader::new(stream),
            request: api_get(port, path, "keep-alive"),
        }
    }

    fn get(&mut self) -> Duration {
        let started = Instant::now();
        self.stream
            .get_mut()
            .write_all(self.request.as_bytes())
            .expect("send to the emulator");
        let (status, _) = read_response(&mut self.stream);
        let elapsed = started.elapsed();
        assert_eq!(status, 200);
        elapsed
    }
}

/// The GET the server's get_customer sends, with `connection` as the Connection header.
fn api_get(port: u16, path: &str, connection: &str) -> String {
    let credentials = BASE64_STANDARD.encode("demo-api-id:demo-api-key");
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {credentials}\r\nUser-Agent: bench (bench@example.test)\r\nAccept: application/json\r\nConnection: {connection}\r\n\r\n"
    )
}

/// VmHWM: the most resident memory the process has had (Linux only).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Brings VmHWM down to the current RSS (Linux 4.0 and later), so that a later read shows
/// the peak of what ran in between; false where that is not possible.
fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

fn rss_row(measure: &str, kb: u64) -> String {
    let megabytes = kb as f64 / 1024.0;
    row(
        measure,
        format!("{megabytes:.1} MB"),
        "< 40 MB",
        format!("{:.2}x target", megabytes / 40.0),
    )
}

fn stripped_size(binary: &Path, scratch: &Path) -> anyhow::Result<(u64, bool)> {
    let copy = scratch.join("host-stripped");
    std::fs::copy(binary, &copy)?;
    let stripped = Command::new("strip")
        .arg(&copy)
        .status()
        .is_ok_and(|status| status.success());
    Ok((std::fs::metadata(&copy)?.len(), stripped))
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn ms_f(millis: f64) -> Duration {
    Duration::from_secs_f64(millis / 1000.0)
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", secs(duration) * 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn ratio(value: Duration, target: Duration) -> String {
    format!("{:.2}x target", secs(value) / secs(target))
}

fn row(measure: &str, value: String, target: &str, ratio: String) -> String {
    format!("| {measure} | {value} | {target} | {ratio} |")
}
