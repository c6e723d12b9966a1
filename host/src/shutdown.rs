//! Stopping when asked to: the signals that mean "stop" on each system, and how long the
//! calls already under way may take to finish.
//!
//! Without this a server in a container never stops on `docker stop`: it runs there as
//! process 1, for which the kernel ignores SIGTERM unless a handler is installed, so the
//! runtime waits out its grace period and kills it mid-call. Everywhere else the default
//! action would end the process at once, dropping calls whose API request is already out.

use std::time::Duration;

/// How long the calls in flight get once a stop is asked for. Under Docker's default grace
/// period (10 s) with room to spare; a call still running after it is dropped, as a
/// cancellation would drop it (its write is already in the audit log, written ahead).
pub const DRAIN: Duration = Duration::from_secs(5);

/// Resolves with the signal's name when the process is asked to stop: SIGTERM (`docker
/// stop`, systemd, clients closing their servers), SIGINT (Ctrl-C) or SIGHUP (the terminal
/// went away) on Unix; Ctrl-C, Ctrl-Break or the console window closing on Windows. A second
/// request while the calls drain ends the process at once, as an impatient user expects.
pub async fn requested() -> &'static str {
    // One listener for both requests, so that none falls between the two.
    let mut listener = signals::Listener::new();
    let name = listener.next().await;
    eprintln!(
        "facturation-pro-mcp: {name}: finishing the calls in flight (at most {} s), then stopping",
        DRAIN.as_secs()
    );
    tokio::spawn(async move {
        let again = listener.next().await;
        eprintln!("facturation-pro-mcp: {again} again: stopping now");
        std::process::exit(130);
    });
    name
}

/// Waits for one event of a listener that could be set up; forever for one that could not
/// (or whose stream ended), so it never wins the race.
async fn received(event: Option<impl Future<Output = Option<()>>>) {
    if let Some(event) = event
        && event.await.is_some()
    {
        return;
    }
    std::future::pending().await
}

#[cfg(unix)]
mod signals {
    use tokio::signal::unix::{Signal, SignalKind, signal};

    use super::received;

    pub struct Listener {
        terminate: Option<Signal>,
        interrupt: Option<Signal>,
        hangup: Option<Signal>,
    }

    impl Listener {
        pub fn new() -> Self {
            Self {
                terminate: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
                hangup: signal(SignalKind::hangup()).ok(),
            }
        }

        pub async fn next(&mut self) -> &'static str {
            tokio::select! {
                () = received(self.terminate.as_mut().map(Signal::recv)) => "SIGTERM",
                () = received(self.interrupt.as_mut().map(Signal::recv)) => "SIGINT",
                () = received(self.hangup.as_mut().map(Signal::recv)) => "SIGHUP",
            }
        }
    }
}

#[cfg(windows)]
mod signals {
    use tokio::signal::windows::{CtrlBreak, CtrlC, CtrlClose, ctrl_break, ctrl_c, ctrl_close};

    use super::received;

    pub struct Listener {
        interrupt: Option<CtrlC>,
        brk: Option<CtrlBreak>,
        close: Option<CtrlClose>,
    }

    impl Listener {
        pub fn new() -> Self {
            Self {
                interrupt: ctrl_c().ok(),
                brk: ctrl_break().ok(),
                close: ctrl_close().ok(),
            }
        }

        pub async fn next(&mut self) -> &'static str {
            tokio::select! {
                () = received(self.interrupt.as_mut().map(CtrlC::recv)) => "Ctrl-C",
                () = received(self.brk.as_mut().map(CtrlBreak::recv)) => "Ctrl-Break",
                () = received(self.close.as_mut().map(CtrlClose::recv)) => "console closed",
            }
        }
    }
}
