//! How the real `facturation-pro-mcp` binary takes its configuration: refusing a bad one
//! before any MCP traffic, the command line (`--help`, `--version`, `check`), the `.env` file
//! and its precedence, and the default User-Agent. The emulator's request log shows which
//! credentials and headers actually reached the API.

use std::path::Path;
use std::process::Output;

use facturation_pro_emulator::emulator::RecordedRequest;
use facturation_pro_emulator::harness::{
    McpServer, ServerFixture, ServerSetup, TEST_USER_AGENT, assert_route,
};
use serde_json::json;

/// The single request made, checked to be a GET /account.json with the given key.
fn single_account_request(fixture: &ServerFixture, api_key: &str) -> RecordedRequest {
    let requests = fixture.requests();
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request: {requests:#?}"
    );
    let request = requests.into_iter().next().unwrap();
    assert_route(&request, "GET", "/account.json");
    assert!(
        request.query.is_empty(),
        "unexpected query {:?}",
        request.query
    );
    assert_eq!(
        request.basic_auth(),
        Some(("demo-api-id".to_owned(), api_key.to_owned()))
    );
    request
}

/// Runs the binary to completion with stdin closed at once; stdout and stderr are captured.
fn run(setup: &ServerSetup) -> Output {
    setup.run_with_input("")
}

/// A path as a command-line argument.
fn path_arg(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Checks a refused configuration: non-zero exit, nothing on stdout, one stderr line naming
/// `variable`, and no request to the API.
fn assert_refused_naming(fixture: &ServerFixture, setup: &ServerSetup, variable: &str) {
    let output = run(setup);
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "exit status {}, stderr: {stderr}",
        output.status
    );
    assert_eq!(
        stdout_of(&output),
        "",
        "a refused configuration must not speak MCP"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr: {stderr:?}");
    assert!(
        lines[0].contains(variable),
        "{variable} is not named: {stderr:?}"
    );
    fixture.assert_no_api_request();
}

/// `check` run in `setup`, expected to succeed and list both emulator firms.
fn assert_check_succeeds(setup: &ServerSetup) -> String {
    let output = run(&setup.clone().with_args(&["check"]));
    let stdout = stdout_of(&output);
    assert!(
        output.status.success(),
        "check failed ({}): stdout {stdout:?}, stderr {:?}",
        output.status,
        stderr_of(&output)
    );
    assert!(
        stdout.contains("Atelier Demo SARL") && stdout.contains("Second Firm SAS"),
        "{stdout}"
    );
    stdout
}

// ---- refused configurations --------------------------------------------------------------

#[test]
fn a_missing_api_key_is_refused_before_any_mcp_traffic() {
    let fixture = ServerFixture::new();
    let setup = fixture.setup().without_env("FACTURATION_API_KEY");
    assert_refused_naming(&fixture, &setup, "FACTURATION_API_KEY");
}

#[test]
fn a_missing_api_id_is_refused_before_any_mcp_traffic() {
    let fixture = ServerFixture::new();
    let setup = fixture.setup().without_env("FACTURATION_API_ID");
    assert_refused_naming(&fixture, &setup, "FACTURATION_API_ID");
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    let fixture = ServerFixture::new();
    let setup = fixture.setup().with_env("FACTURATION_BASE_URL", "ftp://x");
    assert_refused_naming(&fixture, &setup, "FACTURATION_BASE_URL");
}

#[test]
fn a_firm_id_that_is_not_a_number_is_refused() {
    let fixture = ServerFixture::new();
    let setup = fixture.setup().with_env("FACTURATION_FIRM_ID", "abc");
    assert_refused_naming(&fixture, &setup, "FACTURATION_FIRM_ID");
}

// ---- command line -------------------------------------------------------------------------

#[test]
fn help_lists_the_check_and_serve_commands_without_any_configuration() {
    let fixture = ServerFixture::new();
    let mut setup = fixture.setup().with_args(&["--help"]);
    setup.env.clear();
    let output = run(&setup);
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "exit status {}", output.status);
    let commands: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        commands.contains(&"check"),
        "no `check` command in {stdout}"
    );
    assert!(
        commands.contains(&"serve"),
        "no `serve` command in {stdout}"
    );
    assert!(stdout.contains("--env-file"), "{stdout}");
    fixture.assert_no_api_request();
}

#[test]
fn version_prints_the_package_version() {
    let fixture = ServerFixture::new();
    let mut setup = fixture.setup().with_args(&["--version"]);
    setup.env.clear();
    let output = run(&setup);
    assert!(output.status.success(), "exit status {}", output.status);
    let expected = format!("facturation-pro-mcp {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout_of(&output).trim(), expected);
    fixture.assert_no_api_request();
}

// ---- check --------------------------------------------------------------------------------

#[test]
fn check_lists_the_firms_after_one_authenticated_account_request() {
    let fixture = ServerFixture::new();
    let output = run(&fixture.setup().with_args(&["check"]));
    let stdout = stdout_of(&output);
    let stderr = stderr_of(&output);
    assert!(
        output.status.success(),
        "check failed ({}): {stderr}",
        output.status
    );

    let firm_line = |id: &str| {
        stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(id))
    };
    let first = firm_line("1001").unwrap_or_else(|| panic!("firm 1001 missing from {stdout}"));
    assert!(first.contains("Atelier Demo SARL"), "{first}");
    let second = firm_line("1002").unwrap_or_else(|| panic!("firm 1002 missing from {stdout}"));
    assert!(second.contains("Second Firm SAS"), "{second}");
    assert!(!stderr.contains("warning"), "unexpected warning: {stderr}");

    let request = single_account_request(&fixture, "demo-api-key");
    assert_eq!(request.header("user-agent"), Some(TEST_USER_AGENT));
    assert_eq!(request.status, 200);
}

