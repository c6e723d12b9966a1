//! scripts/install.sh in a throwaway home, without questions: the binary lands in the
//! prefix, the settings file holds the values with mode 0600, Claude Desktop's config gains
//! our entry and keeps everything else (after a backup), and `check` reaches the emulator.
//! Run twice it changes nothing; rerun with one flag it changes that value only. The entry
//! it writes is then started exactly as Claude Desktop would start it. The docker method is
//! run for real under podman, with the image scripts/build-images.sh built; with a stand-in
//! docker CLI, an image that is not published yet is built from the checkout, or, for a copy
//! of the script alone, the install stops and names the command that builds it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::containers::{linux_image, require_image, storage_conf};
use facturation_pro_emulator::harness::workspace_root;
use facturation_pro_emulator::harness::{McpServer, assert_route, host_binary};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A User-Agent with what a .env file can get wrong: spaces, `$`, `#`, parentheses.
const USER_AGENT: &str = "Cabinet Test $HOME #1 (tests@example.test)";

fn script() -> PathBuf {
    workspace_root().join("scripts/install.sh")
}

/// A throwaway home with a Claude Desktop config that already holds another server and
/// settings of its own, and the emulator the installer's `check` talks to.
struct Home {
    dir: TempDir,
    emulator: Emulator,
}

/// What was in Claude Desktop's config before the install.
fn original_claude_config() -> Value {
    json!({
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {
            "filesystem": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/Documents"],
                "env": { "DEBUG": "1" }
            }
        },
        "preferences": { "theme": "dark" }
    })
}

impl Home {
    fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
            emulator: Emulator::start(EmulatorConfig::default()).expect("start the emulator"),
        };
        std::fs::create_dir_all(home.claude_config().parent().unwrap()).unwrap();
        std::fs::write(
            home.claude_config(),
            serde_json::to_string_pretty(&original_claude_config()).unwrap(),
        )
        .unwrap();
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn claude_config(&self) -> PathBuf {
        self.path()
            .join(".config/Claude/claude_desktop_config.json")
    }

    fn env_file(&self) -> PathBuf {
        self.path().join(".config/facturation-pro-mcp/.env")
    }

    fn installed_binary(&self) -> PathBuf {
        self.path().join(".local/bin/facturation-pro-mcp")
    }

    /// Every flag of a complete non-interactive native install against the emulator.
    fn native_args(&self) -> Vec<String> {
        [
            "--binary",
            host_binary().to_str().unwrap(),
            "--api-id",
            "demo-api-id",
            "--api-key",
            "demo-api-key",
            "--firm-id",
            "1001",
            "--user-agent",
            USER_AGENT,
            "--base-url",
            &self.emulator.base_url(),
            "--non-interactive",
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect()
    }

    /// Runs install.sh with this home and `args`; stdin closed, XDG_CONFIG_HOME unset.
    fn install(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        Command::new("bash")
            .arg(script())
            .args(args)
            .env("HOME", self.path())
            .env_remove("XDG_CONFIG_HOME")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run bash")
    }

    fn install_ok(&self, args: &[String], env: &[(&str, &str)]) -> String {
        let output = self.install(args, env);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "install.sh failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    fn claude(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.claude_config()).unwrap()).unwrap()
    }

    fn backups(&self) -> Vec<PathBuf> {
        let dir = self.claude_config().parent().unwrap().to_path_buf();
        let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("claude_desktop_config.json.backup-")
            })
            .collect();
        backups.sort();
        backups
    }

    /// The variables set (uncommented) in the .env file, in order.
    fn env_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.env_file())
            .unwrap()
            .lines()
            .filter(|line| line.starts_with("FACTURATION_"))
            .map(str::to_string)
            .collect()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Checks the one GET /account.json a `check` makes: credentials and User-Agent from the
/// settings file, exactly.
fn assert_check_request(home: &Home, firms_output: &str) {
    let requests = home.emulator.requests();
    home.emulator.clear_requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_route(&requests[0], "GET", "/account.json");
    assert_eq!(
        requests[0].basic_auth(),
        Some(("demo-api-id".to_string(), "demo-api-key".to_string()))
    );
    assert_eq!(requests[0].header("user-agent"), Some(USER_AGENT));
    assert!(
        firms_output.contains("Atelier Demo SARL") && firms_output.contains("Second Firm SAS"),
        "the check's output does not list the firms: {firms_output}"
    );
}

