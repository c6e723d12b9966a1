//! The ready-made client configurations in configs/: each parses in its client's format,
//! names only variables that .env.example documents, and starts only what this project
//! builds (our binary, our published image, or Docker's gateway on our server). The native
//! entries are then started exactly as each client would start them, placeholders filled
//! in, and hold a real MCP session with the emulator. configs/docker-mcp-toolkit.sh is
//! checked by bash and shellcheck, then run with a stand-in for the docker CLI that records
//! what it is asked to do.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::docker_stand_in::DockerStandIn;
use facturation_pro_emulator::harness::workspace_root;
use facturation_pro_emulator::harness::{McpServer, TEST_USER_AGENT, assert_route, host_binary};
use serde_json::{Value, json};

const BINARY_NAME: &str = "facturation-pro-mcp";
const SERVER_NAME: &str = "facturation-pro";
const DOWNLOADS_VOLUME_MOUNT: &str = "facturation-pro-downloads:/downloads";

fn read_text(relative: &str) -> String {
    let path = workspace_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn read_json(relative: &str) -> Value {
    serde_json::from_str(&read_text(relative))
        .unwrap_or_else(|error| panic!("{relative} is not JSON: {error}"))
}

/// The image the container entries must run: ours, at the workspace's version.
fn published_image() -> String {
    format!(
        "ghcr.io/facturation-pro-mcp/facturation-pro-mcp:{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Every variable .env.example documents, set or commented out.
fn documented_variables() -> BTreeSet<String> {
    read_text(".env.example")
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches('#').trim_start();
            let (name, _) = line.split_once('=')?;
            name.starts_with("FACTURATION_").then(|| name.to_string())
        })
        .collect()
}

/// Every `FACTURATION_*` name mentioned anywhere in `text`.
fn variables_named_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("FACTURATION_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

fn assert_variables_documented(file: &str, text: &str) {
    let documented = documented_variables();
    let named = variables_named_in(text);
    assert!(!named.is_empty(), "{file} names no FACTURATION_* variable");
    let unknown: Vec<_> = named.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "{file} names variables .env.example does not document: {unknown:?}"
    );
}

/// The server entries of a client file: `mcpServers` (Claude Desktop, Cursor) or
/// `servers` (VS Code).
fn entries<'a>(config: &'a Value, key: &str) -> Vec<(&'a String, &'a Value)> {
    let servers = config[key]
        .as_object()
        .unwrap_or_else(|| panic!("no \"{key}\" object in {config}"));
    assert!(!servers.is_empty(), "\"{key}\" is empty");
    servers.iter().collect()
}

fn string_args(entry: &Value) -> Vec<String> {
    match &entry["args"] {
        Value::Null => Vec::new(),
        Value::Array(args) => args
            .iter()
            .map(|arg| {
                arg.as_str()
                    .expect("every argument is a string")
                    .to_string()
            })
            .collect(),
        other => panic!("args is not an array: {other}"),
    }
}

/// The value after `flag` in `args`, if the flag is there.
fn value_after<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|arg| arg == flag)
        .and_then(|index| args.get(index + 1))
        .map(String::as_str)
}

