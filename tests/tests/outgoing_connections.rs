//! How the server reaches the API: over one kept-alive connection (plain HTTP or TLS), with
//! extra trusted certificates from `FACTURATION_CA_FILE`, and through a corporate proxy
//! (`HTTPS_PROXY` and friends, CONNECT tunnels, credentials in the proxy URL). The emulator
//! serves HTTPS with a CA made for the test and numbers the connections it accepts; the
//! test's own proxy records every tunnel it is asked for.

use std::path::PathBuf;

use facturation_pro_emulator::emulator::{
    ConnectionStats, Emulator, EmulatorConfig, RecordedRequest, TestCa,
};
use facturation_pro_emulator::harness::probe::{probe_outcome, probe_params};
use facturation_pro_emulator::harness::proxy::{Proxy, ProxyRules};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, TestSession, probe_component};
use serde_json::{Value, json};
use tempfile::TempDir;

const CA_FILE: &str = "FACTURATION_CA_FILE";
const PROXY_USER: &str = "acme-user";
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

/// A CA made for this test, and the PEM file that tells the server to trust it.
struct TrustedCa {
    ca: TestCa,
    folder: TempDir,
}

impl TrustedCa {
    fn new() -> Self {
        let ca = TestCa::new().expect("make a test CA");
        let folder = tempfile::tempdir().unwrap();
        ca.write_pem(&folder.path().join("company-ca.pem")).unwrap();
        Self { ca, folder }
    }

    fn file(&self) -> String {
        self.path().display().to_string()
    }

    fn path(&self) -> PathBuf {
        self.folder.path().join("company-ca.pem")
    }

    /// An emulator without demo data, serving HTTPS with a certificate from this CA.
    fn emulator_config(&self) -> EmulatorConfig {
        EmulatorConfig {
            tls: Some(self.ca.clone()),
            ..EmulatorConfig::without_demo_data()
        }
    }
}

