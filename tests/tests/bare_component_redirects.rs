//! The bare component under `wasmtime serve`, where no host of ours stands between it and
//! the network: it holds the API key itself and must decide alone whether a redirect may be
//! followed. An API stand-in answers the tool's request with a redirect spelled the way an
//! attacker would (scheme-relative, userinfo, backslashes, a scheme without slashes, other
//! cases, dot segments, IPv6 and numeric spellings of loopback, escaped hosts, absurd
//! ports), all aimed at a decoy: a second listener on this machine, on IPv4 and IPv6 loopback,
//! that records every connection. The verdicts come from the decoy (nothing may ever reach
//! it, so the key cannot leave), from the stand-in (what was followed went to the configured
//! origin) and from the tool's answer (a refusal says so).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use facturation_pro_emulator::harness::TEST_USER_AGENT;
use facturation_pro_emulator::harness::component_host::{Host, ServedComponent};
use facturation_pro_emulator::harness::http_client::HttpEndpoint;
use serde_json::{Value, json};

const TOKEN: &str = "a-long-random-token-for-the-bare-component-redirects";
const API_ID: &str = "demo-api-id";
const API_KEY: &str = "demo-api-key";

/// The path `get_account` asks for; the stand-in redirects it and answers anything else.
const ACCOUNT_PATH: &str = "/account.json";

/// What the stand-in answers a followed request with: enough for `get_account`.
const ACCOUNT_BODY: &str = r#"{"email":"owner@example.test","firms":[]}"#;

/// What the stand-in API received: the request line's target and the credentials.
#[derive(Clone, Debug)]
struct Received {
    target: String,
    authorization: Option<String>,
}

/// The API's origin as the component sees it: it redirects `/account.json` to whatever
/// Location the test sets, and answers every other path with an account.
struct RedirectingApi {
    address: SocketAddr,
    location: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl RedirectingApi {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let api = RedirectingApi {
            address: listener.local_addr().unwrap(),
            location: Arc::default(),
            received: Arc::default(),
        };
        let (location, received) = (Arc::clone(&api.location), Arc::clone(&api.received));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (location, received) = (Arc::clone(&location), Arc::clone(&received));
                thread::spawn(move || answer(stream, &location, &received));
            }
        });
        api
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn redirect_to(&self, location: &str) {
        *self.location.lock().unwrap() = location.to_string();
        self.received.lock().unwrap().clear();
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one request head and answers it, one request per connection.
fn answer(stream: TcpStream, location: &Mutex<String>, received: &Mutex<Vec<Received>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let target = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let reply = if target == ACCOUNT_PATH {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            location.lock().unwrap()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{ACCOUNT_BODY}",
            ACCOUNT_BODY.len()
        )
    };
    received.lock().unwrap().push(Received {
        target,
        authorization,
    });
    let _ = (&stream).write_all(reply.as_bytes());
}

/// Another host, as far as the component can tell: the same port on 127.0.0.1 and on ::1,
/// recording each connection and whatever it was sent. It never answers.
struct Decoy {
    port: u16,
    visits: Arc<Mutex<Vec<String>>>,
    /// Visits whose connection has been read to its end (or its timeout).
    read_through: Arc<AtomicUsize>,
}

