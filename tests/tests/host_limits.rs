//! The host's limits on the guest: a memory ceiling, a watchdog for computation that never
//! pauses, and a clear end when the guest crashes. The probe component plays the runaway.

use std::time::Duration;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, probe_component};

fn probe_setup(api: &Emulator, home: &std::path::Path) -> ServerSetup {
    let probe = probe_component();
    ServerSetup::against(&api.base_url(), &home.join("downloads"))
        .with_args(&["--component", probe.to_str().unwrap()])
        .with_env("FACTURATION_CPU_LIMIT_SECS", "1")
}

fn api() -> Emulator {
    Emulator::start(EmulatorConfig::without_demo_data()).unwrap()
}

#[test]
fn memory_beyond_the_ceiling_ends_the_session_clearly() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let output = probe_setup(&api, home.path()).run_with_input("alloc 16\nalloc 400\nalloc 1\n");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the small allocation answered, nothing after: {stdout}"
    );
    assert!(stdout.contains(r#""detail":16"#), "{stdout}");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("crashed") && first.contains("memory limit"),
        "{stderr}"
    );
}

#[test]
fn a_guest_computing_without_pause_is_stopped() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let output = probe_setup(&api, home.path()).run_with_input("spin 5\n");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "the runaway never answered");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or_default()
            .contains("without any input or output"),
        "{stderr}"
    );
}

#[test]
fn waiting_for_the_client_is_not_computing() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let mut server = McpServer::spawn(&probe_setup(&api, home.path()));
    // Idle for longer than the one-second limit, then work briefly: nothing is stopped.
    std::thread::sleep(Duration::from_millis(2500));
    server.send_line(b"spin 0");
    assert_eq!(server.read_message()["ok"], true);
    let (status, stderr) = server.finish();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_crash_ends_the_session_with_one_clear_line() {
    let api = api();
    let home = tempfile::tempdir().unwrap();
    let output = probe_setup(&api, home.path()).run_with_input("trap\n");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let summary = stderr
        .lines()
        .find(|line| line.starts_with("facturation-pro-mcp:"))
        .expect("a summary line");
    assert!(
        summary.contains("crashed and the session is over"),
        "{stderr}"
    );
}
