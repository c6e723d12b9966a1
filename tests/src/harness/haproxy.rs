//! HAProxy (Debian's package) in front of the replicas, set up as HOSTING.md tells an
//! operator to: round robin with no stickiness, `/readyz` as the health check, and a
//! connection that could not be opened tried again on another replica, which is safe because
//! nothing was sent on it. A request a replica took and then lost is not retried by the
//! balancer: that is the client's decision, with its `Idempotency-Key`.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

pub struct Haproxy {
    child: Child,
    address: SocketAddr,
    /// Holds the configuration file.
    _folder: TempDir,
}

impl Haproxy {
    /// Listens on 127.0.0.1:`port` and spreads requests over `replicas`.
    pub fn start(port: u16, replicas: &[SocketAddr]) -> Result<Haproxy> {
        let folder = tempfile::tempdir()?;
        let config = folder.path().join("haproxy.cfg");
        std::fs::write(&config, configuration(port, replicas))?;
        let child = Command::new("haproxy")
            // -db: stay in the foreground, so the test owns the process.
            .args(["-db", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(folder.path().join("haproxy.log"))?)
            .spawn()
            .context(
                "starting haproxy (Debian: haproxy; scripts/install-test-tools.sh installs it)",
            )?;
        let mut haproxy = Haproxy {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            _folder: folder,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(haproxy.address).is_err() {
            if let Some(status) = haproxy.child.try_wait()? {
                let log = std::fs::read_to_string(haproxy._folder.path().join("haproxy.log"));
                bail!(
                    "haproxy exited at start ({status}): {}",
                    log.unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                bail!("haproxy did not listen on {} within 10 s", haproxy.address);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(haproxy)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration: one frontend, one backend with a health-checked server per replica.
fn configuration(port: u16, replicas: &[SocketAddr]) -> String {
    let mut config = format!(
        "global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    # A connection refused by a dead replica is tried once more, on another one; a request
    # a replica accepted is never replayed by the balancer (retry-on stays conn-failure).
    retries 1
    option redispatch 1

frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    timeout check 1s
    default-server inter 200ms fall 2 rise 2
"
    );
    for (n, replica) in replicas.iter().enumerate() {
        writeln!(config, "    server replica{n} {replica} check").unwrap();
    }
    config
}