/// Checks that an entry starts something this project builds: our binary with arguments it
/// accepts, `docker run` of our published image with the hardening the docs recommend, or
/// Docker's MCP gateway on our server.
fn assert_known_command(file: &str, name: &str, entry: &Value) {
    let command = entry["command"]
        .as_str()
        .unwrap_or_else(|| panic!("{file}: {name} has no command"));
    let args = string_args(entry);
    let program = command.rsplit('/').next().unwrap_or(command);
    match program {
        BINARY_NAME => {
            // Only what the binary's command line takes: --env-file PATH and `serve`.
            let mut rest = args.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--env-file" => {
                        rest.next()
                            .unwrap_or_else(|| panic!("{file}: {name}: --env-file needs a path"));
                    }
                    "serve" => {}
                    other => panic!("{file}: {name}: the binary takes no argument {other:?}"),
                }
            }
        }
        "docker" if args.first().map(String::as_str) == Some("run") => {
            assert_eq!(
                args.last(),
                Some(&published_image()),
                "{file}: {name} must run our published image last: {args:?}"
            );
            for (flag, value) in [
                ("--cap-drop", "ALL"),
                ("--security-opt", "no-new-privileges"),
                ("-v", DOWNLOADS_VOLUME_MOUNT),
            ] {
                assert_eq!(
                    value_after(&args, flag),
                    Some(value),
                    "{file}: {name} lacks {flag} {value}: {args:?}"
                );
            }
            for flag in ["-i", "--rm", "--read-only"] {
                assert!(
                    args.iter().any(|arg| arg == flag),
                    "{file}: {name} lacks {flag}: {args:?}"
                );
            }
            // `-e NAME` passes a variable through by name; its value never sits in args.
            for (index, arg) in args.iter().enumerate() {
                if arg == "-e" {
                    let passed = &args[index + 1];
                    assert!(
                        passed.starts_with("FACTURATION_") && !passed.contains('='),
                        "{file}: {name}: -e {passed} must name a variable, not set one"
                    );
                }
            }
        }
        "docker" => {
            assert_eq!(
                args[..3],
                ["mcp", "gateway", "run"],
                "{file}: {name} runs docker neither as `run` nor as the MCP gateway"
            );
            let target = value_after(&args, "--profile").or(value_after(&args, "--servers"));
            assert_eq!(
                target,
                Some(SERVER_NAME),
                "{file}: {name} must start the gateway on the {SERVER_NAME} profile or server"
            );
        }
        other => panic!("{file}: {name} runs {other:?}, which this project does not build"),
    }
}

// ---- every file ---------------------------------------------------------------------------

#[test]
fn each_json_config_starts_only_what_we_build_with_documented_variables() {
    for (file, key) in [
        ("configs/claude-desktop.json", "mcpServers"),
        ("configs/vscode-mcp.json", "servers"),
        ("configs/cursor-mcp.json", "mcpServers"),
    ] {
        let config = read_json(file);
        assert_variables_documented(file, &read_text(file));
        let entries = entries(&config, key);
        let mut kinds = BTreeSet::new();
        for (name, entry) in entries {
            assert!(
                name.starts_with(SERVER_NAME),
                "{file}: entry {name} is not named after {SERVER_NAME}"
            );
            assert_known_command(file, name, entry);
            if let Some(env) = entry.get("env") {
                let env = env.as_object().expect("env is an object");
                for (variable, value) in env {
                    assert!(
                        variable.starts_with("FACTURATION_"),
                        "{file}: {name} sets {variable}"
                    );
                    assert!(
                        value.is_string(),
                        "{file}: {name}: {variable} is not a string"
                    );
                }
            }
            kinds.insert(if entry["command"] == "docker" {
                "container"
            } else {
                "native"
            });
        }
        assert_eq!(
            kinds,
            BTreeSet::from(["container", "native"]),
            "{file} must offer the native binary and a container route"
        );
    }
}

#[test]
fn the_claude_desktop_gateway_entry_uses_the_profile_register_toolkit_creates() {
    let config = read_json("configs/claude-desktop.json");
    let args = string_args(&config["mcpServers"]["facturation-pro-toolkit"]);
    assert_eq!(
        args,
        ["mcp", "gateway", "run", "--profile", SERVER_NAME],
        "the gateway entry"
    );
    // The profile id the registration script creates, from its own dry run.
    let output = Command::new("bash")
        .arg(workspace_root().join("scripts/register-toolkit.sh"))
        .arg("--dry-run")
        .env("HOME", tempfile::tempdir().unwrap().path())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("+ docker mcp profile create ")
                && line.contains(&format!(" --id {SERVER_NAME} "))),
        "register-toolkit.sh creates another profile: {stdout}"
    );
}

