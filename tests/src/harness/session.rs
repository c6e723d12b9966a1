//! One end-to-end test's world: an emulator, the real server talking to it over stdio, and
//! a private downloads folder (or, for tests that start servers themselves, just the
//! emulator and a working directory); plus the checks every tool test makes on results and
//! on who sent what the emulator recorded.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use super::{McpServer, ServerSetup, TEST_USER_AGENT};
use crate::emulator::{Emulator, EmulatorConfig, RecordedRequest};

pub struct TestSession {
    pub emulator: Emulator,
    pub server: McpServer,
    home: TempDir,
}

impl TestSession {
    /// An initialized session (protocol 2025-11-25) against an emulator with no demo data.
    pub fn new() -> Self {
        Self::with(EmulatorConfig::without_demo_data(), |setup| setup)
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

    /// Calls a tool that must be refused before any request, naming `argument` (in
    /// backquotes) and saying nothing was sent; returns the message.
    pub fn call_refused(&mut self, tool: &str, arguments: Value, argument: &str) -> String {
        let text = self.call_error(tool, arguments.clone());
        assert!(
            text.contains(&format!("`{argument}`")) && text.contains("Nothing was sent"),
            "{tool} {arguments}: {text}"
        );
        self.assert_no_request();
        text
    }

    /// The one request the emulator received since the last look (which it then forgets),
    /// with the client's identity checked.
    pub fn only_request(&self) -> RecordedRequest {
        let requests = self.take_requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {requests:#?}"
        );
        requests.into_iter().next().unwrap()
    }

    /// Every request the emulator received since the last look (which it then forgets),
    /// each with the client's identity checked.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        let requests = self.emulator.requests();
        self.emulator.clear_requests();
        for request in &requests {
            assert_eq!(
                request.basic_auth(),
                Some(("demo-api-id".into(), "demo-api-key".into())),
                "{request:#?}"
            );
            assert_eq!(
                request.header("user-agent"),
                Some(TEST_USER_AGENT),
                "{request:#?}"
            );
        }
        requests
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

/// An emulator with its demo data and a scratch working directory (holding the downloads
/// folder), for tests that start, feed and stop servers themselves: configuration, the
/// protocol itself.
pub struct ServerFixture {
    pub emulator: Emulator,
    workdir: TempDir,
}

impl ServerFixture {
    pub fn new() -> Self {
        let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
        let workdir = tempfile::tempdir().expect("create a working directory");
        Self { emulator, workdir }
    }

    /// The complete configuration against this fixture's emulator, run in the working
    /// directory.
    pub fn setup(&self) -> ServerSetup {
        let setup = ServerSetup::against(
            &self.emulator.base_url(),
            &self.workdir.path().join("downloads"),
        );
        // A `.env` the test writes must be the one the server finds.
        assert_eq!(
            setup.cwd,
            self.workdir.path(),
            "the server must run in the test's own directory"
        );
        setup
    }

    /// Writes `contents` as a file named `name` in the working directory; returns its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.workdir.path().join(name);
        std::fs::write(&path, contents).expect("write the file");
        path
    }

    /// Everything the emulator received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.emulator.requests()
    }

    /// Asserts the emulator received nothing.
    pub fn assert_no_api_request(&self) {
        let requests = self.requests();
        assert!(requests.is_empty(), "the API was called: {requests:#?}");
    }
}

impl Default for ServerFixture {
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

/// The audit log at `path`, one JSON value per line (none when the file does not exist yet).
pub fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each audit line is JSON"))
        .collect()
}
