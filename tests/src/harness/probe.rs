//! Talking to the sandbox probe component (tests/probe) through the host. The host forwards
//! only modern MCP requests to a component, one fresh instance each, so every probe request
//! carries the `_meta` of that protocol revision.

use serde_json::{Value, json};

/// The MCP revision whose requests carry their protocol version and client capabilities in
/// `params._meta` instead of relying on an `initialize` handshake.
pub const MODERN_PROTOCOL_VERSION: &str = "2026-07-28";

/// The `_meta` of a modern MCP request, with no client capabilities.
pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN_PROTOCOL_VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

/// The `params` of a probe request running `command` (e.g. `"read /downloads/a.txt"`), for
/// `McpServer::request("probe", …)`.
pub fn probe_params(command: &str) -> Value {
    json!({ "_meta": modern_meta(), "command": command })
}

/// A whole probe request with this id, for tests that send several before reading.
pub fn probe_request(id: u64, command: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "probe", "params": probe_params(command) })
}

/// What the probe reported for `command` in `response`: `Ok(detail)` when the attempt went
/// through, `Err(error text)` when the sandbox stopped it. Panics on anything that is not
/// the probe's own report, such as the host's error for a crashed instance.
pub fn probe_outcome(response: &Value, command: &str) -> Result<Value, String> {
    let report = &response["result"];
    assert_eq!(
        report["command"], command,
        "not the probe's report on {command:?}: {response}"
    );
    match report["ok"].as_bool() {
        Some(true) => Ok(report["detail"].clone()),
        _ => Err(report["error"].as_str().unwrap_or_default().to_string()),
    }
}
