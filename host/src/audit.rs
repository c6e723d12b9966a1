//! The audit log: one JSON line per request that may change data (anything but GET), written
//! by the host after the API answers. It lives outside the downloads folder, so the guest can
//! neither read nor rewrite its own history. The tool name comes from the guest (a hint
//! header the host removes before sending); method, path, status and id are the host's own
//! observations.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde_json::{Value, json};

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
            "time": rfc3339_now(),
            "tool": entry.tool,
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            "id": entry.location.map_or(Value::Null, record_id),
        });
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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

/// UTC time as `YYYY-MM-DDTHH:MM:SSZ`, from the Unix clock (days-to-civil conversion).
fn rfc3339_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_781), (2026, 11, 24));
    }

    #[test]
    fn ids_come_from_the_location() {
        assert_eq!(record_id("/firms/1/customers/180007.json"), json!(180007));
        assert_eq!(record_id("/firms/1/assets/9"), json!(9));
        assert_eq!(record_id("/firms/1/emails.json"), Value::Null);
    }
}
