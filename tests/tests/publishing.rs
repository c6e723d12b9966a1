//! scripts/publish.sh against a real registry: Debian's `docker-registry` on loopback. The
//! images scripts/build-images.sh made are pushed under every semantic-version tag, and
//! `skopeo` (not our code) reads back a multi-arch index holding both architectures and the
//! wasm image. A dry run prints the same pushes and makes none.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use facturation_pro_emulator::harness::containers::{LOCAL_IMAGE, require_image, storage_conf};
use facturation_pro_emulator::harness::free_port;
use serde_json::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A throwaway registry on 127.0.0.1, stopped on drop.
struct Registry {
    child: Child,
    address: String,
    _storage: tempfile::TempDir,
}

impl Registry {
    fn start() -> Self {
        let storage = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                storage.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("docker-registry is missing ({error}): run scripts/install-test-tools.sh")
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on {address}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            address,
            _storage: storage,
        }
    }

    /// The tags skopeo finds for our repository (none when it does not exist).
    fn tags(&self) -> Vec<String> {
        let output = skopeo(&[
            "list-tags",
            &format!("docker://{}/facturation-pro-mcp", self.address),
        ]);
        if !output.status.success() {
            return Vec::new();
        }
        let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut tags: Vec<String> = listed["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tag| tag.as_str().unwrap().to_string())
            .collect();
        tags.sort();
        tags
    }

    fn raw_manifest(&self, tag: &str) -> Value {
        let output = skopeo(&[
            "inspect",
            "--raw",
            &format!("docker://{}/facturation-pro-mcp:{tag}", self.address),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn skopeo(args: &[&str]) -> Output {
    Command::new("skopeo")
        .args(args)
        .arg("--tls-verify=false")
        .output()
        .unwrap_or_else(|error| {
            panic!("skopeo is missing ({error}): run scripts/install-test-tools.sh")
        })
}

fn publish(registry: &Registry, extra: &[&str]) -> (Output, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new(root.join("scripts/publish.sh"))
        .env("CONTAINERS_STORAGE_CONF", storage_conf())
        .args([
            "--skip-build",
            "--tls-verify=false",
            "--registry",
            &registry.address,
        ])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

fn expected_tags() -> Vec<String> {
    let (major, rest) = VERSION.split_once('.').unwrap();
    let minor = rest.split('.').next().unwrap();
    let mut tags = vec![
        VERSION.to_string(),
        format!("{VERSION}-wasm"),
        format!("{major}.{minor}"),
        "latest".into(),
        "wasm".into(),
    ];
    if major != "0" {
        tags.push(major.to_string());
    }
    tags.sort();
    tags
}

#[test]
fn publish_pushes_both_architectures_and_the_wasm_image_under_every_tag() {
    require_image(&format!("{LOCAL_IMAGE}:{VERSION}"));
    let registry = Registry::start();

    let (output, stdout) = publish(&registry, &["--dry-run"]);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pushes: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("+ buildah"))
        .collect();
    assert_eq!(pushes.len(), expected_tags().len(), "{stdout}");
    assert!(
        registry.tags().is_empty(),
        "a dry run pushed something: {:?}",
        registry.tags()
    );

    let (output, stdout) = publish(&registry, &[]);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(registry.tags(), expected_tags());

    let index = registry.raw_manifest(VERSION);
    let mut platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap_or_else(|| panic!("not an index: {index}"))
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap(),
                m["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        registry.raw_manifest("latest"),
        index,
        "latest is the same index"
    );

    let wasm = registry.raw_manifest(&format!("{VERSION}-wasm"));
    assert!(
        wasm["layers"].as_array().is_some_and(|l| l.len() == 1),
        "{wasm}"
    );

    let notes = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join(format!("target/image/release-notes-{VERSION}.md")),
    )
    .unwrap();
    assert!(
        notes.starts_with(&format!("# facturation-pro-mcp {VERSION}")),
        "{notes}"
    );
    assert!(
        notes.lines().any(|line| line.starts_with("- ")),
        "no changes listed: {notes}"
    );
}
