//! How much the server takes on at once, and how long it waits for a client. Each bound is
//! settable, so that a deployment behind its own proxy can adjust it; the defaults suit one
//! user or a small team on a small machine.

use std::time::Duration;

use anyhow::Result;

use crate::config::Source;

/// Requests handled at once (both transports). Each runs in its own instance, which may grow
/// to the sandbox's memory ceiling, and most of them wait on an API paced to a few requests
/// per second: more than this would only queue at the pacing gate while holding memory.
const DEFAULT_MAX_IN_FLIGHT: u64 = 32;

/// Open HTTP connections. Well under the usual 1024 descriptors a process gets, leaving room
/// for the API connections of the requests in flight and the files the host opens.
const DEFAULT_MAX_CONNECTIONS: u64 = 256;

/// Seconds a connection has to send a request's headers, counted from when it opens or from
/// its previous answer; also the longest pause allowed inside a body. Generous for any
/// client that is actually sending, short enough that idle or trickling sockets do not pile
/// up.
const DEFAULT_READ_TIMEOUT_SECS: u64 = 10;

/// Legacy HTTP sessions remembered at once. A session holds only its handshake (bounded in
/// size), so this is about memory a few kilobytes at a time; a client that opens more
/// without ending any is told the server is busy.
const DEFAULT_MAX_SESSIONS: u64 = 256;

/// Minutes a legacy HTTP session is kept without a request. Longer than any question may
/// wait for its answer, so a call never loses its session while the user decides.
const DEFAULT_SESSION_IDLE_MINUTES: u64 = 30;

/// Seconds `serve --http` at most goes on serving new requests once asked to stop, with
/// readiness saying no: room for a load balancer to notice before the listener closes.
const MAX_DRAIN_DELAY_SECS: u64 = 300;

/// The JSON-RPC error code of a "server busy" answer (one of the codes JSON-RPC leaves to
/// servers), on both transports.
pub const BUSY_CODE: i64 = -32000;

/// What a request beyond the in-flight cap is told.
pub fn busy_message(max_in_flight: usize) -> String {
    format!(
        "the server is busy: {max_in_flight} requests are already being handled \
         (FACTURATION_MAX_IN_FLIGHT); try again in a moment"
    )
}

/// The bounds `serve` applies.
#[derive(Clone, Debug)]
pub struct ServeLimits {
    /// FACTURATION_MAX_IN_FLIGHT: requests being handled at once; the next one is told the
    /// server is busy (HTTP 503, or a JSON-RPC error on stdio).
    pub max_in_flight: usize,
    /// FACTURATION_HTTP_MAX_CONNECTIONS: connections served at once; further ones are told
    /// the server is busy (HTTP 503, see overflow.rs).
    pub max_connections: usize,
    /// FACTURATION_HTTP_READ_TIMEOUT_SECS.
    pub read_timeout: Duration,
    /// FACTURATION_HTTP_MAX_SESSIONS: legacy sessions (those opened by `initialize`) kept
    /// at once; beyond it, `initialize` is told the server is busy.
    pub max_sessions: usize,
    /// FACTURATION_HTTP_SESSION_IDLE_MINUTES: how long a session lasts without a request.
    pub session_idle: Duration,
    /// FACTURATION_HTTP_DRAIN_DELAY_SECS: once asked to stop, how long new requests are still
    /// served while `/readyz` says no (0, the default, closes the listener at once; behind a
    /// load balancer, a little more than its health check interval).
    pub drain_delay: Duration,
}

impl ServeLimits {
    pub fn from_source(source: &Source) -> Result<ServeLimits> {
        Ok(ServeLimits {
            max_in_flight: whole_number(
                source,
                "FACTURATION_MAX_IN_FLIGHT",
                DEFAULT_MAX_IN_FLIGHT,
                10_000,
            )? as usize,
            max_connections: whole_number(
                source,
                "FACTURATION_HTTP_MAX_CONNECTIONS",
                DEFAULT_MAX_CONNECTIONS,
                100_000,
            )? as usize,
            read_timeout: Duration::from_secs(whole_number(
                source,
                "FACTURATION_HTTP_READ_TIMEOUT_SECS",
                DEFAULT_READ_TIMEOUT_SECS,
                3600,
            )?),
            max_sessions: whole_number(
                source,
                "FACTURATION_HTTP_MAX_SESSIONS",
                DEFAULT_MAX_SESSIONS,
                100_000,
            )? as usize,
            session_idle: Duration::from_secs(
                60 * whole_number(
                    source,
                    "FACTURATION_HTTP_SESSION_IDLE_MINUTES",
                    DEFAULT_SESSION_IDLE_MINUTES,
                    24 * 60,
                )?,
            ),
            drain_delay: Duration::from_secs(
                source
                    .number(
                        "FACTURATION_HTTP_DRAIN_DELAY_SECS",
                        0..=MAX_DRAIN_DELAY_SECS,
                    )?
                    .unwrap_or(0),
            ),
        })
    }
}

/// A whole number from 1 to `max`, `default` when unset (the one rule every such setting
/// follows, from config.rs).
fn whole_number(source: &Source, name: &str, default: u64, max: u64) -> Result<u64> {
    Ok(source.number(name, 1..=max)?.unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_unless_set_and_mistakes_name_their_variable() {
        let limits = ServeLimits::from_source(&Source::from_pairs(&[])).unwrap();
        assert_eq!(limits.max_in_flight, 32);
        assert_eq!(limits.read_timeout, Duration::from_secs(10));
        assert_eq!(limits.max_sessions, 256);
        assert_eq!(limits.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(limits.drain_delay, Duration::ZERO);
        let set = ServeLimits::from_source(&Source::from_pairs(&[(
            "FACTURATION_HTTP_MAX_CONNECTIONS",
            "8",
        )]))
        .unwrap();
        assert_eq!(set.max_connections, 8);
        let wrong =
            ServeLimits::from_source(&Source::from_pairs(&[("FACTURATION_MAX_IN_FLIGHT", "0")]))
                .unwrap_err();
        assert!(wrong.to_string().starts_with("FACTURATION_MAX_IN_FLIGHT"));
    }
}
