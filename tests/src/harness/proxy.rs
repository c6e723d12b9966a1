//! A corporate HTTP proxy as a test sees it: `CONNECT host:port` tunnels (how HTTPS goes
//! through a proxy) and absolute-form requests (`GET http://host/path`, how plain HTTP
//! does), optionally behind `Proxy-Authorization: Basic` (407 otherwise), with targets it
//! refuses (403). It records what each client asked for, so tests can check that the server
//! only ever asks for the API's host, sends the proxy credentials to the proxy, and keeps
//! one tunnel open for many calls.
//!
//! A forwarded plain-HTTP request goes to its origin with `Connection: close`, one request
//! per client connection: reading HTTP messages to keep such connections alive is more than
//! a test proxy needs (HTTPS, the real API's scheme, goes through tunnels, which stay open).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::loopback::{self, LoopbackServer};

/// A request head larger than this is refused: no client of ours sends one.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What the proxy lets through.
#[derive(Clone, Debug, Default)]
pub struct ProxyRules {
    /// `(user, password)` that `Proxy-Authorization: Basic` must carry; `None` lets anyone in.
    pub credentials: Option<(String, String)>,
    /// `host:port` targets answered `403 Forbidden`.
    pub refused_targets: Vec<String>,
}

/// One request the proxy received, and how it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRequest {
    /// `CONNECT` for a tunnel, otherwise the forwarded request's method.
    pub method: String,
    /// The `host:port` asked for.
    pub target: String,
    /// `(user, password)` from `Proxy-Authorization: Basic`, if the request had one.
    pub credentials: Option<(String, String)>,
    /// 200 for an open tunnel or a forwarded request, else 400, 403, 407 or 502.
    pub status: u16,
}

/// A running proxy on 127.0.0.1; dropping it stops it and closes its tunnels.
pub struct Proxy {
    server: LoopbackServer,
    log: Arc<Mutex<Vec<ProxyRequest>>>,
}

impl Proxy {
    /// A proxy that lets every client through to every target.
    pub fn start() -> io::Result<Proxy> {
        Self::with_rules(ProxyRules::default())
    }

    pub fn with_rules(rules: ProxyRules) -> io::Result<Proxy> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let rules = Arc::new(rules);
        let recorder = Arc::clone(&log);
        let server = LoopbackServer::start("test-proxy", move |client| {
            serve(&rules, client, &|request| {
                recorder.lock().unwrap().push(request)
            });
        })?;
        Ok(Proxy { server, log })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY` / `HTTP_PROXY`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port())
    }

    /// The same with credentials in it, `http://user:password@127.0.0.1:PORT`, as proxy
    /// settings carry them.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.server.port())
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Every request received so far, in the order they were answered.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().unwrap().clone()
    }

    /// How many CONNECT tunnels the proxy opened.
    pub fn tunnels(&self) -> usize {
        self.requests()
            .iter()
            .filter(|request| request.method == "CONNECT" && request.status == 200)
            .count()
    }

    /// TCP connections clients opened to the proxy.
    pub fn connections(&self) -> u64 {
        self.server.connections()
    }
}

/// Serves one client connection: reads its request head, answers or opens the way to the
/// target, records the request (before answering, so a test that has the answer finds the
/// record), then
/// joins the two until either side ends. A connection closed before a whole head arrived
/// leaves no record.
fn serve(rules: &ProxyRules, mut client: TcpStream, record: &dyn Fn(ProxyRequest)) {
    let Some((head, early_bytes)) = read_head(&mut client) else {
        return;
    };
    let Some(request) = Head::parse(&head) else {
        record(ProxyRequest {
            method: String::new(),
            target: String::new(),
            credentials: None,
            status: 400,
        });
        return answer(&mut client, "400 Bad Request", "");
    };
    let seen = ProxyRequest {
        method: request.method.clone(),
        target: request.target.clone(),
        credentials: request.credentials(),
        status: 200,
    };
    if rules
        .credentials
        .as_ref()
        .is_some_and(|expected| seen.credentials.as_ref() != Some(expected))
    {
        record(ProxyRequest {
            status: 407,
            ..seen
        });
        return answer(
            &mut client,
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"test proxy\"\r\n",
        );
    }
    if rules.refused_targets.contains(&request.target) {
        record(ProxyRequest {
            status: 403,
            ..seen
        });
        return answer(&mut client, "403 Forbidden", "");
    }
    let Ok(mut upstream) = loopback::connect(&request.target) else {
        record(ProxyRequest {
            status: 502,
            ..seen
        });
        return answer(&mut client, "502 Bad Gateway", "");
    };
    record(seen);
    let opening = if request.method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
        early_bytes
    } else {
        let mut forwarded = request.for_origin().into_bytes();
        forwarded.extend_from_slice(&early_bytes);
        forwarded
    };
    if upstream.write_all(&opening).is_ok() {
        join(client, upstream);
    }
}