#[test]
fn check_with_a_wrong_api_key_reports_http_401() {
    let fixture = ServerFixture::new();
    let output = run(&fixture
        .setup()
        .with_env("FACTURATION_API_KEY", "not-the-key")
        .with_args(&["check"]));
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "check passed with a wrong key: {}",
        stdout_of(&output)
    );
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert_eq!(stdout_of(&output), "");

    let request = single_account_request(&fixture, "not-the-key");
    assert_eq!(request.status, 401);
}

#[test]
fn check_with_a_firm_outside_the_account_names_it() {
    let fixture = ServerFixture::new();
    let output = run(&fixture
        .setup()
        .with_env("FACTURATION_FIRM_ID", "9999")
        .with_args(&["check"]));
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "check accepted firm 9999: {}",
        stdout_of(&output)
    );
    assert!(stderr.contains("FACTURATION_FIRM_ID=9999"), "{stderr}");

    let request = single_account_request(&fixture, "demo-api-key");
    assert_eq!(request.status, 200);
}

// ---- settings files ---------------------------------------------------------------------

/// A home folder whose configuration folder holds `.env` with `contents`, as install.sh
/// leaves it.
fn home_with_settings(contents: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".config").join("facturation-pro-mcp");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(".env"), contents).unwrap();
    home
}

fn in_home(setup: ServerSetup, home: &tempfile::TempDir) -> ServerSetup {
    setup.with_env("HOME", home.path().to_str().unwrap())
}

#[test]
fn the_configuration_folders_settings_supply_what_the_environment_lacks() {
    let fixture = ServerFixture::new();
    let home = home_with_settings("FACTURATION_API_KEY=demo-api-key\n");
    assert_check_succeeds(&in_home(
        fixture.setup().without_env("FACTURATION_API_KEY"),
        &home,
    ));
    single_account_request(&fixture, "demo-api-key");
}

#[test]
fn the_environment_wins_over_the_settings_file() {
    let fixture = ServerFixture::new();
    let home = home_with_settings("FACTURATION_API_KEY=key-from-the-file\n");
    assert_check_succeeds(&in_home(
        fixture
            .setup()
            .with_env("FACTURATION_API_KEY", "demo-api-key"),
        &home,
    ));
    single_account_request(&fixture, "demo-api-key");
}

#[test]
fn env_file_option_reads_another_file_instead_of_the_configuration_folders() {
    let fixture = ServerFixture::new();
    let home = home_with_settings("FACTURATION_API_KEY=key-from-the-folder\n");
    let other = fixture.write_file(
        "other.env",
        "# chosen on the command line\nFACTURATION_API_KEY=demo-api-key\n",
    );
    let setup = in_home(fixture.setup().without_env("FACTURATION_API_KEY"), &home);
    let other = path_arg(&other);
    let output = run(&setup.with_args(&["--env-file", &other, "check"]));
    assert!(
        output.status.success(),
        "check failed: {}",
        stderr_of(&output)
    );
    assert!(stdout_of(&output).contains("Atelier Demo SARL"));
    single_account_request(&fixture, "demo-api-key");
}

#[test]
fn env_file_option_with_a_missing_setting_is_refused() {
    // The chosen file lacks the key and the folder's file (which has it) is not consulted.
    let fixture = ServerFixture::new();
    let home = home_with_settings("FACTURATION_API_KEY=demo-api-key\n");
    let other = fixture.write_file("other.env", "FACTURATION_TIMEOUT_SECS=5\n");
    let setup = in_home(fixture.setup().without_env("FACTURATION_API_KEY"), &home);
    let other = path_arg(&other);
    assert_refused_naming(
        &fixture,
        &setup.with_args(&["--env-file", &other, "check"]),
        "FACTURATION_API_KEY",
    );
}

#[test]
fn a_dotenv_in_the_working_folder_is_never_read() {
    let fixture = ServerFixture::new();
    fixture.write_file(".env", "FACTURATION_API_KEY=demo-api-key\n");
    assert_refused_naming(
        &fixture,
        &fixture
            .setup()
            .without_env("FACTURATION_API_KEY")
            .with_args(&["check"]),
        "FACTURATION_API_KEY",
    );
}

// ---- User-Agent ---------------------------------------------------------------------------

#[test]
fn without_a_user_agent_the_server_warns_and_sends_its_own() {
    let fixture = ServerFixture::new();
    let mut server = McpServer::spawn(&fixture.setup().without_env("FACTURATION_USER_AGENT"));
    server.initialize("2025-11-25");
    let result = server.call_tool("get_account", json!({}));
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(result["structuredContent"]["firms"][0]["id"], 1001);
    let (status, stderr) = server.finish();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("FACTURATION_USER_AGENT"),
        "no warning in {stderr:?}"
    );

    let request = single_account_request(&fixture, "demo-api-key");
    let agent = request.header("user-agent").unwrap_or_default();
    assert!(
        agent.starts_with("facturation-pro-mcp/"),
        "User-Agent sent: {agent:?}"
    );
    assert_eq!(request.status, 200);
}