// ---- native entries, started for real -----------------------------------------------------

/// What a session through a client's entry must show: the handshake, the whole tool list
/// in one page, and a tool call that reached the emulator with the configured credentials
/// and User-Agent.
fn assert_real_session(mut server: McpServer, emulator: &Emulator, user_agent: &str) {
    let init = server.initialize("2025-11-25");
    assert_eq!(init["serverInfo"]["name"], BINARY_NAME, "{init}");
    let listed = server.request("tools/list", json!({}));
    let tools = listed["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {listed}"));
    let names: BTreeSet<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    for expected in ["get_account", "create_invoice", "download_invoice_pdf"] {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        listed["result"].get("nextCursor").is_none(),
        "clients that never ask for page two must get every tool at once"
    );
    assert!(
        emulator.requests().is_empty(),
        "listing tools must not call the API"
    );

    let account = server.call_tool("get_account", json!({}));
    assert_eq!(account["isError"], false, "{account}");
    let firms = account["structuredContent"]["firms"]
        .as_array()
        .unwrap_or_else(|| panic!("no firms: {account}"));
    assert_eq!(firms.len(), 2, "{account}");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
    assert_eq!(
        requests[0].basic_auth(),
        Some(("demo-api-id".to_string(), "demo-api-key".to_string()))
    );
    assert_eq!(requests[0].header("user-agent"), Some(user_agent));
    let (status, stderr) = server.finish();
    assert!(status.success(), "exit {status}: {stderr}");
}

/// The client's own environment around an entry: only a home (the clients pass theirs)
/// and, where the entry names a bare program, a PATH where it can be found.
fn client_command(program: &str, args: &[String], home: &Path, path: Option<&Path>) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("HOME", home)
        .args(args)
        // The working directory holds no .env: only what the entry says counts.
        .current_dir(home);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command
}

fn replace_all(text: &str, replacements: &[(&str, &str)]) -> String {
    replacements
        .iter()
        .fold(text.to_string(), |text, (placeholder, value)| {
            assert!(
                text.contains(placeholder),
                "{placeholder} is not in the config any more"
            );
            text.replace(placeholder, value)
        })
}

#[test]
fn the_claude_desktop_native_entry_runs_as_written_once_its_placeholders_are_filled() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let home = tempfile::tempdir().unwrap();
    let binary = host_binary();
    let raw = read_text("configs/claude-desktop.json");
    // The placeholders a user replaces, plainly marked as such.
    let filled = replace_all(
        &raw,
        &[
            (
                "/ABSOLUTE/PATH/TO/facturation-pro-mcp",
                binary.to_str().unwrap(),
            ),
            ("YOUR_API_ID", "demo-api-id"),
            ("YOUR_API_KEY", "demo-api-key"),
            ("YOUR_APP_NAME (you@example.com)", TEST_USER_AGENT),
            ("https://www.facturation.pro", &emulator.base_url()),
        ],
    );
    assert!(
        !filled.contains("YOUR_") && !filled.contains("/ABSOLUTE/PATH"),
        "a placeholder is left: {filled}"
    );
    let config: Value = serde_json::from_str(&filled).unwrap();
    let entry = &config["mcpServers"][SERVER_NAME];
    let mut command = client_command(
        entry["command"].as_str().unwrap(),
        &string_args(entry),
        home.path(),
        None,
    );
    for (name, value) in entry["env"].as_object().expect("an env object") {
        command.env(name, value.as_str().unwrap());
    }
    assert_real_session(
        McpServer::spawn_command(command),
        &emulator,
        TEST_USER_AGENT,
    );
}

