//! One end-to-end test's world: an emulator, the real server talking to it over stdio, and
//! a private downloads folder; plus the checks every tool test makes on results and on
//! what the emulator recorded.

use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use super::{McpServer, ServerSetup};
use crate::emulator::{Emulator, EmulatorConfig, RecordedRequest};

/// The User-Agent `ServerSetup::against` configures.
pub const TEST_USER_AGENT: &str = "facturation-pro-mcp tests (tests@example.test)";

pub struct TestSession {
    pub emulator: Emulator,
    pub server: McpServer,
    home: TempDir,
}

impl TestSession {
    /// An initialized session (protocol 2025-11-25) against an emulator with no demo data.
    pub fn new() -> Self {
        Self::with(
            EmulatorConfig {
                seed_demo_data: false,
                ..EmulatorConfig::default()
            },
            |setup| setup,
        )
    }

    /// The same, with the emulator's demo data (customers, quotes, invoices, files...).
    pub fn with_demo_data() -> Self {
        Self::with(EmulatorConfig::default(), |setup| setup)
    }

    pub fn with(config: EmulatorConfig, adjust: impl FnOnce(ServerSetup) -> ServerSetup) -> Self {
        Self::with_client(config, adjust, serde_json::json!({}))
    }

    /// The same, with the client declaring these capabilities in `initialize`.
    pub fn with_client(
        config: EmulatorConfig,
        adjust: impl FnOnce(ServerSetup) -> ServerSetup,
        capabilities: Value,
    ) -> Self {
        let emulator = Emulator::start(config).expect("start the emulator");
        let home = tempfile::tempdir().expect("a temporary home");
        let setup = adjust(ServerSetup::against(
            &emulator.base_url(),
            &home.path().join("downloads"),
        ));
        let mut server = McpServer::spawn(&setup);
        server.initialize_with("2025-11-25", capabilities);
        Self {
            emulator,
            server,
            home,
        }
    }

    /// The downloads folder as the host sees it.
    pub fn downloads(&self) -> PathBuf {
        self.home.path().join("downloads")
    }

    /// Calls a tool that must succeed; returns its structured result.
    pub fn call(&mut self, tool: &str, arguments: Value) -> Value {
        success(&self.server.call_tool(tool, arguments)).clone()
    }

    /// Calls a tool that must fail; returns its error text.
    pub fn call_error(&mut self, tool: &str, arguments: Value) -> String {
        error_text(&self.server.call_tool(tool, arguments))
    }

    /// The one request the emulator received since the last look (which it then forgets),
    /// with the client's identity checked.
    pub fn only_request(&self) -> RecordedRequest {
        let requests = self.emulator.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        self.emulator.clear_requests();
        let request = requests.into_iter().next().unwrap();
        assert_eq!(
            request.basic_auth(),
            Some(("demo-api-id".into(), "demo-api-key".into()))
        );
        assert_eq!(request.header("user-agent"), Some(TEST_USER_AGENT));
        request
    }

    /// Asserts the emulator received nothing.
    pub fn assert_no_request(&self) {
        let requests = self.emulator.requests();
        assert!(requests.is_empty(), "nothing may be sent: {requests:#?}");
    }
}

impl Default for TestSession {
    fn default() -> Self {
        Self::new()
    }
}

/// The structured result of a successful call, checked against its text copy.
pub fn success(result: &Value) -> &Value {
    assert_eq!(result["isError"], false, "the call failed: {result}");
    let structured = &result["structuredContent"];
    let text: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().expect("a text copy")).unwrap();
    assert_eq!(
        &text, structured,
        "the text copy differs from structuredContent"
    );
    structured
}

/// The error text of a failed call.
pub fn error_text(result: &Value) -> String {
    assert_eq!(result["isError"], true, "expected a tool error: {result}");
    result["content"][0]["text"]
        .as_str()
        .expect("an error message")
        .to_string()
}

/// Asserts a recorded request's method and path.
pub fn assert_route(request: &RecordedRequest, method: &str, path: &str) {
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        (method, path),
        "{request:#?}"
    );
}
