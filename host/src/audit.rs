//! The audit log: JSON lines about every request that may change data (anything but GET),
//! written by the host. It is a write-ahead log: a `sending` line goes out before the
//! request leaves, and its outcome follows under the same `write` id once the API answers
//! (`answered`, with the status and the new record's id) or when no answer will come
//! (`no_answer`, outcome `unknown`: the API may or may not have acted). A write refused by
//! the gate gets one `refused` line and never leaves. So a write that reached the API is
//! always in the log, even when the process dies before its answer.
//!
//! It fails closed: a write whose `sending` line cannot be recorded (a full disk, a store
//! that does not answer) is not sent, since it would then leave no trace. An outcome line
//! that cannot be recorded is reported on stderr; the write has already left by then.
//!
//! The log lives outside the downloads folder, so the guest can neither read nor rewrite
//! its own history. The remote connector also keeps every line in its store, where the lines
//! of all its replicas meet (the `audit_events` table). The tool name comes from the guest (a hint header the host removes
//! before sending); method, path, status and id are the host's own observations.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use crate::locking::lock;
use crate::store::{AuditEvent, Store};

/// Header by which the guest names the tool behind a request.
pub const TOOL_HEADER: &str = "x-facturation-tool";

#[derive(Clone)]
pub struct AuditLog {
    file: Option<Arc<Mutex<File>>>,
    /// The remote connector's store, which keeps the lines of every replica.
    store: Option<Arc<Store>>,
    /// Names this process in `write` ids: the process id and a random tag, since replicas
    /// in containers all run as process 1.
    process: Arc<str>,
    /// Numbers the writes of this process.
    next_write: Arc<AtomicU64>,
}

/// What the host knows of a write before sending it.
pub struct Write<'a> {
    /// Its `write` id ([`AuditLog::new_write_id`]).
    pub id: &'a str,
    /// The user the write is made for, in the remote mode (the store's user id).
    pub user: Option<&'a str>,
    pub tool: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
}

/// A write whose `sending` line is in the log and whose outcome is not yet. Dropping it
/// without an outcome (a task torn down, a panic) records the outcome as unknown.
pub struct PendingWrite {
    log: AuditLog,
    fields: Map<String, Value>,
    done: bool,
}

impl AuditLog {
    /// The log in the file at `path`, in the store, or in both; `None` when neither is set.
    pub fn open(path: Option<&Path>, store: Option<Arc<Store>>) -> Result<Option<Self>> {
        if path.is_none() && store.is_none() {
            return Ok(None);
        }
        let tag = crate::oauth::pkce::random_token()?;
        Ok(Some(Self {
            file: path
                .map(open_file)
                .transpose()?
                .map(Mutex::new)
                .map(Arc::new),
            store,
            process: format!("{}-{}", std::process::id(), &tag[..6]).into(),
            next_write: Arc::default(),
        }))
    }

