//! The guest component under wasi:http hosts that are not ours: the same .wasm our host
//! embeds, started with nothing but WASI and the environment given here. Two hosts that share
//! no code, `wasmtime serve` (Rust, Cranelift) and `jco serve` (the component transpiled to
//! JavaScript on Node's WebAssembly), prove the component stands on its own (credentials,
//! bearer token, URL confinement, confirmation keys, inline files) wherever a generic
//! wasi:http runtime hosts it.
//!
//! Both are installed under target/tools by scripts/install-test-tools.sh; tests fail (rather
//! than skip) without them, so that a missing tool never passes for a green run.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tempfile::TempDir;

use super::artifacts::{guest_component, made_by, node, workspace_root};
use super::free_port;
use super::http_client::HttpEndpoint;

/// Starting compiles the whole component (Cranelift for wasmtime, which keeps no cache here;
/// a transpile then V8's compilers for jco); generous, because a loaded machine runs several
/// test binaries at once.
const PATIENCE: Duration = Duration::from_secs(120);

/// A wasi:http host able to serve the bare component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `wasmtime serve`: a fresh instance for every request.
    Wasmtime,
    /// `jco serve`: one instance serves every request, which a stateless component must not
    /// notice.
    Jco,
}

impl Host {
    pub const ALL: [Host; 2] = [Host::Wasmtime, Host::Jco];

    pub fn name(self) -> &'static str {
        match self {
            Host::Wasmtime => "wasmtime serve",
            Host::Jco => "jco serve",
        }
    }

    /// Serves the guest component on 127.0.0.1, with exactly `env` as the component's
    /// environment. Panics with the host's output if it does not start listening.
    pub fn start(self, env: &[(&str, &str)]) -> ServedComponent {
        self.start_component(&guest_component(), env)
    }

    /// Serves `component` (a copy of the guest taken from an image, say) like [`Host::start`].
    pub fn start_component(self, component: &Path, env: &[(&str, &str)]) -> ServedComponent {
        let tools = workspace_root().join("target/tools");
        let (mut command, port, jco_dir) = match self {
            Host::Wasmtime => (wasmtime_command(&tools, component, env), None, None),
            Host::Jco => {
                let (command, port, dir) = jco_command(&tools, component, env);
                (command, Some(port), Some(dir))
            }
        };
        // Nothing from the test's own environment reaches the host (and so the component):
        // a stray FACTURATION_*, WASMTIME_* or NODE_* variable cannot change what is tested.
        // Its own process group, because jco runs the component in a second node process
        // that killing jco alone would leave behind, still listening.
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {}: {error}", self.name()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let (found, listening) = channel::<String>();
        let pipe = child.stderr.take().expect("piped stderr");
        // Keeps draining after the address line, so the host never blocks on a full pipe
        // and a failing test can show what the component logged.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
                if let Some(address) = listening_address(self, &line) {
                    let _ = found.send(address);
                }
            }
        });
        // Built before the wait so that a failed start is cleaned up by Drop too.
        let mut served = ServedComponent {
            host: self,
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(0))),
            stderr,
            _jco_dir: jco_dir,
        };
        match listening.recv_timeout(PATIENCE) {
            Ok(address) => {
                served.address = address.parse().unwrap_or_else(|_| {
                    panic!("unreadable address {address:?} from {}", self.name())
                });
                if let Some(port) = port {
                    assert_eq!(served.address.port(), port, "{}", served.stderr());
                }
                served
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = served.child.wait().expect("wait for the host");
                panic!("{} exited with {status}: {}", self.name(), served.stderr())
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "{} did not listen within {PATIENCE:?}: {}",
                self.name(),
                served.stderr()
            ),
        }
    }
}

/// A tool under target/tools; panics, naming the script that installs it, when missing.
fn tool(path: PathBuf) -> PathBuf {
    made_by(path, "run scripts/install-test-tools.sh")
}

fn wasmtime_command(tools: &Path, component: &Path, env: &[(&str, &str)]) -> Command {
    let binary = tools
        .join("bin")
        .join(format!("wasmtime{}", std::env::consts::EXE_SUFFIX));
    let mut command = Command::new(tool(binary));
    // WASI CLI gives the environment, clocks and random numbers the component needs. No
    // socket of any kind: the component's only way out is wasi:http's outgoing handler,
    // which is where it enforces its base URL.
    command.env_clear().args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "-S",
        "cli",
        "-S",
        "inherit-network=n",
        "-S",
        "tcp=n",
        "-S",
        "udp=n",
        "-S",
        "allow-ip-name-lookup=n",
    ]);
    for (name, value) in env {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    command.arg(component);
    command
}

/// jco with the port it must listen on and the directory it transpiles into.
fn jco_command(tools: &Path, component: &Path, env: &[(&str, &str)]) -> (Command, u16, TempDir) {
    let jco = tool(tools.join("jco/node_modules/.bin/jco"));
    let node = node();
    // With `--port 0` jco listens on a free port but reports "0", so the port is chosen here.
    let port = free_port();
    // Our own directory, removed on drop: jco's default temporary one is only cleaned up
    // when jco exits by itself, which killing it skips.
    let dir = tempfile::tempdir().expect("a directory for jco's transpiled code");
    // jco hands its whole environment to the component, so that is `env` plus a PATH naming
    // only this node and the system directories (jco runs the server in a second process).
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        node.parent().expect("node's directory").display()
    );
    let mut command = Command::new(node);
    command
        .env_clear()
        .envs(env.iter().copied())
        .env("PATH", path)
        .arg(jco)
        .args(["serve", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--jco-dir")
        .arg(dir.path())
        .arg(component);
    (command, port, dir)
}

/// The `ip:port` a host prints once it listens, if `line` is that line.
fn listening_address(host: Host, line: &str) -> Option<String> {
    match host {
        // "Serving HTTP on http://127.0.0.1:PORT/"
        Host::Wasmtime => line
            .strip_prefix("Serving HTTP on http://")
            .map(|rest| rest.trim().trim_end_matches('/').to_string()),
        // "Server listening @ 127.0.0.1:PORT..." (printed once listen() has returned)
        Host::Jco => line
            .strip_prefix("Server listening @ ")
            .map(|rest| rest.trim().trim_end_matches("...").to_string()),
    }
}

/// The component served by a [`Host`]; dropping it stops the host's whole process group.
pub struct ServedComponent {
    host: Host,
    child: Child,
    address: SocketAddr,
    stderr: Arc<Mutex<String>>,
    _jco_dir: Option<TempDir>,
}

impl ServedComponent {
    pub fn host(&self) -> Host {
        self.host
    }

    /// Everything the host and the component wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl HttpEndpoint for ServedComponent {
    fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for ServedComponent {
    fn drop(&mut self) {
        // The group was created for this child alone (its id is the group's), so this ends
        // exactly the processes the host started; once the child is reaped its id may be
        // reused, hence the check.
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
