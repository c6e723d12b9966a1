//! Where the binaries under test are. The host binary is built by the same `cargo` command
//! that builds the tests (see scripts/test.sh); the probe component is built here on first
//! use, in its own target directory so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root (the workspace), where scripts, configs and target/ are.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// target/tools/python/bin/python: the venv holding the official MCP Python SDK (and the
/// `jsonschema` validator it depends on), pinned by scripts/install-test-tools.sh. Tests
/// that need it fail without it rather than skip.
pub fn sdk_python() -> PathBuf {
    made_by(
        workspace_root().join("target/tools/python/bin/python"),
        "run scripts/install-test-tools.sh (it installs the MCP Python SDK)",
    )
}

/// The node that runs the scripts of tests/sdk written against the official MCP TypeScript
/// SDK, once that SDK is where they import it from: target/tools/mcp-client/, pinned by
/// scripts/install-test-tools.sh. Tests that need them fail without them rather than skip.
pub fn sdk_node() -> PathBuf {
    made_by(
        workspace_root()
            .join("target/tools/mcp-client/node_modules/@modelcontextprotocol/client/package.json"),
        "run scripts/install-test-tools.sh (it installs the MCP TypeScript SDK)",
    );
    node()
}

/// The node for the npm tools (jco, the conformance suite, mcpb, the TypeScript SDK): the
/// one scripts/install-test-tools.sh links into target/tools/bin when the machine's is too
/// old, else the machine's own, found on PATH.
pub fn node() -> PathBuf {
    let local = workspace_root().join("target/tools/bin/node");
    if local.is_file() {
        return local;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            made_by(
                local,
                "run scripts/install-test-tools.sh (it installs Node 22)",
            )
        })
}

/// What a finished command wrote, stdout then stderr, for assertion messages and checks.
pub fn printed(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A tool that scripts/install-test-tools.sh installs under target/tools, such as
/// `python/bin/zizmor` or `bin/cargo-cyclonedx`.
pub fn installed_tool(path_in_tools: &str) -> PathBuf {
    made_by(
        workspace_root().join("target/tools").join(path_in_tools),
        "run scripts/install-test-tools.sh",
    )
}

/// `path` when it exists; otherwise a panic naming it and what makes it, so a missing tool
/// or build fails the test that needs it, saying what to run.
pub(crate) fn made_by(path: PathBuf, remedy: &str) -> PathBuf {
    assert!(path.exists(), "{} is missing: {remedy}", path.display());
    path
}

/// The host binary under test: `FACTURATION_MCP_BIN` when set (scripts/test.sh gives the
/// static release build, as it ships), else [`source_build_host_binary`].
pub fn host_binary() -> PathBuf {
    std::env::var_os("FACTURATION_MCP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(source_build_host_binary)
}

/// The host binary next to the running executable (`target/<profile>/`): the workspace's
/// own build, with its default `compiler` feature, the one that runs other components
/// (`--component`). What ships leaves that feature out.
pub fn source_build_host_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let mut dir = exe.parent().expect("executable directory").to_path_buf();
    // Test executables live in target/<profile>/deps.
    if dir.ends_with("deps") {
        dir.pop();
    }
    made_by(
        dir.join(format!(
            "facturation-pro-mcp{}",
            std::env::consts::EXE_SUFFIX
        )),
        "build it first (`cargo build --release --workspace --bins`, as scripts/test.sh does)",
    )
}

/// The bare guest component, as host/build.rs builds it (the host embeds it precompiled;
/// other wasi:http hosts take this file).
pub fn guest_component() -> PathBuf {
    made_by(
        workspace_root().join("target/guest/wasm32-wasip2/component/facturation_pro_guest.wasm"),
        "build the host first (`cargo build --release --workspace --bins`)",
    )
}

/// The sandbox probe component, built for wasm32-wasip2 once per test process.
pub fn probe_component() -> PathBuf {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let root = workspace_root();
            let target_dir = root.join("target").join("probe");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(&root)
                .args([
                    "build",
                    "--quiet",
                    "--release",
                    "--target",
                    "wasm32-wasip2",
                    "-p",
                    "sandbox-probe",
                ])
                .arg("--target-dir")
                .arg(&target_dir)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .status()
                .expect("run cargo to build the probe component");
            assert!(
                status.success(),
                "building the sandbox probe component failed"
            );
            target_dir.join("wasm32-wasip2/release/sandbox_probe.wasm")
        })
        .clone()
}

/// The guest with the reference fixtures of the MCP conformance suite (the
/// `conformance-fixtures` feature), for tests/tests/conformance.rs to run under the real host
/// with `--component`. Built once per test process, in its own target directory: it never
/// waits on the outer build's lock, never rebuilds the workspace (only the guest and its
/// dependencies, cached by cargo after the first time), and never touches the component
/// the host embeds and scripts/build-wasm-component.sh ships.
pub fn fixture_component() -> PathBuf {
    static FIXTURES: OnceLock<PathBuf> = OnceLock::new();
    FIXTURES
        .get_or_init(|| {
            let root = workspace_root();
            let target_dir = root.join("target").join("guest-fixtures");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .current_dir(&root)
                .args([
                    "build",
                    "--quiet",
                    "--profile",
                    "component",
                    "--target",
                    "wasm32-wasip2",
                    "-p",
                    "facturation-pro-guest",
                    "--features",
                    "conformance-fixtures",
                ])
                .arg("--target-dir")
                .arg(&target_dir)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .status()
                .expect("run cargo to build the conformance fixture component");
            assert!(
                status.success(),
                "building the conformance fixture component failed"
            );
            target_dir.join("wasm32-wasip2/component/facturation_pro_guest.wasm")
        })
        .clone()
}
