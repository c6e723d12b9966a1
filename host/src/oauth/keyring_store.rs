//! The OS's secret store, as the token store uses it: macOS Keychain, Windows Credential
//! Manager, or the Secret Service of a Linux desktop session.

use anyhow::{Result, bail};

/// What asking for the secret store gave.
pub enum Opened {
    /// A store answered (with the entry, or with "no such entry").
    Answered(Keyring),
    /// None is expected here: no session bus is announced (a container, a server, CI).
    NotExpected,
    /// One should be there but did not answer; the reason, on one line, holds no secret.
    Unreachable(String),
}

const SERVICE: &str = "facturation-pro-mcp";

/// On Linux the Secret Service lives on the session bus: without one (containers,
/// servers, CI) there is no keyring to ask, and asking would only wait for a timeout.
fn secret_service_expected() -> bool {
    !cfg!(target_os = "linux") || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

/// Runs one keyring operation on a plain thread of its own, then returns its result.
///
/// On Linux the keyring crate speaks D-Bus through zbus built for tokio, whose blocking
/// calls start a small tokio runtime of their own; tokio refuses that on a thread already
/// inside a runtime, which every caller here is (`login`, `logout`, the server). A
/// fresh std thread carries no runtime context, so the call is safe from any caller, sync
/// or async. A thread per operation costs microseconds next to a D-Bus round trip, and,
/// unlike a long-lived keyring thread, needs no channel or shutdown. This keeps the
/// pure-Rust D-Bus client: the keyring's sync backend would link libdbus (C) instead.
fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A keyring error on one line: D-Bus errors may span several.
fn one_line(error: &keyring::Error) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct Keyring(keyring::Entry);

impl Keyring {
    /// The entry named `user`, when a secret store answers (with it, or "no entry").
    pub fn open(user: &str) -> Opened {
        if !secret_service_expected() {
            return Opened::NotExpected;
        }
        let entry = match keyring::Entry::new(SERVICE, user) {
            Ok(entry) => entry,
            Err(error) => return Opened::Unreachable(one_line(&error)),
        };
        match off_runtime(|| entry.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => Opened::Answered(Self(entry)),
            Err(error) => Opened::Unreachable(one_line(&error)),
        }
    }

    pub fn read(&self) -> Result<Option<String>> {
        match off_runtime(|| self.0.get_password()) {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => bail!(
                "cannot read the OAuth tokens from the keyring: {}",
                one_line(&error)
            ),
        }
    }

    pub fn write(&self, text: &str) -> Result<()> {
        off_runtime(|| self.0.set_password(text)).map_err(|error| {
            anyhow::anyhow!(
                "cannot store the OAuth tokens in the keyring: {}",
                one_line(&error)
            )
        })
    }

    pub fn delete(&self) -> Result<()> {
        match off_runtime(|| self.0.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => bail!(
                "cannot remove the OAuth tokens from the keyring: {}",
                one_line(&error)
            ),
        }
    }
}
