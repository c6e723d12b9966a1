//! A load generator we did not write: wrk (Debian's package) sends one MCP request over and
//! over from many connections, for a set time or until told to stop, and reports requests,
//! statuses, socket errors and latency percentiles as one JSON line (`wrk_report.lua`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tempfile::TempDir;

/// `requests` (each its headers and body) POSTed in turn to `path` from `connections`
/// connections for `duration` (whole seconds).
pub struct Load<'a> {
    pub target: SocketAddr,
    pub path: &'a str,
    pub requests: &'a [(Vec<(String, String)>, String)],
    pub connections: u32,
    pub duration: Duration,
}

/// What wrk counted.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub requests: u64,
    pub seconds: f64,
    /// How many answers had each HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Connections that failed to open, read, write, or timed out.
    pub socket_errors: u64,
    pub p50: Duration,
    pub p99: Duration,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// Answers with a status outside 2xx, and requests that got no answer.
    pub fn failures(&self) -> u64 {
        let failed: u64 = self
            .statuses
            .iter()
            .filter(|(status, _)| !(200..300).contains(*status))
            .map(|(_, count)| count)
            .sum();
        failed + self.socket_errors
    }
}

/// wrk at work; see [`Load::start`].
pub struct RunningLoad {
    child: Child,
    /// Holds the script.
    _folder: TempDir,
}

impl Load<'_> {
    /// Runs the load to its end.
    pub fn run(&self) -> Result<LoadReport> {
        self.start()?.report()
    }

    /// Starts the load and returns while it runs.
    pub fn start(&self) -> Result<RunningLoad> {
        let folder = tempfile::tempdir()?;
        let script = folder.path().join("report.lua");
        std::fs::write(&script, include_str!("wrk_report.lua"))?;
        let mut wrk = Command::new("wrk");
        wrk.arg("--threads")
            .arg(self.connections.clamp(1, 2).to_string())
            .arg("--connections")
            .arg(self.connections.to_string())
            .arg("--duration")
            // wrk counts in whole seconds (or minutes, hours).
            .arg(format!("{}s", self.duration.as_secs().max(1)))
            .args(["--timeout", "10s", "--script"])
            .arg(&script)
            .env("WRK_REQUESTS", self.requests.len().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (n, (headers, body)) in self.requests.iter().enumerate() {
            let headers: Vec<String> = headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect();
            wrk.env(format!("WRK_HEADERS_{}", n + 1), headers.join("\n"))
                .env(format!("WRK_BODY_{}", n + 1), body);
        }
        wrk.arg(format!("http://{}{}", self.target, self.path));
        let child = wrk
            .spawn()
            .context("running wrk (Debian: wrk; scripts/install-test-tools.sh installs it)")?;
        Ok(RunningLoad {
            child,
            _folder: folder,
        })
    }
}

impl RunningLoad {
    /// Ends the load before its time (wrk stops on SIGINT and still reports).
    pub fn stop(self) -> Result<LoadReport> {
        let interrupted = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()?;
        if !interrupted.success() {
            bail!("could not interrupt wrk");
        }
        self.report()
    }

    /// Waits for the load to end and reads wrk's report.
    pub fn report(self) -> Result<LoadReport> {
        let output = self.child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(line) = stdout
            .lines()
            .find(|line| line.starts_with("{\"requests\""))
        else {
            bail!(
                "wrk gave no report ({}): {stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let report: Value = serde_json::from_str(line)?;
        let count = |name: &str| report[name].as_u64().unwrap_or_default();
        let statuses = report["statuses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(status, count)| Some((status.parse().ok()?, count.as_u64()?)))
            .collect();
        Ok(LoadReport {
            requests: count("requests"),
            seconds: count("duration_us") as f64 / 1e6,
            statuses,
            socket_errors: count("connect") + count("read") + count("write") + count("timeout"),
            p50: Duration::from_micros(count("p50_us")),
            p99: Duration::from_micros(count("p99_us")),
        })
    }
}
