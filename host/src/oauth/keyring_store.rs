//! The OS's secret store, as the token store uses it: macOS Keychain, Windows Credential
//! Manager, or the Secret Service of a Linux desktop session. The Linux image is built
//! without it (feature `system-keyring` off): a container has no such service, and its
//! D-Bus client would only make the image larger.

#[cfg(feature = "system-keyring")]
pub use real::Keyring;

#[cfg(not(feature = "system-keyring"))]
pub use absent::Keyring;

#[cfg(feature = "system-keyring")]
mod real {
    use anyhow::{Result, bail};

    const SERVICE: &str = "facturation-pro-mcp";

    /// On Linux the Secret Service lives on the session bus: without one (containers,
    /// servers, CI) there is no keyring to ask, and asking would only wait for a timeout.
    fn secret_service_reachable() -> bool {
        !cfg!(target_os = "linux") || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
    }

    pub struct Keyring(keyring::Entry);

    impl Keyring {
        /// The entry named `user`, when a secret store answers (with it, or "no entry").
        pub fn open(user: &str) -> Option<Self> {
            if !secret_service_reachable() {
                return None;
            }
            let entry = keyring::Entry::new(SERVICE, user).ok()?;
            match entry.get_password() {
                Ok(_) | Err(keyring::Error::NoEntry) => Some(Self(entry)),
                Err(_) => None,
            }
        }

        pub fn read(&self) -> Result<Option<String>> {
            match self.0.get_password() {
                Ok(text) => Ok(Some(text)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(error) => bail!("cannot read the OAuth tokens from the keyring: {error}"),
            }
        }

        pub fn write(&self, text: &str) -> Result<()> {
            self.0.set_password(text).map_err(|error| {
                anyhow::anyhow!("cannot store the OAuth tokens in the keyring: {error}")
            })
        }

        pub fn delete(&self) -> Result<()> {
            match self.0.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(error) => bail!("cannot remove the OAuth tokens from the keyring: {error}"),
            }
        }
    }
}

#[cfg(not(feature = "system-keyring"))]
mod absent {
    use anyhow::Result;

    /// No secret store in this build: never opened, so its methods are never reached.
    pub enum Keyring {}

    impl Keyring {
        pub fn open(_user: &str) -> Option<Self> {
            None
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
