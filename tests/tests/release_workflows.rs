//! The GitHub workflows that test and publish the project, checked as a release engineer
//! would before a tag: actionlint (syntax, expressions, the shell in `run:` steps through
//! shellcheck) and zizmor (injection, credentials, permissions, pinning) find nothing; every
//! action is pinned by commit; every job states its permissions over an empty default; the
//! scripts the workflows call exist; and the release notes come from CHANGELOG.md for the
//! version in Cargo.toml, refusing a tag that does not match it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use facturation_pro_emulator::harness::{installed_tool, printed, workspace_root};
use serde_json::Value;

/// The workspace's version, which every package of it shares.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn workflows() -> Vec<PathBuf> {
    let dir = workspace_root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

fn yaml(path: &Path) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn actionlint_and_zizmor_find_nothing() {
    let root = workspace_root();
    let tools = installed_tool("python/bin");
    // actionlint hands `run:` scripts to shellcheck when it is on PATH (it is installed).
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let lint = Command::new(installed_tool("python/bin/actionlint"))
        .current_dir(&root)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(lint.status.success(), "actionlint: {}", printed(&lint));

    let audit = Command::new(installed_tool("python/bin/zizmor"))
        .current_dir(&root)
        .args([
            "--offline",
            "--config",
            ".github/zizmor.yml",
            ".github/workflows",
        ])
        .output()
        .unwrap();
    let text = printed(&audit);
    assert!(audit.status.success(), "zizmor: {text}");
    assert!(text.contains("No findings to report"), "zizmor: {text}");
}

#[test]
fn actions_are_pinned_and_permissions_are_per_job() {
    for file in workflows() {
        let name = file.display();
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(action) = line.trim().trim_start_matches("- ").strip_prefix("uses: ") else {
                continue;
            };
            let (_, reference) = action.split_once('@').expect("uses: owner/repo@ref");
            let commit = reference.split_whitespace().next().unwrap();
            assert!(
                commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{name}: not pinned by commit: {line}"
            );
            assert!(
                reference.contains("# v"),
                "{name}: say which version the commit is: {line}"
            );
        }
        let workflow = yaml(&file);
        assert_eq!(
            workflow["permissions"],
            serde_json::json!({}),
            "{name}: the default token must have no permission"
        );
        for (job, body) in workflow["jobs"].as_object().unwrap() {
            assert!(
                body["permissions"].is_object(),
                "{name}: job {job} must state its permissions"
            );
            for step in body["steps"].as_array().unwrap() {
                if step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with("actions/checkout@"))
                {
                    assert_eq!(
                        step["with"]["persist-credentials"], false,
                        "{name}: job {job} leaves the token in .git/config"
                    );
                }
            }
        }
    }
}

#[test]
fn nothing_with_secrets_runs_for_pull_requests() {
    let release = yaml(&workspace_root().join(".github/workflows/release.yml"));
    let on = release["on"].as_object().unwrap();
    assert_eq!(on.keys().collect::<Vec<_>>(), ["push"], "{on:?}");
    assert_eq!(release["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let ci = std::fs::read_to_string(workspace_root().join(".github/workflows/ci.yml")).unwrap();
    assert!(!ci.contains("secrets."), "ci.yml runs for pull requests");
    assert!(!ci.contains("pull_request_target"));
}

#[test]
fn the_scripts_the_workflows_call_exist_and_are_executable() {
    use std::os::unix::fs::PermissionsExt;
    let root = workspace_root();
    let mut called = Vec::new();
    for file in workflows() {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in text.split(|c: char| c.is_whitespace() || c == '"') {
            if let Some(script) = word.strip_prefix("./scripts/") {
                called.push(script.to_string());
            }
        }
    }
    called.sort();
    called.dedup();
    for expected in [
        "test.sh",
        "build-linux-binaries.sh",
        "package-release.sh",
        "build-images.sh",
        "publish.sh",
        "sbom.sh",
        "bundle.sh",
        "release-notes.sh",
    ] {
        assert!(called.iter().any(|s| s == expected), "{called:?}");
    }
    for script in &called {
        let path = root.join("scripts").join(script);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|_| panic!("{} is missing", path.display()))
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{} is not executable", path.display());
    }
}

fn release_notes(args: &[&str]) -> Output {
    Command::new(workspace_root().join("scripts/release-notes.sh"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_release_notes_are_the_changelog_section_of_the_tagged_version() {
    let root = workspace_root();
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let heading = format!("## [{VERSION}]");
    let start = changelog
        .find(&heading)
        .expect("a section for Cargo's version")
        + heading.len();
    let section = changelog[start..].split("\n## ").next().unwrap().trim();

    let notes = release_notes(&["--tag", &format!("v{VERSION}")]);
    assert!(notes.status.success(), "{}", printed(&notes));
    assert_eq!(String::from_utf8_lossy(&notes.stdout).trim(), section);
    assert!(!section.is_empty());

    let wrong_tag = release_notes(&["--tag", "v0.0.0-not-this"]);
    assert!(!wrong_tag.status.success());
    assert!(printed(&wrong_tag).contains("does not match Cargo.toml's version"));

    let unknown = release_notes(&["99.0.0"]);
    assert!(!unknown.status.success());
    assert!(printed(&unknown).contains("no notes under '## [99.0.0]'"));
}

#[test]
fn the_windows_installer_asks_for_this_release_under_the_contract_names() {
    let root = workspace_root();
    let script = std::fs::read_to_string(root.join("scripts/install.ps1")).unwrap();
    assert!(
        script.contains(&format!("[string]$Version = '{VERSION}'")),
        "install.ps1's default version is not Cargo.toml's {VERSION}"
    );
    // The same names scripts/package-release.sh writes and the release publishes.
    assert!(script.contains("$Triple = 'x86_64-pc-windows-msvc'"));
    assert!(script.contains("\"facturation-pro-mcp-$Version-$Triple.zip\""));
    assert!(script.contains("\"$ReleaseUrl/SHA256SUMS\""));
    assert!(script.contains("Get-FileHash -Algorithm SHA256"));
}
