//! scripts/register-toolkit.sh, which registers the server with Docker's MCP Toolkit. Its
//! dry run must print exactly the commands of each route, secrets masked, and run none of
//! them. Run for real with a stand-in for the docker CLI (Docker's Toolkit cannot run here),
//! it must write the files the gateway reads, in the gateway's formats, and hand secrets
//! over on standard input only. The secret and setting names it uses must be the ones the
//! server entry (docker-mcp-config.json) declares.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use facturation_pro_emulator::harness::docker_stand_in::{DockerCall, DockerStandIn};
use facturation_pro_emulator::harness::workspace_root;
use serde_json::Value;
use tempfile::TempDir;

const SECRET_ID: &str = "demo-api-id";
/// A key with the characters shells and YAML care about: it must never be printed.
const SECRET_KEY: &str = "s3cr3t key $HOME #not-a-comment";
const USER_AGENT: &str = "MonCabinet MCP (contact@mon-cabinet.fr)";

fn script() -> PathBuf {
    workspace_root().join("scripts/register-toolkit.sh")
}

fn entry_file() -> PathBuf {
    workspace_root().join("docker-mcp-config.json")
}

/// A throwaway home and a directory holding the docker stand-in, first on PATH.
struct World {
    home: TempDir,
    stub: DockerStandIn,
}

impl World {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            stub: DockerStandIn::new(),
        }
    }

    fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs the script with `args`; `env` adds variables to a clean environment.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = Command::new("bash")
            .arg(script())
            .args(args)
            .env_clear()
            .env("HOME", self.home())
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.stub.dir().display()),
            )
            .env("STUB_DIR", self.stub.dir())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run bash");
        assert!(
            output.status.success(),
            "register-toolkit.sh {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// The docker calls recorded so far, in order.
    fn calls(&self) -> Vec<DockerCall> {
        self.stub.calls()
    }

    fn assert_nothing_ran(&self) {
        assert_eq!(self.calls(), Vec::new(), "a dry run called docker");
        assert!(
            !self.home().join(".docker").exists(),
            "a dry run wrote under ~/.docker"
        );
    }
}

