//! A component that tries, on request, the things our sandbox must forbid, and reports each
//! outcome as one JSON line on stdout. The sandbox tests run it through the real host with
//! `--component` and assert on the reports. Commands, one per stdin line:
//!
//! `env` | `read PATH` | `write PATH TEXT` | `list PATH` | `http METHOD URL [AUTHORIZATION]`
//! | `tcp IP PORT` | `dns NAME` | `alloc MEGABYTES` | `spin SECONDS` | `trap`

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin is readable");
        let words: Vec<&str> = line.split_whitespace().collect();
        let outcome = match words.as_slice() {
            ["env"] => Ok(json!(std::env::vars().collect::<Vec<_>>())),
            ["read", path] => std::fs::read(path)
                .map(|bytes| json!(bytes.len()))
                .map_err(|e| e.to_string()),
            ["write", path, text] => std::fs::write(path, text)
                .map(|()| json!(text.len()))
                .map_err(|e| e.to_string()),
            ["list", path] => list(path),
            ["http", method, url, rest @ ..] => http(method, url, rest.first().copied()),
            ["tcp", ip, port] => tcp(ip, port),
            ["dns", name] => dns(name),
            ["alloc", megabytes] => alloc(megabytes),
            ["spin", seconds] => spin(seconds),
            ["trap"] => panic!("the probe was asked to trap"),
            _ => Err(format!("unknown probe command {line:?}")),
        };
        let report = match outcome {
            Ok(detail) => json!({ "command": line, "ok": true, "detail": detail }),
            Err(error) => json!({ "command": line, "ok": false, "error": error }),
        };
        writeln!(stdout, "{report}")
            .and_then(|()| stdout.flush())
            .expect("stdout is writable");
    }
}

fn list(path: &str) -> Result<Value, String> {
    let entries = std::fs::read_dir(path).map_err(|e| e.to_string())?;
    Ok(json!(
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    ))
}

fn http(method: &str, url: &str, authorization: Option<&str>) -> Result<Value, String> {
    let method = match method {
        "GET" => waki::Method::Get,
        "POST" => waki::Method::Post,
        "DELETE" => waki::Method::Delete,
        other => return Err(format!("unsupported method {other}")),
    };
    let mut request = waki::Client::new()
        .request(method, url)
        .header("User-Agent", "sandbox-probe (tests@example.test)");
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().map_err(|e| format!("{e:?}"))?;
    let status = response.status_code();
    let body = response.body().map_err(|e| format!("{e:?}"))?;
    Ok(json!({ "status": status, "body": String::from_utf8_lossy(&body) }))
}

fn tcp(ip: &str, port: &str) -> Result<Value, String> {
    let octets: Vec<u8> = ip.split('.').filter_map(|part| part.parse().ok()).collect();
    let [a, b, c, d] = octets[..] else {
        return Err(format!("bad IPv4 address {ip}"));
    };
    let port: u16 = port.parse().map_err(|_| format!("bad port {port}"))?;
    let network = wasi::sockets::instance_network::instance_network();
    let socket = wasi::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4)
        .map_err(|e| format!("create: {e:?}"))?;
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (a, b, c, d),
    });
    socket
        .start_connect(&network, address)
        .map_err(|e| format!("connect: {e:?}"))?;
    socket.subscribe().block();
    socket
        .finish_connect()
        .map(|_| json!("connected"))
        .map_err(|e| format!("connect: {e:?}"))
}

fn dns(name: &str) -> Result<Value, String> {
    let network = wasi::sockets::instance_network::instance_network();
    let addresses = wasi::sockets::ip_name_lookup::resolve_addresses(&network, name)
        .map_err(|e| format!("resolve: {e:?}"))?;
    addresses.subscribe().block();
    let first = addresses
        .resolve_next_address()
        .map_err(|e| format!("resolve: {e:?}"))?;
    Ok(json!(format!("{first:?}")))
}

/// Allocates and touches this much memory, to meet the host's memory cap.
fn alloc(megabytes: &str) -> Result<Value, String> {
    let megabytes: usize = megabytes
        .parse()
        .map_err(|_| format!("bad size {megabytes}"))?;
    let block = vec![1u8; megabytes << 20];
    Ok(json!(
        block.iter().map(|b| *b as usize).sum::<usize>() >> 20
    ))
}

/// Computes without any I/O for this long, like a runaway loop.
fn spin(seconds: &str) -> Result<Value, String> {
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| format!("bad duration {seconds}"))?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut turns = 0u64;
    while std::time::Instant::now() < until {
        turns = turns.wrapping_add(1);
    }
    Ok(json!(turns))
}
