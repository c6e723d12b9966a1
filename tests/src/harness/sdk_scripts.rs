//! Runs a script of tests/sdk, a client built on an official MCP SDK, against the real
//! server: over stdio (the SDK spawns the host itself) or over Streamable HTTP (a host
//! started here). A `.py` script runs on the Python SDK's venv, a `.mjs` one on Node with
//! the TypeScript SDK; both kinds take the same JSON spec naming the server, print a JSON
//! summary on their last line, and exit non-zero with the SDK's traceback or stack when
//! anything failed.

use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};

use super::artifacts::{sdk_node, sdk_python, workspace_root};
use super::client::ServerSetup;
use super::http_client::{HttpEndpoint, HttpMcpServer};

#[derive(Clone, Copy, Debug)]
pub enum SdkTransport {
    Stdio,
    Http,
}

/// Runs `tests/sdk/<script>` with `spec` (an object: the mode and whatever the script
/// needs) plus the server to reach, started from `setup` with `home` as its HOME. Returns
/// the script's summary; panics with everything the script and server said when it failed.
pub fn run_sdk_script(
    script: &str,
    transport: SdkTransport,
    setup: &ServerSetup,
    home: &Path,
    spec: Value,
) -> Value {
    // Kept alive until the script is done; None on stdio, where the SDK spawns the server.
    let mut http_server = None;
    let server = match transport {
        SdkTransport::Stdio => {
            // The SDK adds a few variables of its own environment (PATH, HOME, ...) to what
            // it is given; HOME here keeps the audit log in the temporary home.
            let mut env: Map<String, Value> = setup
                .env
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            env.insert("HOME".into(), json!(home));
            json!({ "stdio": {
                "command": setup.binary(), "args": setup.args, "env": env, "cwd": setup.cwd,
            } })
        }
        SdkTransport::Http => {
            let started = HttpMcpServer::start(setup);
            let url = format!("http://{}/mcp", started.address());
            http_server = Some(started);
            json!({ "http": url })
        }
    };
    let mut spec = spec;
    spec["server"] = server;
    let server_said = || {
        http_server
            .as_ref()
            .map(HttpMcpServer::stderr)
            .unwrap_or_else(|| "(spawned by the SDK, which shows it above)".into())
    };
    run_script(script, &spec, server_said)
}

/// Runs `tests/sdk/<script>` against a server already serving HTTP (`server`, reached at
/// `url`), such as the remote connector; the script's summary.
pub fn run_sdk_script_at(script: &str, server: &HttpMcpServer, url: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["server"] = json!({ "http": url });
    run_script(script, &spec, || server.stderr())
}

/// Runs the script with `spec` and returns its summary; panics with what the script and the
/// server (`server_said`) said when it failed.
fn run_script(script: &str, spec: &Value, server_said: impl Fn() -> String) -> Value {
    let output = runner_of(script)
        .arg(workspace_root().join("tests/sdk").join(script))
        .arg(spec.to_string())
        .output()
        .unwrap_or_else(|error| panic!("run {script}: {error}"));
    let said = || {
        format!(
            "\n--- script stdout:\n{}\n--- script stderr:\n{}\n--- server stderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            server_said(),
        )
    };
    assert!(
        output.status.success(),
        "{script} ({}): the SDK session failed ({}){}",
        spec["mode"],
        output.status,
        said()
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON summary on the last line{}", said()))
}

/// The interpreter of `script`, told by its extension; a missing one fails the test, saying
/// how to install it.
fn runner_of(script: &str) -> Command {
    match Path::new(script).extension().and_then(|ext| ext.to_str()) {
        Some("py") => {
            let mut command = Command::new(sdk_python());
            command.env("PYTHONDONTWRITEBYTECODE", "1");
            command
        }
        Some("mjs") => Command::new(sdk_node()),
        _ => panic!("{script}: tests/sdk holds .py and .mjs scripts only"),
    }
}