fn stdout_lines(output: &Output) -> Vec<String> {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    for secret in [SECRET_ID, SECRET_KEY] {
        assert!(
            !stdout.contains(secret),
            "a secret value was printed: {stdout}"
        );
    }
    stdout.lines().map(str::to_string).collect()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

/// Every flag that gives a value, as a user registering with all of them would.
fn all_values(route: &str) -> Vec<&str> {
    vec![
        "--route",
        route,
        "--api-id",
        SECRET_ID,
        "--api-key",
        SECRET_KEY,
        "--firm-id",
        "1001",
        "--user-agent",
        USER_AGENT,
    ]
}

// ---- dry runs -----------------------------------------------------------------------------

#[test]
fn the_profile_route_dry_run_prints_exactly_its_commands_and_runs_none() {
    let world = World::new();
    let mut args = all_values("profile");
    args.push("--dry-run");
    let lines = stdout_lines(&world.run(&args, &[]));
    let home = world.home().display();
    let entry = entry_file();
    assert_eq!(
        lines,
        [
            format!("+ mkdir -p {home}/.docker/mcp/catalogs/facturation-pro-mcp"),
            format!(
                "+ cp {} {home}/.docker/mcp/catalogs/facturation-pro-mcp/docker-mcp-config.json",
                entry.display()
            ),
            format!(
                "+ docker mcp profile create --name Facturation.PRO --id facturation-pro \
                 --server file://{home}/.docker/mcp/catalogs/facturation-pro-mcp/docker-mcp-config.json"
            ),
            "+ printf %s '***' | docker mcp secret set facturation-pro.api_id".to_string(),
            "+ printf %s '***' | docker mcp secret set facturation-pro.api_key".to_string(),
            "+ docker mcp profile config facturation-pro --set 'facturation-pro.firm_id=\"1001\"' \
             --set 'facturation-pro.user_agent=\"MonCabinet MCP (contact@mon-cabinet.fr)\"'"
                .to_string(),
            "+ docker mcp tools ls --gateway-arg=--profile=facturation-pro".to_string(),
            String::new(),
            "Connect a client with:  docker mcp client connect claude-desktop --profile facturation-pro"
                .to_string(),
            "or give it this command: docker mcp gateway run --profile facturation-pro".to_string(),
        ]
    );
    world.assert_nothing_ran();
}

#[test]
fn the_catalog_route_dry_run_prints_exactly_its_commands_and_runs_none() {
    let world = World::new();
    let mut args = all_values("catalog");
    args.push("--dry-run");
    let lines = stdout_lines(&world.run(&args, &[]));
    let home = world.home().display();
    let catalog = format!("{home}/.docker/mcp/catalogs/facturation-pro.yaml");
    let config = format!("{home}/.docker/mcp/facturation-pro-config.yaml");
    assert_eq!(
        lines,
        [
            format!("+ mkdir -p {home}/.docker/mcp/catalogs"),
            format!(
                "+ sed -e '1s/^/{{\"name\": \"facturation-pro\", \"displayName\": \
                 \"Facturation.PRO (local)\", \"registry\": {{\"facturation-pro\": /' \
                 -e '$s/$/}}}}/' {} > {catalog}",
                entry_file().display()
            ),
            "+ printf %s '***' | docker mcp secret set facturation-pro.api_id".to_string(),
            "+ printf %s '***' | docker mcp secret set facturation-pro.api_key".to_string(),
            format!(
                "+ printf '%s\\n' facturation-pro: '  firm_id: \"1001\"' \
                 '  user_agent: \"MonCabinet MCP (contact@mon-cabinet.fr)\"' > {config}"
            ),
            format!(
                "+ docker mcp tools ls \
                 --gateway-arg=--catalog={catalog},--servers=facturation-pro,--config={config}"
            ),
            String::new(),
            format!(
                "Give a client this command: docker mcp gateway run --catalog={catalog} \
                 --servers=facturation-pro --config={config}"
            ),
        ]
    );
    world.assert_nothing_ran();
}

#[test]
fn without_values_no_secret_or_setting_is_touched_and_the_environment_counts_as_given() {
    let world = World::new();
    let lines = stdout_lines(&world.run(&["--dry-run"], &[]));
    assert!(
        !lines
            .iter()
            .any(|line| line.contains("secret set") || line.contains(" --set ")),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 7, "{lines:#?}");

    // The credentials may come from the environment instead of flags; still masked.
    let lines = stdout_lines(&world.run(
        &["--dry-run", "--route", "catalog"],
        &[("FACTURATION_API_KEY", SECRET_KEY)],
    ));
    let secrets: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("secret set"))
        .collect();
    assert_eq!(
        secrets,
        ["+ printf %s '***' | docker mcp secret set facturation-pro.api_key"]
    );
    world.assert_nothing_ran();
}

// ---- real runs, docker stood in for -------------------------------------------------------

#[test]
fn the_catalog_route_writes_a_catalog_and_settings_in_the_gateways_formats() {
    let world = World::new();
    world.run(&all_values("catalog"), &[]);

    // The catalog: the server entry, unchanged, under registry.facturation-pro. The file
    // is JSON, which the gateway's YAML reader takes as it is.
    let catalog_path = world
        .home()
        .join(".docker/mcp/catalogs/facturation-pro.yaml");
    let catalog_text = std::fs::read_to_string(&catalog_path).unwrap();
    let catalog: Value = serde_json::from_str(&catalog_text).expect("the catalog is JSON");
    let as_yaml: Value = serde_norway::from_str(&catalog_text).expect("the catalog is YAML");
    assert_eq!(catalog, as_yaml);
    let entry: Value =
        serde_json::from_str(&std::fs::read_to_string(entry_file()).unwrap()).unwrap();
    assert_eq!(catalog["name"], "facturation-pro");
    assert_eq!(catalog["registry"]["facturation-pro"], entry);
    assert_eq!(catalog["registry"].as_object().unwrap().len(), 1);

    // The settings file, read as YAML the way the gateway reads config.yaml.
    let config_path = world.home().join(".docker/mcp/facturation-pro-config.yaml");
    let config: Value =
        serde_norway::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({ "facturation-pro": { "firm_id": "1001", "user_agent": USER_AGENT } })
    );

    let gateway_arg = format!(
        "--gateway-arg=--catalog={},--servers=facturation-pro,--config={}",
        catalog_path.display(),
        config_path.display()
    );
    assert_eq!(
        world.calls(),
        vec![
            (
                strings(&["mcp", "secret", "set", "facturation-pro.api_id"]),
                Some(SECRET_ID.to_string())
            ),
            (
                strings(&["mcp", "secret", "set", "facturation-pro.api_key"]),
                Some(SECRET_KEY.to_string())
            ),
            (strings(&["mcp", "tools", "ls", &gateway_arg]), None),
        ]
    );
}