/// Pumps bytes both ways until both directions have ended.
fn join(client: TcpStream, upstream: TcpStream) {
    let (Ok(client_reader), Ok(upstream_writer)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let outward = thread::spawn(move || loopback::pump(client_reader, upstream_writer));
    loopback::pump(upstream, client);
    let _ = outward.join();
}

/// Reads up to the end of the request head; returns it and whatever came after it.
fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            let rest = received.split_off(end + 4);
            return Some((String::from_utf8_lossy(&received).into_owned(), rest));
        }
        if received.len() > MAX_HEAD_BYTES {
            return None;
        }
        let n = client.read(&mut buffer).ok().filter(|&n| n > 0)?;
        received.extend_from_slice(&buffer[..n]);
    }
}

/// Answers with an empty body and closes: after a refusal the client starts over anyway.
fn answer(client: &mut TcpStream, status: &str, extra_headers: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = client.write_all(response.as_bytes());
}

/// A request head as the proxy reads it.
struct Head {
    method: String,
    /// `host:port` to reach.
    target: String,
    /// The path and query, for a forwarded request (empty for CONNECT).
    path: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(head: &str) -> Option<Head> {
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next()?.split(' ');
        let (method, uri, version) = (
            request_line.next()?,
            request_line.next()?,
            request_line.next()?,
        );
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        let (target, path) = if method == "CONNECT" {
            (uri.to_owned(), String::new())
        } else {
            // Absolute form: http://host[:port]/path?query
            let rest = uri.strip_prefix("http://")?;
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let target = if authority.contains(':') {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            };
            let path = if path.is_empty() { "/" } else { path };
            (target, path.to_owned())
        };
        Some(Head {
            method: method.to_owned(),
            target,
            path,
            version: version.to_owned(),
            headers,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn credentials(&self) -> Option<(String, String)> {
        let encoded = self.header("proxy-authorization")?.strip_prefix("Basic ")?;
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }

    /// The head to send the origin: origin-form target, without what was meant for the
    /// proxy, and asking the origin to close after its answer (see the module's doc).
    fn for_origin(&self) -> String {
        let mut head = format!("{} {} {}\r\n", self.method, self.path, self.version);
        for (name, value) in &self.headers {
            let hop_by_hop = ["proxy-authorization", "proxy-connection", "connection"]
                .iter()
                .any(|hop| name.eq_ignore_ascii_case(hop));
            if !hop_by_hop {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        head
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpStream;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{Proxy, ProxyRequest, ProxyRules};
    use crate::emulator::{Emulator, EmulatorConfig};
    use crate::harness::raw_http;

    fn emulator() -> Emulator {
        Emulator::start(EmulatorConfig::without_demo_data()).unwrap()
    }

    /// Sends `CONNECT target` (with these credentials, if any); returns the socket and the
    /// proxy's answer head.
    fn connect(proxy: &Proxy, target: &str, credentials: Option<&str>) -> (TcpStream, String) {
        let mut socket = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        let authorization = credentials.map_or(String::new(), |credentials| {
            format!(
                "Proxy-Authorization: Basic {}\r\n",
                STANDARD.encode(credentials)
            )
        });
        let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{authorization}\r\n");
        socket.write_all(request.as_bytes()).unwrap();
        let head = raw_http::read_head(&mut socket);
        (socket, head)
    }

    fn seen(target: &str, credentials: Option<(&str, &str)>, status: u16) -> ProxyRequest {
        ProxyRequest {
            method: "CONNECT".into(),
            target: target.into(),
            credentials: credentials.map(|(user, password)| (user.into(), password.into())),
            status,
        }
    }

    #[test]
    fn a_tunnel_carries_several_requests_to_its_target_and_is_recorded_once() {
        let api = emulator();
        let proxy = Proxy::start().unwrap();
        let target = format!("127.0.0.1:{}", api.port());
        let (mut tunnel, head) = connect(&proxy, &target, None);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        for _ in 0..3 {
            assert_eq!(raw_http::get(&mut tunnel, "/account.json").0, 200);
        }
        assert_eq!(proxy.requests(), [seen(&target, None, 200)]);
        assert_eq!((proxy.tunnels(), proxy.connections()), (1, 1));
        assert_eq!(api.connection_stats().connections, 1);
        assert_eq!(api.requests().len(), 3);
    }

    #[test]
    fn required_credentials_are_checked_with_407_until_right() {
        let api = emulator();
        let proxy = Proxy::with_rules(ProxyRules {
            credentials: Some(("alice".into(), "s3cret".into())),
            ..ProxyRules::default()
        })
        .unwrap();
        let target = format!("127.0.0.1:{}", api.port());
        for credentials in [None, Some("alice:wrong")] {
            let (_, head) = connect(&proxy, &target, credentials);
            assert!(head.starts_with("HTTP/1.1 407"), "{head}");
            assert!(head.contains("Proxy-Authenticate: Basic"), "{head}");
        }
        let (mut tunnel, head) = connect(&proxy, &target, Some("alice:s3cret"));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert_eq!(raw_http::get(&mut tunnel, "/account.json").0, 200);
        assert_eq!(
            proxy.requests(),
            [
                seen(&target, None, 407),
                seen(&target, Some(("alice", "wrong")), 407),
                seen(&target, Some(("alice", "s3cret")), 200),
            ]
        );
        assert_eq!(proxy.tunnels(), 1);
        assert_eq!(api.requests().len(), 1, "only through the opened tunnel");
    }

    #[test]
    fn a_refused_target_gets_403_and_is_never_contacted() {
        let api = emulator();
        let target = format!("127.0.0.1:{}", api.port());
        let proxy = Proxy::with_rules(ProxyRules {
            refused_targets: vec![target.clone()],
            ..ProxyRules::default()
        })
        .unwrap();
        let (_, head) = connect(&proxy, &target, None);
        assert!(head.starts_with("HTTP/1.1 403"), "{head}");
        assert_eq!(proxy.requests(), [seen(&target, None, 403)]);
        assert_eq!(proxy.tunnels(), 0);
        assert_eq!(api.connection_stats().connections, 0);
    }

    #[test]
    fn absolute_form_requests_are_forwarded_without_the_proxy_credentials() {
        let api = emulator();
        let proxy = Proxy::start().unwrap();
        let mut socket = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        let credentials = STANDARD.encode("demo-api-id:demo-api-key");
        let request = format!(
            "GET http://127.0.0.1:{port}/account.json?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Proxy-Authorization: Basic {proxy_credentials}\r\nAuthorization: Basic {credentials}\r\n\
             User-Agent: {agent}\r\n\r\n",
            port = api.port(),
            proxy_credentials = STANDARD.encode("bob:hunter2"),
            agent = crate::harness::TEST_USER_AGENT,
        );
        socket.write_all(request.as_bytes()).unwrap();
        assert_eq!(raw_http::read_response(&mut socket).0, 200);

        let target = format!("127.0.0.1:{}", api.port());
        assert_eq!(
            proxy.requests(),
            [ProxyRequest {
                method: "GET".into(),
                ..seen(&target, Some(("bob", "hunter2")), 200)
            }]
        );
        let received = api.requests();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].path, "/account.json");
        assert_eq!(received[0].query_param("x"), Some("1"));
        assert_eq!(received[0].header("proxy-authorization"), None);
        assert_eq!(proxy.tunnels(), 0);
    }
}