    /// A new `write` id, unique to this process and across the processes on one store.
    pub fn new_write_id(&self) -> String {
        let number = self.next_write.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}-{number}", self.process)
    }

    /// The store, when the log keeps its lines there.
    pub fn store(&self) -> Option<&Arc<Store>> {
        self.store.as_ref()
    }

    /// Records that `write` is about to leave, before it does; an error, naming what
    /// failed, when the line could not be recorded, and then the write must not leave.
    pub fn sending(&self, write: &Write) -> Result<PendingWrite, String> {
        let mut fields = Map::new();
        fields.insert("write".into(), json!(write.id));
        if let Some(user) = write.user {
            fields.insert("user".into(), json!(user));
        }
        fields.insert("tool".into(), json!(write.tool));
        fields.insert("method".into(), json!(write.method));
        fields.insert("path".into(), json!(write.path));
        self.append("sending", &fields, [])?;
        Ok(PendingWrite {
            log: self.clone(),
            fields,
            done: false,
        })
    }

    /// Records a write the gate stopped before it left (read-only mode).
    pub fn refused(&self, write: &Write, reason: &str) {
        let mut named = Map::new();
        if let Some(user) = write.user {
            named.insert("user".into(), json!(user));
        }
        let fields = [
            ("tool", json!(write.tool)),
            ("method", json!(write.method)),
            ("path", json!(write.path)),
            ("status", Value::Null),
            ("reason", json!(reason)),
        ];
        self.append_or_report("refused", &named, fields);
    }

    /// [`Self::append`], for a line whose failure can only be reported.
    fn append_or_report<const N: usize>(
        &self,
        event: &str,
        fields: &Map<String, Value>,
        extra: [(&str, Value); N],
    ) {
        if let Err(error) = self.append(event, fields, extra) {
            eprintln!("facturation-pro-mcp: {error}");
        }
    }

    /// One line: the time, the event, then `fields` and `extra`, in the file and the store;
    /// an error naming the first that failed.
    fn append<const N: usize>(
        &self,
        event: &str,
        fields: &Map<String, Value>,
        extra: [(&str, Value); N],
    ) -> Result<(), String> {
        let mut line = Map::new();
        line.insert(
            "time".into(),
            json!(humantime::format_rfc3339_seconds(SystemTime::now()).to_string()),
        );
        line.insert("event".into(), json!(event));
        line.extend(fields.clone());
        line.extend(extra.map(|(key, value)| (key.to_string(), value)));
        let text = Value::Object(line).to_string();
        if let Some(file) = &self.file {
            // One write call per line, on a file opened for appending: lines from several
            // processes sharing the log never interleave.
            lock(file)
                .write_all(format!("{text}\n").as_bytes())
                .map_err(|error| {
                    format!("could not write the audit log (FACTURATION_AUDIT_LOG): {error}")
                })?;
        }
        if let Some(store) = &self.store {
            let named = |key: &str| fields.get(key).and_then(Value::as_str);
            let recorded = store.record_audit(&AuditEvent {
                event,
                write_id: named("write"),
                user_id: named("user"),
                line: &text,
            });
            recorded.map_err(|error| {
                format!("could not write the audit log to the store: {error:#}")
            })?;
        }
        Ok(())
    }
}

fn open_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot open the audit log {} (FACTURATION_AUDIT_LOG)",
                path.display()
            )
        })
}

impl PendingWrite {
    /// The API answered with `status` (and, for a creation, the new record's `location`).
    pub fn answered(mut self, status: u16, location: Option<&str>) {
        self.done = true;
        let id = location.map_or(Value::Null, record_id);
        self.log.append_or_report(
            "answered",
            &self.fields,
            [("status", json!(status)), ("id", id)],
        );
    }

    /// No answer came: the request may or may not have reached the API.
    pub fn no_answer(mut self, error: &str) {
        self.done = true;
        self.record_unknown(error);
    }

    fn record_unknown(&self, error: &str) {
        self.log.append_or_report(
            "no_answer",
            &self.fields,
            [
                ("status", Value::Null),
                ("outcome", json!("unknown")),
                ("error", json!(error)),
            ],
        );
    }
}

impl Drop for PendingWrite {
    fn drop(&mut self) {
        if !self.done {
            self.record_unknown("the request was abandoned before its answer came");
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

    fn lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn each_write_is_logged_before_it_leaves_and_its_outcome_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(Some(&path), None).unwrap().unwrap();
        let id = log.new_write_id();
        let write = Write {
            id: &id,
            user: None,
            tool: Some("create_customer"),
            method: "POST",
            path: "/firms/1/customers.json",
        };
        let pending = log.sending(&write).unwrap();
        assert_eq!(lines(&path)[0]["event"], "sending");
        pending.answered(201, Some("/firms/1/customers/5.json"));
        let second = log.new_write_id();
        drop(log.sending(&Write {
            id: &second,
            ..write
        }));
        let third = log.new_write_id();
        log.sending(&Write {
            id: &third,
            ..write
        })
        .unwrap()
        .no_answer("timed out");
        let lines = lines(&path);
        let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
        assert_eq!(
            events,
            [
                "sending",
                "answered",
                "sending",
                "no_answer",
                "sending",
                "no_answer"
            ]
        );
        assert_eq!(lines[1]["write"], lines[0]["write"]);
        assert_eq!(lines[1]["id"], 5);
        assert_ne!(lines[2]["write"], lines[0]["write"]);
        assert_eq!(lines[3]["outcome"], "unknown");
        assert_eq!(lines[5]["error"], "timed out");
    }
}