#[test]
fn the_vscode_native_entry_runs_with_the_answers_to_its_inputs() {
    let config = read_json("configs/vscode-mcp.json");
    let inputs = config["inputs"].as_array().expect("an inputs array");
    let input = |id: &str| {
        inputs
            .iter()
            .find(|input| input["id"] == id)
            .unwrap_or_else(|| panic!("no input {id}"))
    };
    for input in inputs {
        assert_eq!(input["type"], "promptString", "{input}");
        assert!(input["description"].as_str().is_some_and(|d| !d.is_empty()));
    }
    // Every ${input:...} the servers use is declared; the credentials are typed hidden and
    // never written in the file.
    for (name, entry) in entries(&config, "servers") {
        assert_eq!(entry["type"], "stdio", "{name}");
        for (variable, value) in entry["env"].as_object().expect("env") {
            let value = value.as_str().unwrap();
            let id = value
                .strip_prefix("${input:")
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{name}: {variable} is not taken from an input"));
            let declared = input(id);
            if variable == "FACTURATION_API_KEY" || variable == "FACTURATION_API_ID" {
                assert_eq!(declared["password"], true, "{id} must be typed hidden");
            }
        }
    }

    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let home = tempfile::tempdir().unwrap();
    let answers = [
        ("facturation-api-id", "demo-api-id"),
        ("facturation-api-key", "demo-api-key"),
        ("facturation-firm-id", "1001"),
        ("facturation-user-agent", TEST_USER_AGENT),
    ];
    let entry = &config["servers"][SERVER_NAME];
    let binary = host_binary();
    // VS Code finds a bare command on the PATH it was started with.
    let mut command = client_command(
        entry["command"].as_str().unwrap(),
        &string_args(entry),
        home.path(),
        Some(binary.parent().unwrap()),
    );
    for (variable, value) in entry["env"].as_object().unwrap() {
        let value = answers
            .iter()
            .fold(value.as_str().unwrap().to_string(), |v, (id, answer)| {
                v.replace(&format!("${{input:{id}}}"), answer)
            });
        assert!(!value.contains("${"), "{variable} is left as {value}");
        command.env(variable, value);
    }
    // The client's own environment carries no base URL; the test points it at the emulator.
    command.env("FACTURATION_BASE_URL", emulator.base_url());
    assert_real_session(
        McpServer::spawn_command(command),
        &emulator,
        TEST_USER_AGENT,
    );
}

#[test]
fn the_cursor_native_entry_reads_the_env_file_the_installer_writes() {
    let config = read_json("configs/cursor-mcp.json");
    let entry = &config["mcpServers"][SERVER_NAME];
    let args = string_args(entry);
    assert_eq!(
        value_after(&args, "--env-file"),
        Some("${userHome}/.config/facturation-pro-mcp/.env"),
        "the native entry must read the file scripts/install.sh writes"
    );
    // The container entry takes the credentials from Cursor's environment, not the file.
    let docker = &config["mcpServers"]["facturation-pro-docker"];
    for (variable, value) in docker["env"].as_object().expect("env") {
        assert_eq!(
            value.as_str(),
            Some(format!("${{env:{variable}}}").as_str()),
            "{variable} must come from the environment, never be written here"
        );
    }

    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let home = tempfile::tempdir().unwrap();
    let env_dir = home.path().join(".config/facturation-pro-mcp");
    std::fs::create_dir_all(&env_dir).unwrap();
    // As install.sh writes it for a native install: values with spaces single-quoted.
    std::fs::write(
        env_dir.join(".env"),
        format!(
            "FACTURATION_API_ID=demo-api-id\nFACTURATION_API_KEY=demo-api-key\n\
             FACTURATION_USER_AGENT='{TEST_USER_AGENT}'\nFACTURATION_BASE_URL={}\n",
            emulator.base_url()
        ),
    )
    .unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|arg| arg.replace("${userHome}", home.path().to_str().unwrap()))
        .collect();
    let binary = host_binary();
    let command = client_command(
        entry["command"].as_str().unwrap(),
        &args,
        home.path(),
        Some(binary.parent().unwrap()),
    );
    assert_real_session(
        McpServer::spawn_command(command),
        &emulator,
        TEST_USER_AGENT,
    );
}

