//! Every shell script users or CI run passes `bash -n` and shellcheck: the install, publish
//! and Toolkit scripts run on other people's machines, where a quoting slip costs data or a
//! leaked secret. scripts/install-test-tools.sh installs shellcheck; without it this fails.

use std::path::PathBuf;
use std::process::Command;

fn shell_scripts() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut scripts = vec![root.join(".ci/run")];
    for folder in ["scripts", "configs"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "sh") {
                scripts.push(path);
            }
        }
    }
    scripts.sort();
    scripts
}

#[test]
fn every_shell_script_parses_and_passes_shellcheck() {
    let scripts = shell_scripts();
    assert!(scripts.len() >= 12, "{scripts:?}");
    let mut failures = Vec::new();
    for script in &scripts {
        let parsed = Command::new("bash").arg("-n").arg(script).output().unwrap();
        if !parsed.status.success() {
            failures.push(format!(
                "bash -n {}: {}",
                script.display(),
                String::from_utf8_lossy(&parsed.stderr)
            ));
        }
        let checked = Command::new("shellcheck")
            .arg("--external-sources")
            .arg(script)
            .output()
            .unwrap_or_else(|error| {
                panic!("shellcheck is missing ({error}): run scripts/install-test-tools.sh")
            });
        if !checked.status.success() {
            failures.push(String::from_utf8_lossy(&checked.stdout).into_owned());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
