//! The shared store: a PostgreSQL database that every replica of a deployment uses
//! (`FACTURATION_STORE=postgres://...`), so that a token issued by one replica works on the
//! others, a confirmation acts once whichever replica it reaches, and an account's quota is
//! counted in one place.
//!
//! A few connections per process, each opened when first needed and again after it breaks.
//! Each call leaves the async runtime's worker for the time of its round trips
//! (`block_in_place`), so the other tasks go on meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use anyhow::{Result, anyhow};
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, GenericClient, NoTls};
use tokio::runtime::RuntimeFlavor;

use super::sql::{Cell, Param, Row, Sql};
use crate::locking::lock;

/// How long opening a connection may take before the call fails (and readiness says no).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections one process may hold. With one, every call of the process (a token check, a
/// quota slot, the readiness probe) waited behind the one before: under load a replica
/// served half the requests the embedded store did, and its `/readyz` answered late enough
/// for a balancer to take it out. Four keep three replicas far below PostgreSQL's default
/// of 100 connections.
const CONNECTIONS: usize = 4;

pub struct Postgres {
    config: Config,
    clients: [Mutex<Option<Client>>; CONNECTIONS],
    /// Where the next call starts looking for a free connection.
    next: AtomicUsize,
}

impl Postgres {
    /// Connects at once, so that a wrong address or password stops the server at start.
    /// Messages never repeat the URL: it holds the database's password.
    pub fn open(url: &str) -> Result<Postgres> {
        let mut config: Config = url.parse().map_err(|_| {
            anyhow!(
                "FACTURATION_STORE is not a PostgreSQL URL this server can read \
                 (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("facturation-pro-mcp");
        let store = Postgres {
            config,
            clients: Default::default(),
            next: AtomicUsize::new(0),
        };
        store.with_client(|_| Ok(()))?;
        Ok(store)
    }

    /// Runs `work` in one transaction.
    pub fn write<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.with_client(|client| {
            let mut tx = client.transaction()?;
            let value = work(&mut Statements(&mut tx))?;
            tx.commit()?;
            Ok(value)
        })
    }

    pub fn read<T>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.with_client(|client| work(&mut Statements(client)))
    }

    /// A free connection (or, with all of them busy, the next in turn once it is free),
    /// opened if it never was or the last one broke.
    fn with_client<T>(&self, work: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        off_the_runtime(|| {
            let mut slot = self.free_slot();
            if slot.as_ref().is_none_or(Client::is_closed) {
                let client = self.config.connect(NoTls).map_err(|error| {
                    anyhow!("cannot reach the PostgreSQL store (FACTURATION_STORE): {error}")
                })?;
                *slot = Some(client);
            }
            let client = slot.as_mut().expect("a connection was just opened");
            let outcome = work(client);
            if outcome.is_err() && client.is_closed() {
                // The server went away (a restart, a failover): the idle connections are
                // just as dead and would each fail a call before anyone knew. They are
                // opened anew when next needed.
                *slot = None;
                drop(slot);
                self.forget_idle_connections();
            }
            outcome
        })
    }

    fn forget_idle_connections(&self) {
        for client in &self.clients {
            if let Ok(mut idle) = client.try_lock() {
                *idle = None;
            }
        }
    }

    fn free_slot(&self) -> MutexGuard<'_, Option<Client>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for n in 0..CONNECTIONS {
            match self.clients[(start + n) % CONNECTIONS].try_lock() {
                Ok(slot) => return slot,
                // As `lock` does: a transaction a panic cut short was rolled back as it was
                // dropped, so the connection is fit for the next call.
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.clients[start % CONNECTIONS])
    }
}

/// The synchronous client drives its own small runtime inside each call, which the async
/// runtime allows once the worker has handed its other tasks over (the host's runtimes are
/// all multi-threaded, the kind that can).
fn off_the_runtime<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

struct Statements<'c, C: GenericClient>(&'c mut C);

impl<C: GenericClient> Sql for Statements<'_, C> {
    fn execute(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let bound = bound(params);
        Ok(self.0.execute(sql, &references(&bound))?)
    }

    fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let bound = bound(params);
        self.0
            .query(sql, &references(&bound))?
            .iter()
            .map(row)
            .collect()
    }

    fn serialize_on(&mut self, key: &str) -> Result<()> {
        // Released when the transaction ends, whichever way.
        self.0.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&key],
        )?;
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.0.batch_execute(sql)?)
    }
}

type Bound<'p> = Box<dyn ToSql + Sync + 'p>;

fn bound<'p>(params: &'p [Param]) -> Vec<Bound<'p>> {
    params
        .iter()
        .map(|param| -> Bound<'p> {
            match param {
                Param::Int(value) => Box::new(*value),
                Param::Text(value) => Box::new(*value),
                Param::Bytes(value) => Box::new(*value),
                Param::NullText => Box::new(None::<&str>),
            }
        })
        .collect()
}

fn references<'b>(bound: &'b [Bound<'_>]) -> Vec<&'b (dyn ToSql + Sync)> {
    bound.iter().map(|value| value.as_ref() as _).collect()
}

fn row(row: &postgres::Row) -> Result<Row> {
    let cells = row
        .columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let cell = match *column.type_() {
                Type::INT8 => row.get::<_, Option<i64>>(index).map(Cell::Int),
                Type::INT4 => row
                    .get::<_, Option<i32>>(index)
                    .map(|v| Cell::Int(v.into())),
                Type::INT2 => row
                    .get::<_, Option<i16>>(index)
                    .map(|v| Cell::Int(v.into())),
                Type::BOOL => row
                    .get::<_, Option<bool>>(index)
                    .map(|v| Cell::Int(v.into())),
                Type::TEXT | Type::VARCHAR | Type::NAME => {
                    row.get::<_, Option<String>>(index).map(Cell::Text)
                }
                Type::BYTEA => row.get::<_, Option<Vec<u8>>>(index).map(Cell::Bytes),
                ref other => {
                    return Err(anyhow!(
                        "the store's column {} has a type it does not read: {other}",
                        column.name()
                    ));
                }
            };
            Ok(cell.unwrap_or(Cell::Null))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Row(cells))
}
