//! A real PostgreSQL server for the tests: Debian's `postgresql` package, a cluster made in a
//! temporary folder, listening on a free loopback port with password authentication, and
//! stopped (immediately) when dropped. PostgreSQL refuses to run as root, so as root (CI) the
//! cluster belongs to the package's `postgres` user and its programs run as that user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::free_port;
use tempfile::TempDir;

/// The role the store connects as, and its password (which must never show in a log).
pub const ROLE: &str = "facturation";
pub const PASSWORD: &str = "pg-password-that-must-not-leak-7c1e";

pub struct TestPostgres {
    folder: TempDir,
    bin: PathBuf,
    port: u16,
    server: Option<Child>,
}

impl TestPostgres {
    /// Makes a cluster and starts it.
    pub fn start() -> Result<TestPostgres> {
        let bin = binaries()?;
        let folder = tempfile::tempdir()?;
        let port = free_port();
        let mut postgres = TestPostgres {
            folder,
            bin,
            port,
            server: None,
        };
        postgres.initialise()?;
        postgres.resume()?;
        Ok(postgres)
    }

    /// `postgres://` URL of the cluster's own database, password included.
    pub fn url(&self) -> String {
        format!(
            "postgres://{ROLE}:{PASSWORD}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// The same URL with another password.
    pub fn url_with_password(&self, password: &str) -> String {
        self.url().replace(PASSWORD, password)
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    fn initialise(&self) -> Result<()> {
        let password_file = self.folder.path().join("password");
        std::fs::write(&password_file, PASSWORD)?;
        if as_root() {
            // The cluster's user must own its folder and read the password file.
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(self.folder.path())
                .status()?;
            if !owned.success() {
                bail!(
                    "cannot give {} to the postgres user",
                    self.folder.path().display()
                );
            }
        }
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(self.data())
            .args(["-U", ROLE, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8"])
            .arg(format!("--pwfile={}", password_file.display()))
            .output()?;
        if !output.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(())
    }

    /// Starts the server (again, after [`Self::stop`]) and waits until it takes connections.
    pub fn resume(&mut self) -> Result<()> {
        let log =
            std::fs::File::create(self.folder.path().join(format!("server-{}.log", self.port)))?;
        let server = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.folder.path().display()
            ))
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("start postgres")?;
        self.server = Some(server);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()?;
            if ready.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("postgres did not start: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server at once, as a crash or a network cut would look to its clients.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// The rows `sql` returns, as psql prints them unaligned (`|` between columns).
    pub fn query(&self, sql: &str) -> Result<String> {
        let output = self
            .command("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
            .args(["-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGPASSWORD", PASSWORD)
            .output()?;
        if !output.status.success() {
            bail!("psql: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8(output.stdout)?.trim().to_string())
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join(format!("server-{}.log", self.port)))
            .unwrap_or_default()
    }

    /// One of the cluster's programs, as the user that owns the cluster. `setpriv` replaces
    /// itself with the program, so the child is the server itself and a kill reaches it.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if as_root() {
            let mut command = Command::new("setpriv");
            command
                .args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--",
                ])
                .arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether the tests run as root: the owner of this process's own /proc entry.
fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|process| process.uid() == 0)
}

/// The newest installed PostgreSQL's programs (Debian keeps them per version).
fn binaries() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .with_context(|| {
            format!(
                "{} is missing: install Debian's postgresql package \
                 (scripts/install-test-tools.sh does)",
                root.display()
            )
        })?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no PostgreSQL server programs under /usr/lib/postgresql")
}
