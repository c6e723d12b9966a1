//! A minimal MCP client over a child process's stdio, strict about what it reads: every
//! stdout line must be a JSON-RPC message, and a reply that never comes fails the test
//! after a timeout instead of hanging it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};

use super::artifacts::{host_binary, source_build_host_binary};

const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// The User-Agent `ServerSetup::against` configures.
pub const TEST_USER_AGENT: &str = "facturation-pro-mcp tests (tests@example.test)";

/// How to start the server: its whole environment is what is listed here, nothing inherited.
#[derive(Clone, Debug)]
pub struct ServerSetup {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    /// Working directory; a fresh temporary one keeps a stray `.env` out of the test.
    pub cwd: PathBuf,
}

impl ServerSetup {
    /// A complete configuration against an API at `base_url` with the emulator's default
    /// credentials, firm 1001, downloads in `downloads_dir`.
    pub fn against(base_url: &str, downloads_dir: &std::path::Path) -> Self {
        let env = [
            ("FACTURATION_BASE_URL", base_url),
            ("FACTURATION_API_ID", "demo-api-id"),
            ("FACTURATION_API_KEY", "demo-api-key"),
            ("FACTURATION_FIRM_ID", "1001"),
            ("FACTURATION_USER_AGENT", TEST_USER_AGENT),
            (
                "FACTURATION_DOWNLOADS_DIR",
                &downloads_dir.display().to_string(),
            ),
            // No HOME here, so no default place for the log: said outright, as a user would,
            // rather than warned about on every start. Tests of the log set their own.
            ("FACTURATION_AUDIT_LOG", "off"),
        ];
        Self {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            args: Vec::new(),
            cwd: downloads_dir
                .parent()
                .unwrap_or(downloads_dir)
                .to_path_buf(),
        }
    }

    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.retain(|(key, _)| key != name);
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn without_env(mut self, name: &str) -> Self {
        self.env.retain(|(key, _)| key != name);
        self
    }

    pub fn with_args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|arg| arg.to_string()).collect();
        self
    }

    /// The server's binary: the host under test, or, for another component (`--component`),
    /// the source build, which has the compiler that the shipped one lacks.
    pub fn binary(&self) -> PathBuf {
        if self.args.iter().any(|arg| arg == "--component") {
            source_build_host_binary()
        } else {
            host_binary()
        }
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(self.binary());
        command
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .current_dir(&self.cwd);
        command
    }

    /// The server with its three standard streams piped to this process.
    fn spawn_piped(&self) -> Child {
        spawn_piped(self.command())
    }

    /// Runs the server to its end with `input` on stdin, which is then closed; returns its
    /// exit status and what it wrote. For starts that must fail before any MCP traffic, and
    /// for scripted runs of the probe component.
    pub fn run_with_input(&self, input: &str) -> Output {
        let mut child = self.spawn_piped();
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())
            .expect("write the server's input");
        child
            .wait_with_output()
            .expect("wait for facturation-pro-mcp")
    }
}

pub struct McpServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
    next_id: u64,
}

/// `command` with its three standard streams piped to this process.
fn spawn_piped(mut command: Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("spawn {:?}: {error}", command.get_program()))
}

impl McpServer {
    pub fn spawn(setup: &ServerSetup) -> Self {
        Self::spawn_command(setup.command())
    }

    /// A server started some other way than the host binary directly: in a container, say.
    pub fn spawn_command(command: Command) -> Self {
        let mut child = spawn_piped(command);
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("piped stderr");
        let stderr_reader = thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            stderr_reader: Some(stderr_reader),
            next_id: 1,
        }
    }

    /// The server's process id (benchmarks read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Writes one raw line (no validation: tests send garbage on purpose).
    pub fn send_line(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(line)
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush())
            .expect("write to server");
    }

    /// The next message from stdout, which must be one JSON value per line.
    pub fn read_message(&mut self) -> Value {
        let line = self.read_line();
        serde_json::from_str(&line).unwrap_or_else(|err| {
            panic!(
                "stdout carried a non-JSON line {line:?} ({err}); stderr: {}",
                self.stderr()
            )
        })
    }

    /// The next line from stdout, as it came.
    pub fn read_line(&mut self) -> String {
        match self.lines.recv_timeout(REPLY_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no reply within {REPLY_TIMEOUT:?}; stderr: {}",
                self.stderr()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the server closed stdout; stderr: {}", self.stderr())
            }
        }
    }

    /// Sends a request and returns the whole response message, checking it answers that id.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let (id, line) = self.request_line(method, params);
        let response: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("a non-JSON answer {line:?} ({err})"));
        assert_eq!(
            response["id"],
            json!(id),
            "response to the wrong request: {response}"
        );
        assert_eq!(response["jsonrpc"], "2.0");
        response
    }

    /// Sends a request and returns its id and the next line, unparsed (for the bench, whose
    /// clock stops when the answer has arrived, before the client reads it).
    pub fn request_line(&mut self, method: &str, params: Value) -> (u64, String) {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.send_line(message.to_string().as_bytes());
        (id, self.read_line())
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.send_line(message.to_string().as_bytes());
    }

    /// The handshake a client performs; returns the `initialize` result.
    pub fn initialize(&mut self, protocol_version: &str) -> Value {
        self.initialize_with(protocol_version, json!({}))
    }

    /// The handshake, declaring these client capabilities (e.g. `{"elicitation": {}}`).
    pub fn initialize_with(&mut self, protocol_version: &str, capabilities: Value) -> Value {
        let params = json!({
            "protocolVersion": protocol_version,
            "capabilities": capabilities,
            "clientInfo": { "name": "e2e-tests", "version": "1.0" },
        });
        let response = self.request("initialize", params);
        self.notify("notifications/initialized", json!({}));
        response["result"].clone()
    }

    /// Calls a tool and returns its `CallToolResult`.
    pub fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let response = self.request(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        );
        assert!(
            response.get("error").is_none(),
            "tools/call {name} failed at protocol level: {response}"
        );
        response["result"].clone()
    }

    /// Closes stdin (end of session) and waits for the exit; returns status and stderr.
    pub fn finish(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        self.wait_for_exit()
    }

    /// Waits for the exit with stdin left open (the server ends for another reason, such as
    /// a signal); returns status and stderr.
    /// A server that never ends fails the test after [`REPLY_TIMEOUT`] (and is killed on
    /// drop) instead of hanging the run.
    pub fn wait_for_exit(mut self) -> (ExitStatus, String) {
        let deadline = std::time::Instant::now() + REPLY_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not exit within {REPLY_TIMEOUT:?}; stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // The pipe closes with the process; wait until everything it wrote is collected.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        (status, self.stderr())
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
