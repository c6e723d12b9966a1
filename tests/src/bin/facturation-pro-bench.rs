//! Measures what users feel: how fast the server starts, what `tools/list` costs the model,
//! how much each call adds over a plain HTTP request, how much memory it takes, and how big
//! the artifacts are. Everything runs against the bundled emulator on this machine and is
//! printed as one Markdown table (medians, with ratios to the targets). Run it through
//! scripts/bench.sh, which builds first.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, host_binary};
use serde_json::{Value, json};

const START_RUNS: usize = 20;
const LIST_RUNS: usize = 50;
const CALLS: usize = 1000;

fn main() -> anyhow::Result<()> {
    // The vendor's rate limits would stop the call run after 600 requests: lift them here.
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit_per_5min: u32::MAX,
        rate_limit_per_day: u32::MAX,
        ..EmulatorConfig::without_demo_data()
    })?;
    let home = tempfile::tempdir()?;
    let downloads = home.path().join("downloads");
    let cache = home.path().join("cache");
    // Likewise the client's own pacing, which would wait out the 5-minute window.
    let setup = ServerSetup::against(&emulator.base_url(), &downloads)
        .with_env("FACTURATION_CACHE_DIR", cache.to_str().unwrap())
        .with_env("FACTURATION_REQUESTS_PER_5MIN", "1000000")
        .with_env("FACTURATION_REQUESTS_PER_DAY", "1000000");
    let mut rows = Vec::new();

    // Cold start: process spawn until the initialize response has been read.
    McpServer::spawn(&setup).initialize("2025-11-25"); // fills the cache
    let precompiled = median(
        &(0..START_RUNS)
            .map(|_| start_time(&setup))
            .collect::<Vec<_>>(),
    );
    let compiled_setup = setup.clone().with_env("FACTURATION_CACHE_DIR", "off");
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

    // tools/list: latency and what it costs in bytes.
    let mut server = McpServer::spawn(&setup);
    server.initialize("2025-11-25");
    let mut list_times = Vec::new();
    let mut tools = Vec::new();
    for _ in 0..LIST_RUNS {
        let started = Instant::now();
        let response = server.request("tools/list", json!({}));
        list_times.push(started.elapsed());
        tools = response["result"]["tools"]
            .as_array()
            .cloned()
            .unwrap_or_default();
    }
    let list_bytes = json!({ "tools": tools }).to_string().len();
    rows.push(row(
        "tools/list latency (median)",
        ms(median(&list_times)),
        "",
        String::new(),
    ));
    rows.push(row(
        &format!("tools/list size, all {} tools", tools.len()),
        format!("{list_bytes} bytes"),
        "",
        String::new(),
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
        let bytes = json!({ "tools": tools }).to_string().len();
        rows.push(row(
            &format!("  toolset {toolset} ({} tools)", tools.len()),
            format!("{bytes} bytes"),
            "",
            String::new(),
        ));
    }

    // Per call: get_customer through the sandboxed server vs the same HTTP request natively.
    let customer = emulator.insert_customer(1001, json!({ "company_name": "Bench SARL" }));
    let mut call_times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        let result = server.call_tool("get_customer", json!({ "customer_id": customer }));
        call_times.push(started.elapsed());
        assert_eq!(result["isError"], false, "{result}");
    }
    let peak_rss_kb = peak_rss_kb(server.pid());
    server.finish();
    let path = format!("/firms/1001/customers/{customer}.json");
    let native_times: Vec<Duration> = (0..CALLS)
        .map(|_| native_get(emulator.port(), &path))
        .collect();
    let (through, native) = (median(&call_times), median(&native_times));
    let overhead = through.saturating_sub(native);
    rows.push(row(
        &format!("get_customer through the server, {CALLS} calls (median)"),
        ms(through),
        "",
        String::new(),
    ));
    rows.push(row(
        &format!("same request, plain native HTTP, {CALLS} calls (median)"),
        ms(native),
        "",
        String::new(),
    ));
    rows.push(row(
        "per-call overhead of the server",
        ms(overhead),
        "< 0.5 ms",
        ratio(overhead, ms_f(0.5)),
    ));
    if let Some(kb) = peak_rss_kb {
        rows.push(row(
            "peak RSS of the server during the calls",
            format!("{:.1} MB", kb as f64 / 1024.0),
            "< 40 MB",
            format!("{:.2}x target", kb as f64 / 1024.0 / 40.0),
        ));
    }

    // Artifacts.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let component =
        workspace.join("target/guest/wasm32-wasip2/component/facturation-pro-guest.wasm");
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

    println!("| measure | value | target | ratio |\n|---|---|---|---|");
    for line in rows {
        println!("{line}");
    }
    Ok(())
}

fn start_time(setup: &ServerSetup) -> Duration {
    let started = Instant::now();
    let mut server = McpServer::spawn(setup);
    server.request("initialize", json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "bench", "version": "1" } }));
    let elapsed = started.elapsed();
    server.finish();
    elapsed
}

/// One GET with a fresh connection, as the server makes them, reading the whole answer.
fn native_get(port: u16, path: &str) -> Duration {
    let credentials = BASE64_STANDARD.encode("demo-api-id:demo-api-key");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {credentials}\r\nUser-Agent: bench (bench@example.test)\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
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

/// VmHWM: the most resident memory the process has had (Linux only).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
