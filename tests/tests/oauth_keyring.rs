//! Where a Linux desktop's OAuth sign-in is kept, through the real binary against the
//! emulator: in a real Secret Service (Debian's gnome-keyring on a private D-Bus session bus
//! this test starts, unlocked with a password on stdin) with no token file on disk, `check`,
//! the server's refresh and `logout` all going through it; in the 0600 file, said once on
//! stderr, when a session bus is announced but nobody is there; and the file written
//! through a temporary file nobody can plant a symlink at in advance.
//!
//! gnome-keyring, dbus-daemon and secret-tool come from scripts/install-test-tools.sh: a
//! machine without them fails these tests with that instruction, it does not skip them.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, printed, success};
use serde_json::{Value, json};
use tempfile::TempDir;

const CLIENT_ID: &str = "demo-client-id";
const CLIENT_SECRET: &str = "demo-client-secret";
/// The keyring entry's service name, as the host writes it.
const KEYRING_SERVICE: &str = "facturation-pro-mcp";
const INSTALL_HINT: &str = "run scripts/install-test-tools.sh (as root) to install dbus-daemon, \
                            gnome-keyring and libsecret-tools";

/// A browser that approves what it is shown. With PLANT_SYMLINK_TO set it first plants a
/// symlink to that file at the name the token store's temporary file used to have,
/// `oauth-tokens.tmp<pid>`, the pid being its parent's: the `login` process.
const BROWSER: &str = r#"#!/bin/sh
if [ -n "$PLANT_SYMLINK_TO" ]; then
    folder="$XDG_CONFIG_HOME/facturation-pro-mcp"
    mkdir -p -m 700 "$folder"
    ln -s "$PLANT_SYMLINK_TO" "$folder/oauth-tokens.tmp$PPID"
fi
callback=$(curl -s -o /dev/null -w '%{redirect_url}' "$1")
curl -s -o /dev/null "$callback"
"#;

/// A private session bus with gnome-keyring's Secret Service on it, its login keyring
/// unlocked. Dropping it stops the bus, and gnome-keyring leaves with it.
struct SecretService {
    bus: Child,
    address: String,
    folder: TempDir,
}