#[test]
fn a_native_install_sets_everything_up_keeps_other_servers_and_checks_the_api() {
    let home = Home::new();
    let original_text = std::fs::read(home.claude_config()).unwrap();
    let stdout = home.install_ok(&home.native_args(), &[]);

    // The binary, executable, byte for byte the one given.
    let binary = home.installed_binary();
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(host_binary()).unwrap()
    );
    assert_eq!(mode(&binary) & 0o111, 0o111, "not executable");

    // The settings: the values given, the one with spaces quoted for the dotenv reader,
    // readable by the owner only.
    assert_eq!(
        home.env_lines(),
        [
            "FACTURATION_API_ID=demo-api-id".to_string(),
            "FACTURATION_API_KEY=demo-api-key".to_string(),
            "FACTURATION_FIRM_ID=1001".to_string(),
            format!("FACTURATION_USER_AGENT='{USER_AGENT}'"),
            format!("FACTURATION_BASE_URL={}", home.emulator.base_url()),
        ]
    );
    assert_eq!(mode(&home.env_file()), 0o600);
    assert_eq!(mode(home.env_file().parent().unwrap()), 0o700);
    // Built from .env.example: the documentation of the other variables is there too.
    let env_text = std::fs::read_to_string(home.env_file()).unwrap();
    assert!(env_text.contains("# FACTURATION_READ_ONLY=0"), "{env_text}");

    // Claude Desktop: our entry added, everything else as it was, the old file backed up.
    let mut expected = original_claude_config();
    expected["mcpServers"]["facturation-pro"] = json!({
        "command": binary.to_str().unwrap(),
        "args": ["--env-file", home.env_file().to_str().unwrap()],
    });
    assert_eq!(home.claude(), expected);
    let backups = home.backups();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(std::fs::read(&backups[0]).unwrap(), original_text);

    // `check` ran against the emulator with the file's settings.
    assert_check_request(&home, &stdout);

    // A second run finds nothing to change: same files, no second backup, one entry.
    let env_before = std::fs::read(home.env_file()).unwrap();
    let claude_before = std::fs::read(home.claude_config()).unwrap();
    let stdout = home.install_ok(&home.native_args(), &[]);
    assert_eq!(std::fs::read(home.env_file()).unwrap(), env_before);
    assert_eq!(std::fs::read(home.claude_config()).unwrap(), claude_before);
    assert_eq!(home.backups(), backups);
    assert_eq!(home.claude()["mcpServers"].as_object().unwrap().len(), 2);
    assert!(stdout.contains("(no change)"), "{stdout}");
    assert_check_request(&home, &stdout);

    // The entry, started as Claude Desktop starts it, serves a real session.
    let entry = &home.claude()["mcpServers"]["facturation-pro"];
    let mut command = Command::new(entry["command"].as_str().unwrap());
    command
        .env_clear()
        .env("HOME", home.path())
        .current_dir(home.path())
        .args(
            entry["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|arg| arg.as_str().unwrap()),
        );
    let mut server = McpServer::spawn_command(command);
    server.initialize("2025-11-25");
    let account = server.call_tool("get_account", json!({}));
    assert_eq!(account["isError"], false, "{account}");
    assert_check_request(&home, &account["content"][0]["text"].to_string());
}

