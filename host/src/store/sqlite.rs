//! The embedded store: one SQLite file (WAL mode), created 0600, for one process. Its calls
//! are microseconds under one connection's lock, so callers on the async runtime make them
//! directly.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::sql::{Cell, Param, Row, Sql};
use crate::locking::lock;

pub struct Sqlite {
    connection: Mutex<Connection>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let connection = Connection::open(path).with_context(|| {
            format!(
                "cannot open the store {} (FACTURATION_STORE)",
                path.display()
            )
        })?;
        restrict_to_owner(path)?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        // Another process on the same file (a second server, a backup) holds the write lock
        // for moments at most.
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Sqlite {
            connection: Mutex::new(connection),
        })
    }

    /// Runs `work` in one write transaction, taken at once, so two writers never deadlock
    /// upgrading read locks, and each write transaction excludes every other.
    pub fn write<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut connection = lock(&self.connection);
        let tx = Transaction::new(&mut connection, TransactionBehavior::Immediate)?;
        let mut sql = Statements(&tx);
        let value = work(&mut sql)?;
        tx.commit()?;
        Ok(value)
    }

    pub fn read<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let connection = lock(&self.connection);
        work(&mut Statements(&connection))
    }
}

/// Statements on a connection or inside a transaction (which derefs to one).
struct Statements<'c>(&'c Connection);

impl Sql for Statements<'_> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let changed = self
            .0
            .prepare_cached(&numbered(sql))?
            .execute(rusqlite::params_from_iter(params.iter().map(Bound)))?;
        Ok(changed as u64)
    }

    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let mut statement = self.0.prepare_cached(&numbered(sql))?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params.iter().map(Bound)))?;
        let mut read = Vec::new();
        while let Some(row) = rows.next()? {
            let cells = (0..columns)
                .map(|index| Ok(cell(row.get_ref(index)?)))
                .collect::<Result<Vec<_>>>()?;
            read.push(Row(cells));
        }
        Ok(read)
    }

    fn serialize_on(&mut self, _key: &str) -> Result<()> {
        // Write transactions are IMMEDIATE: each already excludes every other.
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.execute_batch(sql)?)
    }
}

/// A parameter as rusqlite binds it.
struct Bound<'p, 'a>(&'p Param<'a>);

impl rusqlite::ToSql for Bound<'_, '_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Param::Int(value) => ToSqlOutput::Owned(Value::Integer(*value)),
            Param::Text(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Param::Bytes(value) => ToSqlOutput::Borrowed(ValueRef::Blob(value)),
            Param::NullText => ToSqlOutput::Owned(Value::Null),
        })
    }
}

fn cell(value: ValueRef) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(value) => Cell::Int(value),
        // No column holds a real number; one would be a schema change, read as whole.
        ValueRef::Real(value) => Cell::Int(value as i64),
        ValueRef::Text(text) => Cell::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Cell::Bytes(bytes.to_vec()),
    }
}

/// PostgreSQL's `$1` as SQLite's `?1`: both name the first parameter by its number.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// The store holds sealed tokens and hashes, but also who uses the server: owner only.
#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {} to its owner", path.display()))
}

/// On Windows the file inherits the profile folder's ACL, which is the user's alone.
#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn parameters_keep_their_numbers_and_nothing_else_changes() {
        assert_eq!(
            numbered("SELECT '$' || a FROM t WHERE b = $1 AND c = $12 OR d = $1"),
            "SELECT '$' || a FROM t WHERE b = ?1 AND c = ?12 OR d = ?1"
        );
    }
}