impl SecretService {
    fn start() -> Self {
        let folder = tempfile::tempdir().unwrap();
        for sub in ["data", "runtime", "home"] {
            std::fs::create_dir(folder.path().join(sub)).unwrap();
        }
        std::fs::set_permissions(
            folder.path().join("runtime"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        // A bus of our own, without the system's service files: nothing is started on
        // demand, the keyring answering is the one started below.
        let config = folder.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                folder.path().join("bus").display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start dbus-daemon ({error}): {INSTALL_HINT}"));
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        let service = Self {
            bus,
            address,
            folder,
        };
        service.start_gnome_keyring();
        service.wait_until_it_stores();
        service
    }

    /// The environment of a session on this bus: its own home and keyring folder.
    fn env(&self) -> Vec<(String, String)> {
        let path = |sub: &str| self.folder.path().join(sub).display().to_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("HOME".into(), path("home")),
            ("XDG_DATA_HOME".into(), path("data")),
            ("XDG_RUNTIME_DIR".into(), path("runtime")),
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ]
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env_clear().envs(self.env());
        command
    }

    /// gnome-keyring-daemon creates the login keyring with the password it reads on stdin
    /// and unlocks it, then forks into the background once it is set up.
    fn start_gnome_keyring(&self) {
        let mut daemon = self
            .command("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start gnome-keyring-daemon ({error}): {INSTALL_HINT}")
            });
        daemon
            .stdin
            .take()
            .unwrap()
            .write_all(b"test keyring password")
            .unwrap();
        let output = daemon.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "gnome-keyring-daemon: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Stores a canary item until it works: the daemon's name may take a moment to appear
    /// on the bus after its parent returns.
    fn wait_until_it_stores(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let output =
                self.secret_tool(&["store", "--label=canary", "service", "canary"], "ready");
            if output.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Secret Service never answered: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn secret_tool(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command("secret-tool")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run secret-tool ({error}): {INSTALL_HINT}"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// The host's entry for the API at `base_url`, as the Secret Service holds it.
    fn stored_tokens(&self, base_url: &str) -> Option<Value> {
        let user = format!("oauth {base_url}");
        let output = self.secret_tool(
            &["lookup", "service", KEYRING_SERVICE, "username", &user],
            "",
        );
        if !output.status.success() {
            assert!(
                output.stdout.is_empty(),
                "secret-tool lookup failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Some(serde_json::from_slice(&output.stdout).expect("the stored tokens are JSON"))
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// One user's machine: the emulator, a home with a configuration folder, the browser.
struct Machine {
    emulator: Emulator,
    home: TempDir,
}

impl Machine {
    fn new() -> Self {
        let machine = Self {
            emulator: Emulator::start(EmulatorConfig::without_demo_data()).unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        let browser = machine.home.path().join("browser.sh");
        std::fs::write(&browser, BROWSER).unwrap();
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        machine
    }

    /// The server's configuration: OAuth application, no API key, no session bus unless
    /// the test adds one.
    fn setup(&self) -> ServerSetup {
        let browser = self.home.path().join("browser.sh");
        ServerSetup::against(
            &self.emulator.base_url(),
            &self.home.path().join("downloads"),
        )
        .without_env("FACTURATION_API_ID")
        .without_env("FACTURATION_API_KEY")
        .with_env("FACTURATION_OAUTH_CLIENT_ID", CLIENT_ID)
        .with_env("FACTURATION_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
        .with_env(
            "XDG_CONFIG_HOME",
            &self.config_folder().display().to_string(),
        )
        .with_env("BROWSER", &browser.display().to_string())
        .with_env("PATH", "/usr/local/bin:/usr/bin:/bin")
    }

    /// The setup of a desktop session on `service`'s bus.
    fn desktop_setup(&self, service: &SecretService) -> ServerSetup {
        service
            .env()
            .iter()
            .filter(|(name, _)| name != "PATH")
            .fold(self.setup(), |setup, (name, value)| {
                setup.with_env(name, value)
            })
    }

    fn config_folder(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn token_file(&self) -> PathBuf {
        self.config_folder()
            .join("facturation-pro-mcp/oauth-tokens.json")
    }

    /// Runs the binary to its end; asserts it did not panic and exited with `code`.
    fn run(&self, setup: ServerSetup, args: &[&str], code: i32) -> Output {
        let output = setup.with_args(args).run_with_input("");
        let text = printed(&output);
        assert!(!text.contains("panicked"), "{args:?} panicked: {text}");
        assert_eq!(output.status.code(), Some(code), "{args:?}: {text}");
        self.assert_no_token_in(&text);
        output
    }

    /// No token the emulator issued appears in `text`.
    fn assert_no_token_in(&self, text: &str) {
        for token in self.emulator.oauth_tokens() {
            assert!(
                !text.contains(&token.access_token) && !text.contains(&token.refresh_token),
                "a token was printed or written: {text}"
            );
        }
    }

    /// No file under the home holds an issued token.
    fn assert_no_token_on_disk(&self) {
        for file in files_under(self.home.path()) {
            let bytes = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for token in self.emulator.oauth_tokens() {
                assert!(
                    !text.contains(&token.access_token) && !text.contains(&token.refresh_token),
                    "{} holds a token",
                    file.display()
                );
            }
        }
    }
}

fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_desktop_sign_in_lives_in_the_secret_service_for_login_check_refresh_and_logout() {
    let service = SecretService::start();
    let machine = Machine::new();
    let base_url = machine.emulator.base_url();

    let login = machine.run(
        machine.desktop_setup(&service),
        &["login", "--timeout", "30"],
        0,
    );
    let text = printed(&login);
    assert!(
        text.contains("Tokens are kept in the system keyring"),
        "{text}"
    );
    let issued = machine.emulator.oauth_tokens();
    assert_eq!(issued.len(), 1);
    let stored = service
        .stored_tokens(&base_url)
        .expect("the tokens are in the Secret Service");
    assert_eq!(stored["access_token"], issued[0].access_token);
    assert_eq!(stored["refresh_token"], issued[0].refresh_token);
    assert!(!machine.token_file().exists(), "a token file was written");
    machine.assert_no_token_on_disk();

    let check = machine.run(machine.desktop_setup(&service), &["check"], 0);
    let text = printed(&check);
    assert!(
        text.contains("Signed in with OAuth (scope read_write)")
            && text.contains("kept in the system keyring"),
        "{text}"
    );

    // The server refreshes a refused token and keeps the rotated ones in the keyring.
    machine.emulator.expire_access_tokens();
    let mut server = McpServer::spawn(&machine.desktop_setup(&service));
    server.initialize("2025-11-25");
    success(&server.call_tool("list_customers", json!({})));
    let (_, stderr) = server.finish();
    assert!(!stderr.contains("panicked"), "{stderr}");
    machine.assert_no_token_in(&stderr);
    assert_eq!(machine.emulator.oauth_refresh_count(), 1);
    let rotated = service.stored_tokens(&base_url).unwrap();
    assert_ne!(rotated["access_token"], issued[0].access_token);
    assert!(
        machine
            .emulator
            .oauth_tokens()
            .iter()
            .any(|token| rotated["access_token"] == token.access_token.as_str())
    );
    assert!(!machine.token_file().exists(), "a token file was written");
    machine.assert_no_token_on_disk();

    let logout = machine.run(machine.desktop_setup(&service), &["logout"], 0);
    assert!(
        printed(&logout).contains("Signed out"),
        "{}",
        printed(&logout)
    );
    assert_eq!(service.stored_tokens(&base_url), None);
    assert!(
        machine
            .emulator
            .oauth_tokens()
            .iter()
            .all(|token| token.revoked)
    );
}

#[test]
fn an_announced_bus_nobody_answers_on_falls_back_to_the_private_file_and_says_so_once() {
    let machine = Machine::new();
    let setup = || {
        machine
            .setup()
            .with_env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    };
    let file = machine.token_file().display().to_string();
    let said_once = |output: &Output| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("keyring"))
            .collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains(&file), "{stderr}");
    };

    let login = machine.run(setup(), &["login", "--timeout", "30"], 0);
    said_once(&login);
    assert!(printed(&login).contains(&format!("Tokens are kept in {file}")));
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(machine.token_file()).unwrap()).unwrap();
    assert_eq!(
        stored["access_token"],
        machine.emulator.oauth_tokens()[0].access_token
    );
    let mode = std::fs::metadata(machine.token_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // check opens the store twice (is there a sign-in? then the session): one line still.
    let check = machine.run(setup(), &["check"], 0);
    said_once(&check);
    assert!(
        printed(&check).contains("Signed in with OAuth (scope read_write)"),
        "{}",
        printed(&check)
    );

    let logout = machine.run(setup(), &["logout"], 0);
    said_once(&logout);
    assert!(!machine.token_file().exists());
    assert!(
        machine
            .emulator
            .oauth_tokens()
            .iter()
            .all(|token| token.revoked)
    );
}

#[test]
fn a_symlink_planted_at_the_old_temporary_name_is_not_written_through() {
    let machine = Machine::new();
    let outside = machine.home.path().join("outside.txt");
    std::fs::write(&outside, "someone else's file").unwrap();
    let setup = machine
        .setup()
        .with_env("PLANT_SYMLINK_TO", &outside.display().to_string());

    machine.run(setup, &["login", "--timeout", "30"], 0);

    // The browser did plant it, and it was left alone: not followed, not renamed.
    let planted: Vec<PathBuf> = files_under(&machine.config_folder())
        .into_iter()
        .filter(|path| path.is_symlink())
        .collect();
    assert_eq!(planted.len(), 1, "{planted:?}");
    assert!(
        planted[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("oauth-tokens.tmp")
    );
    assert_eq!(std::fs::read_link(&planted[0]).unwrap(), outside);
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "someone else's file"
    );
    // The tokens went to a regular 0600 file, and no temporary file is left.
    let metadata = std::fs::symlink_metadata(machine.token_file()).unwrap();
    assert!(metadata.file_type().is_file());
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(machine.token_file()).unwrap()).unwrap();
    assert_eq!(
        stored["access_token"],
        machine.emulator.oauth_tokens()[0].access_token
    );
    let mut names: Vec<String> = files_under(&machine.config_folder())
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "oauth-tokens.json", "{names:?}");
}