impl Decoy {
    fn start() -> Self {
        let visits = Arc::<Mutex<Vec<String>>>::default();
        let read_through = Arc::<AtomicUsize>::default();
        // A port free on both loopbacks: take one on ::1, then the same on 127.0.0.1
        // (rarely taken there already; then try another).
        let (v6, v4) = (0..20)
            .find_map(|_| {
                let v6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).ok()?;
                let port = v6.local_addr().ok()?.port();
                Some((v6, TcpListener::bind(("127.0.0.1", port)).ok()?))
            })
            .expect("a port free on both loopback addresses");
        let port = v4.local_addr().unwrap().port();
        for listener in [v6, v4] {
            let (visits, read_through) = (Arc::clone(&visits), Arc::clone(&read_through));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let (visits, read_through) = (Arc::clone(&visits), Arc::clone(&read_through));
                    thread::spawn(move || {
                        let index = {
                            let mut visits = visits.lock().unwrap();
                            visits.push(format!("from {:?}: ", stream.peer_addr()));
                            visits.len() - 1
                        };
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut sent = [0u8; 4096];
                        let n = stream.read(&mut sent).unwrap_or(0);
                        visits.lock().unwrap()[index] += &String::from_utf8_lossy(&sent[..n]);
                        read_through.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }
        Decoy {
            port,
            visits,
            read_through,
        }
    }

    fn visits(&self) -> Vec<String> {
        self.visits.lock().unwrap().clone()
    }

    /// Proves the decoy would see a visit by each spelling of this machine the system
    /// resolves, so that its silence later means something; then forgets these visits.
    fn calibrate(&self) {
        let hosts = [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "2130706433",
            "127.1",
            "0x7f.0.0.1",
        ];
        for host in hosts {
            drop(TcpStream::connect(format!("{host}:{}", self.port)).unwrap());
        }
        // Each visit is noted when it arrives and completed once read: forgetting them
        // before every one is read through would leave a reader with no entry to complete.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.read_through.load(Ordering::SeqCst) < hosts.len() {
            assert!(std::time::Instant::now() < deadline, "{:?}", self.visits());
            thread::sleep(Duration::from_millis(20));
        }
        self.visits.lock().unwrap().clear();
    }
}

/// The component under `wasmtime serve`, holding the key, against the stand-in API.
fn serve_against(api: &RedirectingApi) -> ServedComponent {
    let base_url = api.base_url();
    Host::Wasmtime.start(&[
        ("FACTURATION_BASE_URL", &base_url),
        ("FACTURATION_API_ID", API_ID),
        ("FACTURATION_API_KEY", API_KEY),
        ("FACTURATION_FIRM_ID", "1001"),
        ("FACTURATION_USER_AGENT", TEST_USER_AGENT),
        ("FACTURATION_HTTP_TOKEN", TOKEN),
    ])
}

/// `get_account` through the component; the tool's result.
fn get_account(server: &ServedComponent, id: u64) -> Value {
    let bearer = format!("Bearer {TOKEN}");
    let reply = server.post_json(
        &[
            ("Authorization", &bearer),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_account"),
        ],
        &json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
            "name": "get_account", "arguments": {},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        } }),
    );
    let body = reply.json();
    assert_eq!(reply.status, 200, "{body}\n{}", server.stderr());
    body["result"].clone()
}

fn result_text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

fn basic_credentials() -> String {
    format!(
        "Basic {}",
        BASE64_STANDARD.encode(format!("{API_ID}:{API_KEY}"))
    )
}

