//! Where OAuth tokens are kept, outside the sandbox: the OS's secret store when one answers,
//! else a file only the user can read (mode 0600, replaced atomically), in the configuration
//! folder or at FACTURATION_OAUTH_TOKEN_FILE (the Docker way: a file on a volume). A lock
//! file beside it serialises refreshes across processes sharing one sign-in.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::{Context, Result, bail};

use super::Tokens;
use super::keyring_store::{Keyring, Opened};
use crate::config::{Origin, Source};

/// Where the tokens of one API origin live.
#[derive(Clone, Debug)]
pub struct StoreLocation {
    /// The file, when given (FACTURATION_OAUTH_TOKEN_FILE) or when no keyring answers.
    file: PathBuf,
    /// Whether FACTURATION_OAUTH_TOKEN_FILE named the file: then the keyring is not used.
    file_only: bool,
    /// The keyring entry's name: one sign-in per API origin.
    keyring_user: String,
}

impl StoreLocation {
    pub fn from_source(source: &Source, origin: &Origin) -> Result<Self> {
        let keyring_user = format!("oauth {}", origin.base_url());
        if let Some(file) = source.get("FACTURATION_OAUTH_TOKEN_FILE") {
            return Ok(Self {
                file: PathBuf::from(file),
                file_only: true,
                keyring_user,
            });
        }
        let folder = crate::config::config_folder(|name| source.get(name)).context(
            "no folder for the OAuth tokens: set FACTURATION_OAUTH_TOKEN_FILE (or HOME)",
        )?;
        Ok(Self {
            file: folder.join("facturation-pro-mcp").join("oauth-tokens.json"),
            file_only: false,
            keyring_user,
        })
    }

    /// The lock file beside the tokens (also when they are in the keyring).
    fn lock_path(&self) -> PathBuf {
        self.file.with_extension("lock")
    }
}

/// Whether a sign-in is stored at `location`: what makes OAuth the way in by default.
pub fn has_tokens(location: &StoreLocation) -> bool {
    matches!(TokenStore::open(location).load(), Ok(Some(_)))
}

/// An opened store: the keyring, or the file.
pub enum TokenStore {
    Keyring(Keyring, StoreLocation),
    File(StoreLocation),
}

impl TokenStore {
    /// The keyring when it answers (an entry read, or "no entry"), else the file. Blocking:
    /// call from a blocking context.
    pub fn open(location: &StoreLocation) -> Self {
        if location.file_only {
            return TokenStore::File(location.clone());
        }
        match Keyring::open(&location.keyring_user) {
            Opened::Answered(keyring) => TokenStore::Keyring(keyring, location.clone()),
            Opened::NotExpected => TokenStore::File(location.clone()),
            Opened::Unreachable(reason) => {
                say_the_file_stands_in(&reason, &location.file);
                TokenStore::File(location.clone())
            }
        }
    }

    /// Where the tokens are, for people.
    pub fn describe(&self) -> String {
        match self {
            TokenStore::Keyring(..) => "the system keyring".to_string(),
            TokenStore::File(location) => location.file.display().to_string(),
        }
    }

    fn location(&self) -> &StoreLocation {
        match self {
            TokenStore::Keyring(_, location) | TokenStore::File(location) => location,
        }
    }

    pub fn load(&self) -> Result<Option<Tokens>> {
        let text = match self {
            TokenStore::Keyring(keyring, _) => match keyring.read()? {
                Some(text) => text,
                None => return Ok(None),
            },
            TokenStore::File(location) => match std::fs::read_to_string(&location.file) {
                Ok(text) => text,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(error) => bail!("cannot read {}: {error}", location.file.display()),
            },
        };
        // The file's contents are secrets: say where, never what.
        serde_json::from_str(&text).map(Some).map_err(|_| {
            anyhow::anyhow!(
                "the stored OAuth tokens in {} are unreadable",
                self.describe()
            )
        })
    }

    pub fn save(&self, tokens: &Tokens) -> Result<()> {
        let text = serde_json::to_string(tokens)?;
        match self {
            TokenStore::Keyring(keyring, _) => keyring.write(&text),
            TokenStore::File(location) => write_private(&location.file, text.as_bytes()),
        }
    }

    pub fn delete(&self) -> Result<()> {
        match self {
            TokenStore::Keyring(keyring, _) => keyring.delete(),
            TokenStore::File(location) => match std::fs::remove_file(&location.file) {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(error) => bail!("cannot remove {}: {error}", location.file.display()),
            },
        }
    }

