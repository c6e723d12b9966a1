//! What the sandbox denies, proven from inside it. The probe component (tests/probe) runs
//! under the real host with the same capabilities as the real guest, one fresh instance per
//! request like the guest, and tries the forbidden things; the real guest is checked too
//! where it can be made to try (a hostile redirect).

use std::path::Path;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::probe::{probe_outcome, probe_params};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, probe_component};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Probe {
    server: McpServer,
    home: TempDir,
}

impl Probe {
    /// The probe under the host, configured for `base_url`, with `extra_env` in the host's
    /// environment (which the guest must not see).
    fn start(base_url: &str, extra_env: &[(&str, &str)]) -> Probe {
        let home = tempfile::tempdir().unwrap();
        let downloads = home.path().join("downloads");
        let probe = probe_component();
        let mut setup = ServerSetup::against(base_url, &downloads)
            .with_args(&["--component", probe.to_str().unwrap()]);
        for (name, value) in extra_env {
            setup = setup.with_env(name, value);
        }
        let mut probe = Probe {
            server: McpServer::spawn(&setup),
            home,
        };
        // Once the probe answers, the host has created the downloads folder it mounts.
        assert_eq!(probe.run("list /downloads"), Ok(json!([])));
        assert!(probe.downloads().is_dir());
        probe
    }

    fn downloads(&self) -> std::path::PathBuf {
        self.home.path().join("downloads")
    }

    /// Runs one probe command as a modern MCP request and waits for its answer; returns
    /// `Ok(detail)` or `Err(error text)`.
    fn run(&mut self, command: &str) -> Result<Value, String> {
        let response = self.server.request("probe", probe_params(command));
        probe_outcome(&response, command)
    }
}

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::without_demo_data()).unwrap()
}

#[test]
fn the_guest_sees_only_the_listed_environment() {
    let api = emulator();
    let mut probe = Probe::start(
        &api.base_url(),
        &[("HOST_SECRET", "hunter2"), ("PATH", "/usr/bin")],
    );
    let env = probe
        .run("env")
        .expect("reading the environment is allowed");
    let names: Vec<&str> = env
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "FACTURATION_BASE_URL",
            "FACTURATION_FIRM_ID",
            "FACTURATION_USER_AGENT",
            // The guest's own secret for sealing confirmation states, not an API secret.
            "FACTURATION_STATE_KEY",
            "FACTURATION_DOWNLOADS_DIR"
        ]
    );
    let values = env.to_string();
    assert!(
        !values.contains("hunter2") && !values.contains("demo-api-key"),
        "leaked: {values}"
    );
}

#[test]
fn files_outside_the_downloads_folder_are_out_of_reach() {
    let api = emulator();
    let mut probe = Probe::start(&api.base_url(), &[]);
    let outside = probe.home.path().join("outside.txt");
    std::fs::write(&outside, "private").unwrap();

    for path in [
        "/etc/passwd",
        &outside.display().to_string(),
        "/downloads/../outside.txt",
    ] {
        assert!(
            probe.run(&format!("read {path}")).is_err(),
            "{path} was readable"
        );
    }
    assert!(
        probe.run("list /").is_err(),
        "the root directory was listable"
    );
    assert!(
        probe
            .run(&format!(
                "write {} x",
                probe.home.path().join("new.txt").display()
            ))
            .is_err()
    );
    assert!(probe.run("write /downloads/../escaped.txt x").is_err());
    assert!(
        !probe.home.path().join("new.txt").exists()
            && !probe.home.path().join("escaped.txt").exists()
    );

    // Inside the folder, reading and writing work and land in the user's real folder.
    assert_eq!(probe.run("write /downloads/note.txt hello"), Ok(json!(5)));
    assert_eq!(
        std::fs::read_to_string(probe.downloads().join("note.txt")).unwrap(),
        "hello"
    );
    assert_eq!(probe.run("read /downloads/note.txt"), Ok(json!(5)));
}

#[test]
fn a_symlink_planted_in_downloads_does_not_lead_outside() {
    let api = emulator();
    let mut probe = Probe::start(&api.base_url(), &[]);
    let secret_dir = probe.home.path().join("secret");
    std::fs::create_dir(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("key.txt"), "private").unwrap();
    symlink(&secret_dir, &probe.downloads().join("door"));
    symlink(
        &secret_dir.join("key.txt"),
        &probe.downloads().join("key-link.txt"),
    );

    assert!(probe.run("read /downloads/door/key.txt").is_err());
    assert!(probe.run("read /downloads/key-link.txt").is_err());
    assert!(probe.run("write /downloads/door/planted.txt x").is_err());
    assert!(!secret_dir.join("planted.txt").exists());
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[test]
fn http_reaches_only_the_api_origin_with_credentials_added_by_the_host() {
    let api = emulator();
    let elsewhere = emulator();
    let mut probe = Probe::start(&api.base_url(), &[]);

    // Same host, other port: refused by the host before any connection.
    let error = probe
        .run(&format!("http GET {}/account.json", elsewhere.base_url()))
        .unwrap_err();
    assert!(error.contains("HttpRequestDenied"), "{error}");
    let other_host = format!("http://localhost:{}/account.json", api.port());
    assert!(
        probe
            .run(&format!("http GET {other_host}"))
            .unwrap_err()
            .contains("HttpRequestDenied")
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the other server was contacted"
    );

    // The API origin is reachable, and the host supplied the credentials the guest lacks.
    let answer = probe
        .run(&format!("http GET {}/account.json", api.base_url()))
        .expect("the API is allowed");
    assert_eq!(answer["status"], 200);
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].basic_auth(),
        Some(("demo-api-id".into(), "demo-api-key".into()))
    );
}

#[test]
fn the_guest_cannot_set_its_own_authorization_header() {
    let api = emulator();
    let mut probe = Probe::start(&api.base_url(), &[]);
    let error = probe
        .run(&format!(
            "http GET {}/account.json Basic:c3RvbGVu",
            api.base_url()
        ))
        .unwrap_err();
    assert!(error.contains("Forbidden"), "{error}");
    assert!(api.requests().is_empty());
}

#[test]
fn sockets_and_name_lookups_fail() {
    let api = emulator();
    let mut probe = Probe::start(&api.base_url(), &[]);
    let error = probe
        .run(&format!("tcp 127.0.0.1 {}", api.port()))
        .unwrap_err();
    assert!(error.contains("access-denied"), "{error}");
    assert!(probe.run("dns localhost").is_err());
    assert!(api.requests().is_empty(), "a raw socket reached the API");
}

#[test]
fn a_redirect_to_another_origin_is_refused_and_reported() {
    let api = emulator();
    let elsewhere = emulator();
    api.redirect_everything_to(Some(elsewhere.base_url()));
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&ServerSetup::against(
        &api.base_url(),
        &home.path().join("downloads"),
    ));
    server.initialize("2025-11-25");

    let result = server.call_tool("get_account", json!({}));
    assert_eq!(result["isError"], true);
    // The component refuses the hop itself (it must, under hosts that are not ours); the
    // host's gate, which would refuse it too, is proven by the probe tests above.
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("was not followed") && text.contains("may only contact"),
        "{text}"
    );
    assert_eq!(api.requests().len(), 1, "the API answered the first hop");
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect target was contacted"
    );
    let (status, _) = server.finish();
    assert!(status.success());
}
