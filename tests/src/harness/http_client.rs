//! `facturation-pro-mcp serve --http` as a test sees it: the server started on a free port
//! (read back from its stderr line), and a deliberately small HTTP/1.1 client over a plain
//! `TcpStream`. The client sends exactly the headers it is given, plus `Host`,
//! `Content-Length` and `Connection: close`, so tests control every header the server checks
//! (a general-purpose client would add or normalise some of them).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::ServerSetup;

/// A guard against hanging, not a performance claim: starting compiles the component when
/// the shared cache is cold, and one request may wait on a slow API.
const PATIENCE: Duration = Duration::from_secs(60);

/// What the server prints once it listens; the address follows it.
const SERVING_PREFIX: &str = "facturation-pro-mcp: serving MCP on http://";

/// A running `serve --http`; dropping it stops the process.
pub struct HttpMcpServer {
    child: Child,
    address: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl HttpMcpServer {
    /// Serves on 127.0.0.1 with a port the system picks.
    pub fn start(setup: &ServerSetup) -> Self {
        Self::start_at(setup, "127.0.0.1:0")
    }

    /// Serves on `address` (`host:port`); panics with the server's stderr if it does not
    /// start.
    pub fn start_at(setup: &ServerSetup, address: &str) -> Self {
        Self::try_start_at(setup, address).unwrap_or_else(|(status, stderr)| {
            panic!("serve --http {address} exited with {status}: {stderr}")
        })
    }

    /// Starts the server, or returns its exit status and stderr when it ends before it
    /// listens (a refused configuration). Never waits on a server that does start.
    pub fn try_start_at(setup: &ServerSetup, address: &str) -> Result<Self, (ExitStatus, String)> {
        Self::try_serve(setup, &["--http", address])
    }

    /// Starts `serve` with `serve_args` (which include `--http ADDR`), e.g. the remote
    /// connector's `--public-url`; panics with the server's stderr if it does not start.
    pub fn serve(setup: &ServerSetup, serve_args: &[&str]) -> Self {
        Self::try_serve(setup, serve_args).unwrap_or_else(|(status, stderr)| {
            panic!("serve {serve_args:?} exited with {status}: {stderr}")
        })
    }

    /// Starts `serve` with `serve_args`, or returns its exit status and stderr when it ends
    /// before it listens (a refused configuration).
    pub fn try_serve(
        setup: &ServerSetup,
        serve_args: &[&str],
    ) -> Result<Self, (ExitStatus, String)> {
        // Options the setup carries (such as `--component`) come before the subcommand.
        let mut args: Vec<&str> = setup.args.iter().map(String::as_str).collect();
        args.push("serve");
        args.extend(serve_args);
        let mut child = setup
            .clone()
            .with_args(&args)
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn facturation-pro-mcp serve --http");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, listening) = channel::<String>();
        let sink = Arc::clone(&stderr);
        let pipe = child.stderr.take().expect("piped stderr");
        // Keeps reading after the address line, so the server never blocks on a full pipe
        // and a test can show everything it said.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
                if let Some(rest) = line.strip_prefix(SERVING_PREFIX) {
                    let _ = found.send(rest.trim_end_matches("/mcp").to_string());
                }
            }
        });
        match listening.recv_timeout(PATIENCE) {
            Ok(address) => {
                let address = address
                    .parse()
                    .unwrap_or_else(|_| panic!("unreadable address in {address:?}"));
                Ok(Self {
                    child,
                    address,
                    stderr,
                })
            }
            // The reader ends when stderr closes, that is when the process exits.
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("wait for facturation-pro-mcp");
                let said = stderr.lock().unwrap().clone();
                Err((status, said))
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "serve --http did not listen within {PATIENCE:?}; stderr: {}",
                    stderr.lock().unwrap()
                )
            }
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server's process id, for sending it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process and waits for it to end (its port is free afterwards).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end (a signal stops it); returns how it ended.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        self.child.wait().expect("wait for serve --http")
    }
}

/// Anything that serves MCP over HTTP at an address (our host, or the bare component under
/// another wasi:http host): the requests the tests send it.
pub trait HttpEndpoint {
    /// Where it listens (the actual port, not 0).
    fn address(&self) -> SocketAddr;

    /// One request, sent as given (see [`http_request`]).
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpReply {
        http_request(self.address(), method, path, headers, body)
    }

    /// `POST /mcp` of a JSON body, with `Content-Type: application/json` and `headers`.
    fn post_json(&self, headers: &[(&str, &str)], body: &Value) -> HttpReply {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", "/mcp", &all, body.to_string().as_bytes())
    }
}

impl HttpEndpoint for HttpMcpServer {
    fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for HttpMcpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response, whole.
#[derive(Clone, Debug)]
pub struct HttpReply {
    pub status: u16,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The `name=value` pair of the cookie the reply sets, as a browser sends it back.
    pub fn set_cookie(&self) -> &str {
        let header = self.header("set-cookie").expect("a Set-Cookie header");
        header.split(';').next().unwrap_or(header)
    }

    /// The first value of a header, whatever the case of `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; panics (showing the reply) if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body is not JSON ({error}): status {}, {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request on a new connection and reads the whole response. `headers` go out as
/// given; `Host`, `Content-Length` (for a non-empty body or a POST) and `Connection: close`
/// are added.
pub fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let mut stream = TcpStream::connect(address).expect("connect to the MCP server");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .expect("send the request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("read the response until the server closes");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> HttpReply {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).expect("headers are text");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        match headers.iter().find(|(name, _)| name == "content-length") {
            Some((_, length)) => rest[..length.parse::<usize>().unwrap().min(rest.len())].to_vec(),
            None => rest.to_vec(),
        }
    };
    HttpReply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|window| window == b"\r\n") else {
            return body;
        };
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|line| usize::from_str_radix(line.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}