/// A session against an HTTPS emulator, trusting its CA, with these settings on top.
fn tls_session(ca: &TrustedCa, adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> TestSession {
    TestSession::with(ca.emulator_config(), |setup| {
        adjust(setup.with_env(CA_FILE, &ca.file()))
    })
}

/// `count` reads, each of which must succeed.
fn read_account(s: &mut TestSession, count: usize) {
    for _ in 0..count {
        let account = s.call("get_account", json!({}));
        assert!(account.is_object(), "{account}");
    }
}

/// The connection numbers the requests came on, without repeats.
fn connections_used(requests: &[RecordedRequest]) -> Vec<u64> {
    let mut numbers: Vec<u64> = requests.iter().map(|r| r.connection.number).collect();
    numbers.dedup();
    numbers
}

/// `host:port` of the API as a proxy is asked for it.
fn api_authority(emulator: &Emulator) -> String {
    format!("localhost:{}", emulator.port())
}

/// Asserts every request the proxy received was a CONNECT to the API, and returns them.
fn assert_only_tunnels_to_the_api(proxy: &Proxy, emulator: &Emulator) {
    let requests = proxy.requests();
    assert!(!requests.is_empty(), "the proxy was not used");
    for request in &requests {
        assert_eq!(request.method, "CONNECT", "{requests:#?}");
        assert_eq!(request.target, api_authority(emulator), "{requests:#?}");
    }
}

#[test]
fn forty_calls_over_tls_share_one_connection_and_one_handshake() {
    let ca = TrustedCa::new();
    let mut s = tls_session(&ca, |setup| setup);
    read_account(&mut s, 40);

    let requests = s.take_requests();
    assert_eq!(requests.len(), 40);
    assert_eq!(connections_used(&requests), [1], "one connection for all");
    for request in &requests {
        assert!(request.connection.tls);
        // The emulator offers HTTP/2 by ALPN, as the real API's front does.
        assert_eq!(request.connection.http_version, "HTTP/2.0", "{request:#?}");
    }
    assert_eq!(
        s.emulator.connection_stats(),
        ConnectionStats {
            connections: 1,
            tls_handshakes: 1,
            resumed_handshakes: 0,
        }
    );
}

#[test]
fn forty_calls_over_plain_http_share_one_connection() {
    let mut s = TestSession::new();
    read_account(&mut s, 40);

    let requests = s.take_requests();
    assert_eq!(requests.len(), 40);
    assert_eq!(connections_used(&requests), [1], "one connection for all");
    assert_eq!(s.emulator.connection_stats().connections, 1);
}

#[test]
fn an_untrusted_certificate_fails_the_call_naming_the_ca_setting_and_sends_nothing() {
    let ca = TrustedCa::new();
    let stranger = TrustedCa::new();
    let missing: fn(ServerSetup, &TrustedCa) -> ServerSetup = |setup, _| setup.without_env(CA_FILE);
    let wrong: fn(ServerSetup, &TrustedCa) -> ServerSetup =
        |setup, other| setup.with_env(CA_FILE, &other.file());
    for (case, adjust) in [("no CA file", missing), ("another CA", wrong)] {
        let mut s = tls_session(&ca, |setup| adjust(setup, &stranger));
        let text = s.call_error("get_account", json!({}));
        assert!(text.contains(CA_FILE), "{case}: {text}");
        s.assert_no_request();
        assert_eq!(s.emulator.connection_stats().tls_handshakes, 0, "{case}");
    }
}

#[test]
fn https_goes_through_one_proxy_tunnel_that_names_only_the_api() {
    let ca = TrustedCa::new();
    let proxy = Proxy::start().unwrap();
    let mut s = tls_session(&ca, |setup| setup.with_env("HTTPS_PROXY", &proxy.url()));
    read_account(&mut s, 20);

    assert_eq!(s.take_requests().len(), 20);
    assert_only_tunnels_to_the_api(&proxy, &s.emulator);
    assert_eq!(proxy.tunnels(), 1, "{:#?}", proxy.requests());
    assert_eq!(s.emulator.connection_stats().connections, 1);
}

#[test]
fn proxy_credentials_in_the_url_reach_the_proxy_and_nothing_else() {
    let ca = TrustedCa::new();
    let proxy = Proxy::with_rules(ProxyRules {
        credentials: Some((PROXY_USER.into(), PROXY_PASSWORD.into())),
        ..ProxyRules::default()
    })
    .unwrap();
    // The lower-case spelling, as many Unix tools set it.
    let proxy_url = proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
    let mut s = tls_session(&ca, |setup| setup.with_env("https_proxy", &proxy_url));
    read_account(&mut s, 5);
    s.call("create_customer", json!({ "company_name": "Proxied SARL" }));

    assert_only_tunnels_to_the_api(&proxy, &s.emulator);
    let opened: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|request| request.status == 200)
        .collect();
    assert_eq!(opened.len(), 1, "{opened:#?}");
    assert_eq!(
        opened[0].credentials,
        Some((PROXY_USER.into(), PROXY_PASSWORD.into()))
    );
    let requests = s.take_requests();
    assert_eq!(requests.len(), 6);
    for request in &requests {
        assert_eq!(request.header("proxy-authorization"), None, "{request:#?}");
    }
    let TestSession { server, .. } = s;
    let (status, stderr) = server.finish();
    assert!(status.success());
    assert!(!stderr.contains(PROXY_PASSWORD), "{stderr}");
}

#[test]
fn the_component_never_sees_the_proxy_settings() {
    let ca = TrustedCa::new();
    let api = Emulator::start(ca.emulator_config()).unwrap();
    let proxy = Proxy::start().unwrap();
    let home = tempfile::tempdir().unwrap();
    let probe = probe_component();
    let proxy_url = proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env(CA_FILE, &ca.file())
        .with_env("HTTPS_PROXY", &proxy_url)
        .with_env("http_proxy", &proxy_url)
        .with_args(&["--component", probe.to_str().unwrap()]);
    let mut server = McpServer::spawn(&setup);

    let response = server.request("probe", probe_params("env"));
    let variables = probe_outcome(&response, "env").expect("the probe reads its environment");
    let variables = serde_json::to_string(&variables).unwrap();
    assert!(!variables.contains(PROXY_PASSWORD), "{variables}");
    assert!(
        !variables.to_ascii_lowercase().contains("_proxy"),
        "{variables}"
    );
}