#[test]
fn no_spelling_of_a_redirect_carries_the_key_to_another_host() {
    let decoy = Decoy::start();
    decoy.calibrate();
    let api = RedirectingApi::start();
    let server = serve_against(&api);
    let (d, a) = (decoy.port, api.address.port());
    // Each names the decoy (or a host that is not ours) in its own way; none may be followed.
    let elsewhere = [
        format!("//127.0.0.1:{d}/account.json"),
        format!("//localhost:{d}/x"),
        "//evil.example/x".to_string(),
        format!("http://127.0.0.1:{d}/"),
        format!("http://localhost:{d}/api/v1/account.json"),
        format!("https://127.0.0.1:{a}@127.0.0.1:{d}/"),
        format!("http://{API_ID}:{API_KEY}@127.0.0.1:{d}/"),
        format!("http://user@127.0.0.1:{a}/"),
        format!("/\\127.0.0.1:{d}/x"),
        format!("\\\\127.0.0.1:{d}\\x"),
        format!("http:\\\\127.0.0.1:{d}\\"),
        format!("http:/\\127.0.0.1:{d}/"),
        format!("http://127.0.0.1:{d}\\@127.0.0.1:{a}/"),
        format!("http:127.0.0.1:{d}/x"),
        format!("http:/127.0.0.1:{d}/x"),
        format!("http:///127.0.0.1:{d}/"),
        format!("HTTP://127.0.0.1:{d}/"),
        format!("hTtP://LOCALHOST:{d}/"),
        format!("http://[::1]:{d}/"),
        format!("http://[::ffff:127.0.0.1]:{d}/"),
        format!("http://[0:0:0:0:0:0:0:1]:{d}/"),
        format!("http://%31%32%37.0.0.1:{d}/"),
        format!("http://127.0.0.1%3A{d}/"),
        format!("http://127.0.0.1:{}/", u32::from(d) + 65536),
        format!("http://127.0.0.1:0000{d}/"),
        format!("http://127.0.0.1:{a}:{d}/"),
        format!("http://2130706433:{d}/"),
        format!("http://127.1:{d}/"),
        format!("http://0x7f.0.0.1:{d}/"),
        format!("http://127.0.0.1.:{d}/"),
        format!("http://127.0.0.1:{a}\t@127.0.0.1:{d}/"),
        format!("ftp://127.0.0.1:{d}/"),
    ];
    for (id, location) in elsewhere.iter().enumerate() {
        api.redirect_to(location);
        let result = get_account(&server, id as u64);
        let text = result_text(&result);
        assert_eq!(
            result["isError"], true,
            "{location:?} was followed: {result}"
        );
        assert!(
            text.contains("was not followed") && text.contains(&api.base_url()),
            "{location:?}: the refusal should say what was refused and where the server may go: {text}"
        );
        assert!(!text.contains(API_KEY), "{location:?}: {text}");
        // One request, the one redirected: a refusal is not retried either.
        let received = api.received();
        assert_eq!(received.len(), 1, "{location:?}: {received:#?}");
        assert_eq!(
            decoy.visits(),
            Vec::<String>::new(),
            "{location:?} reached the decoy"
        );
    }
}

#[test]
fn redirects_that_stay_on_the_api_origin_are_followed_there_and_only_there() {
    let decoy = Decoy::start();
    let api = RedirectingApi::start();
    let server = serve_against(&api);
    let (d, a) = (decoy.port, api.address.port());
    // (Location, the target the API then receives.) Dot segments, fragments and queries
    // that mention the decoy, or an upper-case spelling of our own origin, end on our
    // origin: the next request is built from the configured base URL and the resolved path.
    let followed = [
        ("/api/v1/account.json".to_string(), "/api/v1/account.json"),
        (
            "v2/./account.json?source=moved".to_string(),
            "/v2/account.json?source=moved",
        ),
        (
            "/api/v1/../v2/%2e%2e/account.json".to_string(),
            "/api/account.json",
        ),
        (format!("HTTP://127.0.0.1:{a}/moved.json"), "/moved.json"),
        (format!("/../../127.0.0.1:{d}/x"), "/127.0.0.1:{d}/x"),
        (
            format!("http://127.0.0.1:{a}/..//127.0.0.1:{d}/x"),
            "//127.0.0.1:{d}/x",
        ),
        (format!("http://127.0.0.1:{a}#@127.0.0.1:{d}/"), "/"),
    ];
    for (id, (location, expected)) in followed.iter().enumerate() {
        let expected = expected.replace("{d}", &d.to_string());
        api.redirect_to(location);
        let result = get_account(&server, id as u64);
        assert_ne!(
            result["isError"], true,
            "{location:?} was not followed: {result}"
        );
        assert!(
            result_text(&result).contains("owner@example.test"),
            "{result}"
        );
        let received = api.received();
        let targets: Vec<&str> = received.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(targets, [ACCOUNT_PATH, &expected], "{location:?}");
        // The followed request still carries the key, to our origin only.
        assert_eq!(
            received[1].authorization.as_deref(),
            Some(basic_credentials().as_str()),
            "{location:?}"
        );
        assert_eq!(
            decoy.visits(),
            Vec::<String>::new(),
            "{location:?} reached the decoy"
        );
    }
}
