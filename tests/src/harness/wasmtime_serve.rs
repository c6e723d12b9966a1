//! The guest component run by `wasmtime serve`, a wasi:http host that is not ours: the same
//! .wasm our host embeds, started with nothing but WASI and the environment given here. It
//! proves the component stands on its own (credentials, bearer token, URL confinement,
//! confirmation keys, inline files) wherever a generic wasi:http runtime hosts it.
//!
//! wasmtime is the one scripts/install-test-tools.sh builds into target/tools/bin; tests
//! fail (rather than skip) without it, so that a missing tool never passes for a green run.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::artifacts::{guest_component, workspace_root};
use super::http_client::{HttpReply, http_request};

/// Starting compiles the whole component with Cranelift (wasmtime serve keeps no cache
/// here); generous, because a loaded machine runs several test binaries at once.
const PATIENCE: Duration = Duration::from_secs(120);

/// What `wasmtime serve` prints on stderr once it listens, followed by `ADDR/`.
const SERVING_PREFIX: &str = "Serving HTTP on http://";

/// target/tools/bin/wasmtime; panics, naming the script that installs it, when missing.
pub fn wasmtime_binary() -> PathBuf {
    let path = workspace_root()
        .join("target/tools/bin")
        .join(format!("wasmtime{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-test-tools.sh (it builds wasmtime-cli with `serve`)",
        path.display()
    );
    path
}

/// A running `wasmtime serve` of the guest component; dropping it stops the process.
pub struct WasmtimeServe {
    child: Child,
    address: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl WasmtimeServe {
    /// Serves the guest component on 127.0.0.1 with a port the system picks, with exactly
    /// `env` as the component's environment. Panics with wasmtime's output if it does not
    /// start listening.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(wasmtime_binary());
        // WASI CLI gives the environment, clocks and random numbers the component needs. No
        // socket of any kind: the component's only way out is wasi:http's outgoing handler,
        // which is where it enforces its base URL.
        command.args([
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
        // Nothing from the test's own environment reaches wasmtime (and so the component):
        // a stray FACTURATION_* or WASMTIME_* variable cannot change what is tested.
        let mut child = command
            .arg(guest_component())
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wasmtime serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let (found, listening) = channel::<String>();
        let pipe = child.stderr.take().expect("piped stderr");
        // Keeps draining after the address line, so wasmtime never blocks on a full pipe
        // and a failing test can show what the component logged.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_str(&line);
                sink.lock().unwrap().push('\n');
                if let Some(rest) = line.strip_prefix(SERVING_PREFIX) {
                    let _ = found.send(rest.trim().trim_end_matches('/').to_string());
                }
            }
        });
        let said = |stderr: &Arc<Mutex<String>>| stderr.lock().unwrap().clone();
        match listening.recv_timeout(PATIENCE) {
            Ok(address) => Self {
                address: address
                    .parse()
                    .unwrap_or_else(|_| panic!("unreadable address {address:?} from wasmtime")),
                child,
                stderr,
            },
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("wait for wasmtime");
                panic!("wasmtime serve exited with {status}: {}", said(&stderr))
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "wasmtime serve did not listen within {PATIENCE:?}: {}",
                    said(&stderr)
                )
            }
        }
    }

    /// Where it listens (the real port).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Everything wasmtime and the component wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// One request, sent as given (see [`http_request`]).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpReply {
        http_request(self.address, method, path, headers, body)
    }

    /// `POST /mcp` of a JSON body, with `Content-Type: application/json` and `headers`.
    pub fn post_json(&self, headers: &[(&str, &str)], body: &Value) -> HttpReply {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.send("POST", "/mcp", &all, body.to_string().as_bytes())
    }
}

impl Drop for WasmtimeServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