#[test]
fn a_proxy_refusing_the_credentials_fails_the_call_naming_the_proxy_setting() {
    let ca = TrustedCa::new();
    let proxy = Proxy::with_rules(ProxyRules {
        credentials: Some((PROXY_USER.into(), PROXY_PASSWORD.into())),
        ..ProxyRules::default()
    })
    .unwrap();
    let wrong_password = "not-the-password";
    for proxy_url in [
        proxy.url(),
        proxy.url_with_credentials(PROXY_USER, wrong_password),
    ] {
        let mut s = tls_session(&ca, |setup| setup.with_env("HTTPS_PROXY", &proxy_url));
        let text = s.call_error("get_account", json!({}));
        assert!(text.contains("HTTPS_PROXY"), "{text}");
        assert!(!text.contains(wrong_password), "{text}");
        s.assert_no_request();
        let TestSession { server, .. } = s;
        let (_, stderr) = server.finish();
        assert!(!stderr.contains(wrong_password), "{stderr}");
    }
    assert!(proxy.requests().iter().all(|request| request.status == 407));
    assert_eq!(proxy.tunnels(), 0);
}

#[test]
fn no_proxy_naming_the_api_host_bypasses_the_proxy() {
    let ca = TrustedCa::new();
    let proxy = Proxy::start().unwrap();
    let mut s = tls_session(&ca, |setup| {
        setup
            .with_env("HTTPS_PROXY", &proxy.url())
            .with_env("NO_PROXY", "intranet.example.test,localhost")
    });
    read_account(&mut s, 3);

    assert_eq!(s.take_requests().len(), 3);
    assert!(proxy.requests().is_empty(), "{:#?}", proxy.requests());
    assert_eq!(proxy.connections(), 0);
    assert_eq!(s.emulator.connection_stats().connections, 1);
}

#[test]
fn writes_through_the_proxy_are_still_audited() {
    let ca = TrustedCa::new();
    let proxy = Proxy::start().unwrap();
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let mut s = tls_session(&ca, |setup| {
        setup
            .with_env("HTTPS_PROXY", &proxy.url())
            .with_env("FACTURATION_AUDIT_LOG", audit.to_str().unwrap())
    });
    let created = s.call("create_customer", json!({ "company_name": "Audited SARL" }));
    let id = created["id"].as_u64().unwrap();
    s.call("get_customer", json!({ "customer_id": id }));

    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let events: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|line| {
            let text = |key: &str| line[key].as_str().unwrap_or_default();
            (text("event"), text("method"), text("path"))
        })
        .collect();
    let path = "/firms/1001/customers.json";
    assert_eq!(
        events,
        [("sending", "POST", path), ("answered", "POST", path)],
        "{lines:#?}"
    );
    assert_eq!(lines[1]["status"], 201, "{lines:#?}");
    assert_only_tunnels_to_the_api(&proxy, &s.emulator);
}

#[test]
fn with_a_proxy_configured_the_gate_still_refuses_other_hosts() {
    let ca = TrustedCa::new();
    let api = Emulator::start(ca.emulator_config()).unwrap();
    let elsewhere = Emulator::start(ca.emulator_config()).unwrap();
    let proxy = Proxy::start().unwrap();
    let home = tempfile::tempdir().unwrap();
    let probe = probe_component();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env(CA_FILE, &ca.file())
        .with_env("HTTPS_PROXY", &proxy.url())
        .with_env("HTTP_PROXY", &proxy.url())
        .with_args(&["--component", probe.to_str().unwrap()]);
    let mut server = McpServer::spawn(&setup);

    for url in [
        format!("{}/account.json", elsewhere.base_url()),
        format!("https://127.0.0.1:{}/account.json", elsewhere.port()),
        format!("http://127.0.0.1:{}/account.json", elsewhere.port()),
    ] {
        let command = format!("http GET {url}");
        let response = server.request("probe", probe_params(&command));
        let error = probe_outcome(&response, &command).unwrap_err();
        assert!(error.contains("HttpRequestDenied"), "{url}: {error}");
    }
    assert!(elsewhere.requests().is_empty());
    assert_eq!(elsewhere.connection_stats().connections, 0);
    assert!(proxy.requests().is_empty(), "{:#?}", proxy.requests());
    assert!(api.requests().is_empty());
    let (status, stderr) = server.finish();
    assert!(status.success());
    assert!(stderr.contains("sandbox refused GET"), "{stderr}");
}