// ---- the Toolkit script -------------------------------------------------------------------

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

#[test]
fn the_toolkit_script_only_runs_docker_mcp_on_our_server() {
    let text = read_text("configs/docker-mcp-toolkit.sh");
    assert_variables_documented("configs/docker-mcp-toolkit.sh", &text);
    // Every docker command line in the script: `docker mcp ...` naming our server.
    let docker_lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#') && !line.starts_with("echo"))
        .filter_map(|line| line.find("docker ").map(|at| &line[at..]))
        .collect();
    assert!(docker_lines.len() >= 5, "{docker_lines:#?}");
    for line in docker_lines {
        assert!(line.starts_with("docker mcp "), "{line}");
        assert!(
            line.contains(SERVER_NAME),
            "{line} does not name {SERVER_NAME}"
        );
    }
}

#[test]
fn the_toolkit_script_registers_the_server_stores_secrets_on_stdin_and_lists_tools() {
    let stub = DockerStandIn::new();
    let home = tempfile::tempdir().unwrap();
    let secret = "k3y with spaces $and #signs";
    let run = |profile_exists: bool| {
        let output = Command::new("bash")
            .arg(workspace_root().join("configs/docker-mcp-toolkit.sh"))
            .env("HOME", home.path())
            .env("PATH", format!("{}:/usr/bin:/bin", stub.dir().display()))
            .env("STUB_DIR", stub.dir())
            .env(
                "STUB_PROFILE_EXISTS",
                if profile_exists { "1" } else { "0" },
            )
            .env("FACTURATION_API_ID", "demo-api-id")
            .env("FACTURATION_API_KEY", secret)
            .env("FACTURATION_FIRM_ID", "1001")
            .env("FACTURATION_USER_AGENT", TEST_USER_AGENT)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!stdout.contains(secret), "the secret was printed: {stdout}");
    };
    run(false);

    // The entry was copied where the gateway accepts local files, unchanged.
    let entry = home
        .path()
        .join(".docker/mcp/catalogs/facturation-pro-mcp/docker-mcp-config.json");
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        std::fs::read(workspace_root().join("docker-mcp-config.json")).unwrap()
    );
    let reference = format!("file://{}", entry.display());
    // JSON strings: `profile config --set` would read 1001 as a number otherwise.
    let user_agent_setting = format!("facturation-pro.user_agent=\"{TEST_USER_AGENT}\"");
    let expected = vec![
        (strings(&["mcp", "profile", "show", SERVER_NAME]), None),
        (
            strings(&[
                "mcp",
                "profile",
                "create",
                "--name",
                "Facturation.PRO",
                "--id",
                SERVER_NAME,
                "--server",
                &reference,
            ]),
            None,
        ),
        (
            strings(&["mcp", "secret", "set", "facturation-pro.api_id"]),
            Some("demo-api-id".to_string()),
        ),
        (
            strings(&["mcp", "secret", "set", "facturation-pro.api_key"]),
            // Exactly the value: no trailing newline stored with it.
            Some(secret.to_string()),
        ),
        (
            strings(&[
                "mcp",
                "profile",
                "config",
                SERVER_NAME,
                "--set",
                "facturation-pro.firm_id=\"1001\"",
                "--set",
                &user_agent_setting,
            ]),
            None,
        ),
        (
            strings(&[
                "mcp",
                "tools",
                "ls",
                "--gateway-arg=--profile=facturation-pro",
            ]),
            None,
        ),
    ];
    assert_eq!(stub.calls(), expected);

    // Run again with the profile in place: the server is updated, not created twice.
    stub.forget_calls();
    run(true);
    let calls = stub.calls();
    assert_eq!(
        calls[1].0,
        strings(&[
            "mcp",
            "profile",
            "server",
            "add",
            SERVER_NAME,
            "--server",
            &reference
        ])
    );
    assert_eq!(calls.len(), expected.len());
}
