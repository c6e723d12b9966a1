//! Accepting connections without spinning or flooding the log when accepting fails. Out of
//! descriptors (EMFILE), the pending connection stays queued and the listener stays ready,
//! so retrying at once would fail again at once, millions of times a second.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// How long to wait after a failure that is the server's own (descriptors, memory) before
/// trying again: closing connections frees descriptors, and that takes a moment.
const BACK_OFF: Duration = Duration::from_millis(100);

/// At most one line per this long about failures; the others are counted into it.
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Accepts, retrying after failures, and reports them to stderr at a bounded rate.
pub struct Acceptor {
    listener: TcpListener,
    last_report: Option<Instant>,
    unreported: u64,
}

impl Acceptor {
    pub fn new(listener: TcpListener) -> Acceptor {
        Acceptor {
            listener,
            last_report: None,
            unreported: 0,
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The next connection.
    pub async fn accept(&mut self) -> TcpStream {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => return stream,
                Err(error) => {
                    self.report(&error);
                    // A client that gave up before being accepted is its own problem; only
                    // the server's own trouble calls for a pause.
                    if !matches!(
                        error.kind(),
                        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(BACK_OFF).await;
                    }
                }
            }
        }
    }

    fn report(&mut self, error: &std::io::Error) {
        self.unreported += 1;
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|last| now.duration_since(last) < REPORT_EVERY)
        {
            return;
        }
        let hint = if error.raw_os_error() == Some(24) || error.raw_os_error() == Some(23) {
            " (too many open files: raise the descriptor limit, or lower \
             FACTURATION_HTTP_MAX_CONNECTIONS)"
        } else {
            ""
        };
        eprintln!(
            "facturation-pro-mcp: accepting a connection failed {} time(s) since the last \
             report: {error}{hint}; retrying",
            self.unreported
        );
        self.unreported = 0;
        self.last_report = Some(now);
    }
}