#[test]
fn the_profile_route_copies_the_entry_where_the_gateway_trusts_it_and_updates_on_rerun() {
    let world = World::new();
    world.run(&all_values("profile"), &[]);
    let copied = world
        .home()
        .join(".docker/mcp/catalogs/facturation-pro-mcp/docker-mcp-config.json");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(entry_file()).unwrap()
    );
    let reference = format!("file://{}", copied.display());
    // JSON strings: `profile config --set` would read 1001 as a number otherwise.
    let user_agent = format!("facturation-pro.user_agent=\"{USER_AGENT}\"");
    let setup = |create: Vec<String>| {
        vec![
            (
                strings(&["mcp", "profile", "show", "facturation-pro"]),
                None,
            ),
            (create, None),
            (
                strings(&["mcp", "secret", "set", "facturation-pro.api_id"]),
                Some(SECRET_ID.to_string()),
            ),
            (
                strings(&["mcp", "secret", "set", "facturation-pro.api_key"]),
                Some(SECRET_KEY.to_string()),
            ),
            (
                strings(&[
                    "mcp",
                    "profile",
                    "config",
                    "facturation-pro",
                    "--set",
                    "facturation-pro.firm_id=\"1001\"",
                    "--set",
                    &user_agent,
                ]),
                None,
            ),
            (
                strings(&[
                    "mcp",
                    "tools",
                    "ls",
                    "--gateway-arg=--profile=facturation-pro",
                ]),
                None,
            ),
        ]
    };
    assert_eq!(
        world.calls(),
        setup(strings(&[
            "mcp",
            "profile",
            "create",
            "--name",
            "Facturation.PRO",
            "--id",
            "facturation-pro",
            "--server",
            &reference,
        ]))
    );

    // Registered already: the server is updated in place.
    let again = World {
        home: world.home,
        stub: DockerStandIn::new(),
    };
    again.run(&all_values("profile"), &[("STUB_PROFILE_EXISTS", "1")]);
    assert_eq!(
        again.calls(),
        setup(strings(&[
            "mcp",
            "profile",
            "server",
            "add",
            "facturation-pro",
            "--server",
            &reference,
        ]))
    );
}

// ---- the names, against the server entry --------------------------------------------------

#[test]
fn the_secret_and_setting_names_are_the_ones_the_server_entry_declares() {
    let entry: Value = serde_json::from_str(
        &std::fs::read_to_string(entry_file())
            .unwrap_or_else(|error| panic!("{}: {error}", entry_file().display())),
    )
    .unwrap();
    assert_eq!(entry["name"], "facturation-pro");
    let secrets: BTreeSet<(&str, &str)> = entry["secrets"]
        .as_array()
        .expect("the entry declares secrets")
        .iter()
        .map(|secret| {
            (
                secret["name"].as_str().unwrap(),
                secret["env"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        secrets.contains(&("facturation-pro.api_id", "FACTURATION_API_ID")),
        "{secrets:?}"
    );
    assert!(
        secrets.contains(&("facturation-pro.api_key", "FACTURATION_API_KEY")),
        "{secrets:?}"
    );

    // The settings the script sets are properties of the entry's `facturation-pro` config,
    // and reach the server as the variables they are meant for.
    let config = entry["config"]
        .as_array()
        .expect("the entry declares its settings")
        .iter()
        .find(|config| config["name"] == "facturation-pro")
        .expect("a config object named after the server");
    let env_of = |template: &str| {
        entry["env"]
            .as_array()
            .expect("the entry maps settings to variables")
            .iter()
            .find(|env| env["value"].as_str().is_some_and(|v| v.contains(template)))
            .and_then(|env| env["name"].as_str())
            .map(str::to_string)
    };
    for (property, variable) in [
        ("firm_id", "FACTURATION_FIRM_ID"),
        ("user_agent", "FACTURATION_USER_AGENT"),
    ] {
        assert!(
            config["properties"].get(property).is_some(),
            "no {property} in {config}"
        );
        assert_eq!(
            env_of(&format!("{{{{facturation-pro.{property}}}}}")).as_deref(),
            Some(variable),
            "{property} does not reach {variable}"
        );
    }
}