#[test]
fn a_rerun_keeps_what_it_is_not_given_and_changes_what_it_is() {
    let home = Home::new();
    home.install_ok(&home.native_args(), &[]);
    // The user's own addition to the settings file must survive a rerun.
    let mut text = std::fs::read_to_string(home.env_file()).unwrap();
    text.push_str("FACTURATION_READ_ONLY=1\n");
    std::fs::write(home.env_file(), text).unwrap();
    let claude_before = std::fs::read(home.claude_config()).unwrap();
    let backups_before = home.backups();

    home.install_ok(
        &[
            "--binary".to_string(),
            host_binary().to_str().unwrap().to_string(),
            "--firm-id".to_string(),
            "1002".to_string(),
            "--non-interactive".to_string(),
            "--no-check".to_string(),
        ],
        &[],
    );
    assert_eq!(
        home.env_lines(),
        [
            "FACTURATION_API_ID=demo-api-id".to_string(),
            "FACTURATION_API_KEY=demo-api-key".to_string(),
            "FACTURATION_FIRM_ID=1002".to_string(),
            format!("FACTURATION_USER_AGENT='{USER_AGENT}'"),
            format!("FACTURATION_BASE_URL={}", home.emulator.base_url()),
            "FACTURATION_READ_ONLY=1".to_string(),
        ]
    );
    // The Claude Desktop entry did not change, so neither did its file.
    assert_eq!(std::fs::read(home.claude_config()).unwrap(), claude_before);
    assert_eq!(home.backups(), backups_before);
}

#[test]
fn a_missing_api_key_stops_the_install_before_any_file_is_written() {
    let home = Home::new();
    let claude_before = std::fs::read(home.claude_config()).unwrap();
    let args: Vec<String> = home
        .native_args()
        .into_iter()
        .filter(|arg| arg != "--api-key" && arg != "demo-api-key")
        .collect();
    let output = home.install(&args, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("missing --api-key"), "{stderr}");
    assert!(!home.env_file().exists(), "a settings file was written");
    assert_eq!(std::fs::read(home.claude_config()).unwrap(), claude_before);
    assert!(home.backups().is_empty());
    assert!(home.emulator.requests().is_empty());
}