    /// Holds the store's lock until dropped: one refresh at a time across processes.
    pub fn lock(&self) -> Result<File> {
        let path = self.location().lock_path();
        create_private_folder(&path)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }
}

fn create_private_folder(file: &Path) -> Result<()> {
    let Some(folder) = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(folder)
        .with_context(|| format!("cannot create {}", folder.display()))
}

/// Tells the user, once per process, that a keyring was expected (a session bus is
/// announced) but did not answer, so the tokens go to the 0600 file instead: they should
/// know where their sign-in lives. Several opens in one run say it once.
fn say_the_file_stands_in(reason: &str, file: &Path) {
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        eprintln!(
            "facturation-pro-mcp: the system keyring did not answer ({reason}); OAuth tokens \
             are kept in the file {} instead",
            file.display()
        );
    });
}

/// Writes `bytes` to a new file readable by the user only, then renames it over `path`, so
/// a reader sees the old tokens or the new ones, never half of either. The temporary file
/// is removed when anything fails.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    create_private_folder(path)?;
    let (temporary, mut file) = create_temporary_beside(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let written = written.and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        bail!("cannot write {}: {error}", path.display());
    }
    Ok(())
}

/// A new empty file beside `path`, mode 0600, under a random name. `create_new` fails on
/// any existing name, a symlink included (it is not followed), so nothing planted in the
/// folder is ever written through; and a random name, unlike one made from the process id,
/// cannot be planted in advance.
fn create_temporary_beside(path: &Path) -> Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .map_or_else(|| "tokens".into(), |name| name.to_string_lossy());
    let mut last_error = None;
    // A clash of 64 random bits means someone is guessing: a few tries, then give up.
    for _ in 0..4 {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|error| anyhow::anyhow!("no randomness from the system: {error}"))?;
        let temporary =
            path.with_file_name(format!(".{name}.{:016x}.tmp", u64::from_le_bytes(random)));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                last_error = Some(error);
            }
            Err(error) => bail!("cannot write {}: {error}", path.display()),
        }
    }
    bail!(
        "cannot write {}: {}",
        path.display(),
        last_error.map_or_else(String::new, |error| error.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            access_token: "access".into(),
            refresh_token: Some("refresh".into()),
            expires_at: 1,
            scope: "read_write".into(),
            client_id: "app".into(),
        }
    }

    #[test]
    fn the_file_store_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let location = StoreLocation {
            file: dir.path().join("sub/tokens.json"),
            file_only: true,
            keyring_user: "x".into(),
        };
        let store = TokenStore::open(&location);
        assert!(matches!(store, TokenStore::File(_)));
        assert_eq!(store.load().unwrap(), None);
        store.save(&tokens()).unwrap();
        assert_eq!(store.load().unwrap(), Some(tokens()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&location.file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(store.lock().unwrap());
        store.delete().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    fn file_location(dir: &Path) -> StoreLocation {
        StoreLocation {
            file: dir.join("tokens.json"),
            file_only: true,
            keyring_user: "x".into(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_at_the_old_temporary_name_is_neither_followed_nor_moved() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "not yours").unwrap();
        let location = file_location(&dir.path().join("config"));
        std::fs::create_dir(dir.path().join("config")).unwrap();
        // The name the store used to write through: tokens.tmp<pid>.
        let planted = location
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        std::os::unix::fs::symlink(&outside, &planted).unwrap();

        TokenStore::open(&location).save(&tokens()).unwrap();

        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "not yours");
        assert_eq!(std::fs::read_link(&planted).unwrap(), outside);
        let stored = std::fs::symlink_metadata(&location.file).unwrap();
        assert!(stored.file_type().is_file());
        assert_eq!(TokenStore::open(&location).load().unwrap(), Some(tokens()));
    }

    #[test]
    fn a_write_that_fails_leaves_no_temporary_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let location = file_location(dir.path());
        // A folder where the file should be: the rename over it fails.
        std::fs::create_dir(&location.file).unwrap();
        std::fs::write(location.file.join("inside"), "kept").unwrap();

        let error = TokenStore::open(&location).save(&tokens()).unwrap_err();

        assert!(error.to_string().contains("cannot write"), "{error}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("tokens.json")]);
    }
}
