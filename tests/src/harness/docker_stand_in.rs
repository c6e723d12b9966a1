//! A stand-in for the `docker` CLI, for the scripts that drive Docker's MCP Toolkit (which
//! cannot run here): put its folder first on PATH and it records every call's arguments,
//! and the standard input of `docker mcp secret set`, so a test can compare them with the
//! exact commands the Toolkit documents. `docker mcp profile show` fails (no profile yet)
//! unless STUB_PROFILE_EXISTS=1 is in the script's environment.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::TempDir;

const SCRIPT: &str = r#"#!/bin/sh
n=$(find "$STUB_DIR" -name 'call-*' | wc -l)
n=$(printf '%03d' "$n")
printf '%s\0' "$@" > "$STUB_DIR/call-$n"
case "$1 $2 $3" in
    "mcp profile show") [ "${STUB_PROFILE_EXISTS:-0}" = 1 ] || exit 1 ;;
    "mcp secret set") cat > "$STUB_DIR/stdin-$n" ;;
esac
exit 0
"#;

/// One call: its arguments, and what it read on standard input when it reads any.
pub type DockerCall = (Vec<String>, Option<String>);

pub struct DockerStandIn {
    dir: TempDir,
}

impl DockerStandIn {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a folder for the docker stand-in");
        let docker = dir.path().join("docker");
        std::fs::write(&docker, SCRIPT).expect("write the docker stand-in");
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755))
            .expect("make the docker stand-in executable");
        Self { dir }
    }

    /// The folder to put first on PATH, and to pass as STUB_DIR.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Forgets the calls recorded so far, for a second run of a script.
    pub fn forget_calls(&self) {
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|name| name != "docker") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    /// The calls recorded so far, in order.
    pub fn calls(&self) -> Vec<DockerCall> {
        let dir = self.dir.path();
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("call-"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let raw = std::fs::read(dir.join(name)).unwrap();
                let args = raw
                    .split(|byte| *byte == 0)
                    .filter(|part| !part.is_empty())
                    .map(|part| String::from_utf8(part.to_vec()).unwrap())
                    .collect();
                let stdin = std::fs::read_to_string(dir.join(name.replace("call-", "stdin-"))).ok();
                (args, stdin)
            })
            .collect()
    }
}

impl Default for DockerStandIn {
    fn default() -> Self {
        Self::new()
    }
}