#[test]
fn without_python3_the_claude_config_is_left_alone_and_the_entry_printed() {
    let home = Home::new();
    let claude_before = std::fs::read(home.claude_config()).unwrap();
    // A PATH holding only the POSIX tools the script uses: everything but python3.
    let tools = tempfile::tempdir().unwrap();
    for tool in [
        "awk", "bash", "cat", "chmod", "cmp", "cp", "dirname", "grep", "head", "mkdir", "mktemp",
        "mv", "rm", "sed", "tail", "uname",
    ] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(tool))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("{tool} is not in /usr/bin or /bin"));
        std::os::unix::fs::symlink(found, tools.path().join(tool)).unwrap();
    }
    let mut args = home.native_args();
    args.push("--no-check".to_string());
    let output = home.install(&args, &[("PATH", tools.path().to_str().unwrap())]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("python3 is missing, so Claude Desktop's config was NOT changed"),
        "{stderr}"
    );
    // The entry to add by hand, with the paths the install used.
    assert!(
        stderr.contains(&format!(
            "\"facturation-pro\": {{\"command\": \"{}\", \"args\": [\"--env-file\", \"{}\"]}}",
            home.installed_binary().display(),
            home.env_file().display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read(home.claude_config()).unwrap(), claude_before);
    assert!(home.backups().is_empty());
    // The rest of the install was done all the same.
    assert!(home.installed_binary().exists());
    assert_eq!(home.env_lines().len(), 5);
}

#[test]
fn help_documents_every_option_the_script_accepts() {
    let output = Command::new("bash")
        .arg(script())
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let source = std::fs::read_to_string(script()).unwrap();
    // Every `--option)` the argument loop matches appears in the help.
    let options: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().split_once(')'))
        .map(|(case, _)| case)
        .flat_map(|case| case.split(" | "))
        .filter(|option| {
            option.len() > 2
                && option.starts_with("--")
                && option[2..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .collect();
    assert!(options.len() >= 15, "{options:?}");
    for option in options {
        assert!(help.contains(option), "--help does not mention {option}");
    }
    // The release installed outside a checkout is the workspace's version.
    assert!(
        source.contains(&format!(
            "readonly DEFAULT_VERSION={}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "DEFAULT_VERSION differs from Cargo.toml's version"
    );
}

// ---- the docker method --------------------------------------------------------------------

/// The image scripts/build-images.sh leaves in the project's store for this machine.
fn local_image() -> String {
    linux_image("amd64")
}

fn docker_entry_args(env_file: &Path, image: &str) -> Vec<String> {
    [
        "run",
        "-i",
        "--rm",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--env-file",
        env_file.to_str().unwrap(),
        "-v",
        "facturation-pro-downloads:/downloads",
        image,
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect()
}

fn docker_install_args(home: &Home, cli: &str, image: &str) -> Vec<String> {
    [
        "--method",
        "docker",
        "--docker-cli",
        cli,
        "--image",
        image,
        "--no-pull",
        "--no-check",
        "--api-id",
        "demo-api-id",
        "--api-key",
        "demo-api-key",
        "--user-agent",
        USER_AGENT,
        "--base-url",
        &home.emulator.base_url(),
        "--non-interactive",
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect()
}

#[test]
fn a_docker_install_writes_a_docker_run_entry_with_the_settings_in_dockers_format() {
    let home = Home::new();
    let image = "ghcr.io/facturation-pro-mcp/facturation-pro-mcp:0.0.0-test";
    home.install_ok(&docker_install_args(&home, "docker", image), &[]);
    let entry = &home.claude()["mcpServers"]["facturation-pro"];
    let command = entry["command"].as_str().unwrap();
    assert!(
        command == "docker" || command.ends_with("/docker"),
        "{command}"
    );
    assert_eq!(
        entry["args"],
        json!(docker_entry_args(&home.env_file(), image))
    );
    // `docker run --env-file` takes values as they stand: no quotes around this one.
    assert!(
        home.env_lines()
            .contains(&format!("FACTURATION_USER_AGENT={USER_AGENT}")),
        "{:?}",
        home.env_lines()
    );
    assert!(!home.installed_binary().exists(), "no binary for docker");
    assert_eq!(
        home.claude()["mcpServers"]["filesystem"],
        original_claude_config()["mcpServers"]["filesystem"]
    );
}

/// A stand-in for the docker CLI on a machine where the release image was never published:
/// every pull fails, no image is on the machine, a build succeeds. It logs each command
/// line it gets, one per line, so a test can tell what the installer asked of Docker.
struct UnpublishedDocker {
    dir: TempDir,
}

impl UnpublishedDocker {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let cli = dir.path().join("docker");
        let log = dir.path().join("calls.log");
        std::fs::write(
            &cli,
            format!(
                "#!/usr/bin/env bash\n\
                 printf '%s\\n' \"$*\" >>'{}'\n\
                 case \"$1\" in\n\
                 pull) echo 'Error response from daemon: manifest unknown' >&2; exit 1 ;;\n\
                 image) echo 'Error: No such image' >&2; exit 1 ;;\n\
                 build) exit 0 ;;\n\
                 esac\n\
                 exit 3\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { dir }
    }

    fn cli(&self) -> String {
        self.dir.path().join("docker").to_str().unwrap().to_string()
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// A docker install with the default image (no --image, pulling allowed).
fn default_image_install_args(home: &Home, cli: &str) -> Vec<String> {
    docker_install_args(home, cli, "unused")
        .into_iter()
        .filter(|arg| arg != "--image" && arg != "unused" && arg != "--no-pull")
        .collect()
}

fn published_image() -> String {
    format!(
        "ghcr.io/facturation-pro-mcp/facturation-pro-mcp:{}",
        env!("CARGO_PKG_VERSION")
    )
}

#[test]
fn an_unpublished_image_is_built_from_the_checkout_and_the_entry_runs_the_local_build() {
    let home = Home::new();
    let docker = UnpublishedDocker::new();
    let output = home.install_ok(&default_image_install_args(&home, &docker.cli()), &[]);

    // Pull the release, find no copy, then build the checkout under the local tag.
    let calls = docker.calls();
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert_eq!(calls[0], format!("pull {}", published_image()));
    assert_eq!(calls[1], format!("image inspect {}", published_image()));
    let context = calls[2]
        .strip_prefix("build --target linux -t facturation-pro-mcp:local ")
        .unwrap_or_else(|| panic!("not the local build: {}", calls[2]));
    assert_eq!(
        std::fs::canonicalize(context).unwrap(),
        std::fs::canonicalize(workspace_root()).unwrap()
    );
    // The target the command names is the Dockerfile's Linux image.
    let dockerfile = std::fs::read_to_string(workspace_root().join("Dockerfile")).unwrap();
    assert!(
        dockerfile
            .lines()
            .any(|line| line == "FROM scratch AS linux"),
        "the Dockerfile has no `linux` target"
    );

    // Claude Desktop runs the image just built, not the one that cannot be pulled.
    let entry = &home.claude()["mcpServers"]["facturation-pro"];
    assert_eq!(entry["command"], docker.cli());
    assert_eq!(
        entry["args"],
        json!(docker_entry_args(
            &home.env_file(),
            "facturation-pro-mcp:local"
        ))
    );
    assert!(
        output.contains("built facturation-pro-mcp:local"),
        "{output}"
    );
}

#[test]
fn an_unpublished_image_outside_a_checkout_stops_with_the_command_that_builds_it() {
    let home = Home::new();
    let docker = UnpublishedDocker::new();
    let claude_before = std::fs::read(home.claude_config()).unwrap();
    // The script alone, as someone who downloaded only it would have it.
    let alone = tempfile::tempdir().unwrap();
    let copy = alone.path().join("install.sh");
    std::fs::copy(script(), &copy).unwrap();
    let output = Command::new("bash")
        .arg(&copy)
        .args(default_image_install_args(&home, &docker.cli()))
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "could not pull {}: this version may not be published yet",
            published_image()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{} build --target linux -t facturation-pro-mcp:local .",
            docker.cli()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("--image facturation-pro-mcp:local --no-pull"),
        "{stderr}"
    );
    // Nothing was built, and nothing written: no settings, Claude Desktop untouched.
    assert!(
        !docker.calls().iter().any(|call| call.starts_with("build")),
        "{:?}",
        docker.calls()
    );
    assert!(!home.env_file().exists());
    assert_eq!(std::fs::read(home.claude_config()).unwrap(), claude_before);
    assert!(home.backups().is_empty());
}

#[test]
fn the_docker_entry_serves_a_session_under_podman_as_written() {
    let image = local_image();
    require_image(&image);
    let home = Home::new();
    home.install_ok(&docker_install_args(&home, "podman", &image), &[]);
    let entry = &home.claude()["mcpServers"]["facturation-pro"];
    assert!(entry["command"].as_str().unwrap().ends_with("/podman"));
    assert_eq!(
        entry["args"],
        json!(docker_entry_args(&home.env_file(), &image))
    );

    // What these machines need from podman (runc, lower ulimits) goes in its own config
    // file, so the entry runs with exactly the arguments it was written with. The host's
    // network, also set there, lets the container reach the emulator on loopback.
    let containers_conf = home.path().join("containers.conf");
    std::fs::write(
        &containers_conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\
         netns = \"host\"\n[engine]\nruntime = \"runc\"\n",
    )
    .unwrap();
    let mut command = Command::new(entry["command"].as_str().unwrap());
    command
        .args(
            entry["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|arg| arg.as_str().unwrap()),
        )
        .env("CONTAINERS_CONF", &containers_conf)
        .env("CONTAINERS_STORAGE_CONF", storage_conf());
    let mut server = McpServer::spawn_command(command);
    let init = server.initialize("2025-11-25");
    assert_eq!(init["serverInfo"]["name"], "facturation-pro-mcp", "{init}");
    // Listing tools needs no network: the container's settings were read and accepted.
    let listed = server.request("tools/list", json!({}));
    let tools = listed["result"]["tools"].as_array().expect("tools");
    assert!(
        tools.iter().any(|tool| tool["name"] == "get_account"),
        "{listed}"
    );
    // A call through the container: podman read the settings file the way the server
    // needs them (the User-Agent arrives without quotes).
    let account = server.call_tool("get_account", json!({}));
    assert_eq!(account["isError"], false, "{account}");
    assert_check_request(&home, &account["content"][0]["text"].to_string());
    let (status, stderr) = server.finish();
    assert!(status.success(), "{stderr}");
}
