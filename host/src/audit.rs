//! The audit log: one JSON line per request that may change data (anything but GET), written
//! by the host after the API answers. It lives outside the downloads folder, so the guest can
//! neither read nor rewrite its own history. The tool name comes from the guest (a hint
//! header the host removes before sending); method, path, status and id are the host's own
//! observations.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::locking::lock;

/// Header by which the guest names the tool behind a request.
pub const TOOL_HEADER: &str = "x-facturation-tool";

#[derive(Clone)]
pub struct AuditLog {
    file: Arc<Mutex<File>>,
}

/// What the host saw of one write request.
pub struct Entry<'a> {
    pub tool: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    /// None when no answer came (refused, timed out, connection failed).
    pub status: Option<u16>,
    /// The `Location` the API answered with, for creations.
    pub location: Option<&'a str>,
}

impl AuditLog {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| {
                format!(
                    "cannot open the audit log {} (FACTURATION_AUDIT_LOG)",
                    path.display()
                )
            })?;
        Ok(Self {
            file: Arc::new(Mutex::new(file)),
        })
    }

    pub fn record(&self, entry: &Entry) {
        let line = json!({
            "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            "tool": entry.tool,
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            "id": entry.location.map_or(Value::Null, record_id),
        });
        let mut file = lock(&self.file);
        if let Err(error) = writeln!(file, "{line}") {
            eprintln!("facturation-pro-mcp: could not write the audit log: {error}");
        }
    }
}

/// The id at the end of a Location such as `/firms/1/customers/123.json`.
fn record_id(location: &str) -> Value {
    let last = location.rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    stem.parse::<u64>().map_or(Value::Null, Value::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_location() {
        assert_eq!(record_id("/firms/1/customers/180007.json"), json!(180007));
        assert_eq!(record_id("/firms/1/assets/9"), json!(9));
        assert_eq!(record_id("/firms/1/emails.json"), Value::Null);
    }
}
