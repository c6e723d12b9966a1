//! The OS's secret store, as the token store uses it: macOS Keychain, Windows Credential
//! Manager, or the Secret Service of a Linux desktop session. The Linux image is built
//! without it (feature `system-keyring` off): a container has no such service, and its
//! D-Bus client would only make the image larger.

#[cfg(feature = "system-keyring")]
pub use real::Keyring;

#[cfg(not(feature = "system-keyring"))]
pub use absent::Keyring;

/// What asking for the secret store gave.
pub enum Opened {
    /// A store answered (with the entry, or with "no such entry"). Never, in a build
    /// without one.
    #[cfg_attr(not(feature = "system-keyring"), allow(dead_code))]
    Answered(Keyring),
    /// None is expected here: this build has none, or no session bus is announced.
    NotExpected,
    /// One should be there but did not answer; the reason, on one line, holds no secret.
    /// Never, in a build without one.
    #[cfg_attr(not(feature = "system-keyring"), allow(dead_code))]
    Unreachable(String),
}

#[cfg(feature = "system-keyring")]
mod real {
    use anyhow::{Result, bail};

    use super::Opened;

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
}

#[cfg(not(feature = "system-keyring"))]
mod absent {
    use anyhow::Result;

    use super::Opened;

    /// No secret store in this build: never opened, so its methods are never reached.
    pub enum Keyring {}

    impl Keyring {
        pub fn open(_user: &str) -> Opened {
            Opened::NotExpected
        }

        pub fn read(&self) -> Result<Option<String>> {
            match *self {}
        }

        pub fn write(&self, _text: &str) -> Result<()> {
            match *self {}
        }

        pub fn delete(&self) -> Result<()> {
            match *self {}
        }
    }
}
