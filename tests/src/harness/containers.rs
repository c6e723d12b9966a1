//! The container images under podman, as scripts/build-images.sh leaves them in the local
//! image store: how to run one the way our docs tell users to (read-only root, no
//! capabilities, no new privileges), and the qemu set-up that lets an arm64 image run here.
//!
//! A missing podman or image fails the test with the command that provides it: CI always
//! builds the images first, so silence would hide a broken pipeline.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ServerSetup;
use super::artifacts::{made_by, workspace_root};

/// The local name scripts/build-images.sh gives the images.
pub const LOCAL_IMAGE: &str = "localhost/facturation-pro-mcp";

/// The image's unprivileged user, as the Dockerfile sets it.
pub const IMAGE_UID: u32 = 10001;

/// The Linux image for one architecture (`amd64`, `arm64`).
pub fn linux_image(arch: &str) -> String {
    format!("{LOCAL_IMAGE}:{}-linux-{arch}", env!("CARGO_PKG_VERSION"))
}

/// What makes the images, their store and their exports.
const BUILD_IMAGES: &str = "run scripts/build-images.sh";

/// Where scripts/build-images.sh exports the multi-arch index and the wasm image.
pub fn oci_layout(name: &str) -> PathBuf {
    let path = workspace_root().join("target/image").join(name);
    made_by(path.join("index.json"), BUILD_IMAGES);
    path
}

/// The project's own image store (vfs), which scripts/container-store.sh sets up for the
/// scripts that build and push the images; podman and the scripts must all use it.
pub fn storage_conf() -> PathBuf {
    made_by(
        workspace_root().join("target/containers/storage.conf"),
        BUILD_IMAGES,
    )
}

/// podman, on the store the images were built in.
pub fn podman() -> Command {
    let mut command = Command::new("podman");
    command.env("CONTAINERS_STORAGE_CONF", storage_conf());
    command
}

/// Panics, naming what to run, unless podman answers and `image` is in its store.
pub fn require_image(image: &str) {
    let status = podman()
        .args(["image", "exists", image])
        .status()
        .unwrap_or_else(|error| {
            panic!("podman is missing ({error}): run scripts/install-test-tools.sh")
        });
    assert!(
        status.success(),
        "image {image} is missing: run scripts/build-images.sh"
    );
}

/// A fresh downloads folder the image's user may write to, prepared the way DOCKER.md tells
/// users to: owned by that user when we can give it away (root), else open to all.
pub fn downloads_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a downloads folder");
    let path = dir.path();
    let is_root = std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0);
    if is_root {
        std::os::unix::fs::chown(path, Some(IMAGE_UID), Some(IMAGE_UID)).expect("chown");
    } else {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    dir
}

/// `podman run -i` of the Linux image for `arch` with the server configuration of `setup`
/// (its variables become `-e` options; the downloads folder becomes a bind mount at
/// /downloads), hardened as DOCKER.md recommends. `network` is podman's `--network` value.
pub fn run_command(arch: &str, setup: &ServerSetup, downloads: &Path, network: &str) -> Command {
    let image = linux_image(arch);
    require_image(&image);
    let mut command = podman();
    command.args(["run", "-i", "--rm", "--platform"]);
    command.arg(format!("linux/{arch}"));
    // What podman needs on CI machines: runc as the runtime, and limits no higher than
    // the ones the machine lets a process set.
    command.args([
        "--runtime",
        "runc",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
    ]);
    command.args([
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--network",
        network,
    ]);
    command
        .arg("--volume")
        .arg(format!("{}:/downloads", downloads.display()));
    for (name, value) in &setup.env {
        if name != "FACTURATION_DOWNLOADS_DIR" {
            command.arg("--env").arg(format!("{name}={value}"));
        }
    }
    command.arg(&image).args(&setup.args);
    command
}

/// Lets this machine run aarch64 binaries through qemu-user while it lives: registers the
/// binfmt_misc entry Debian's qemu-user-static ships (kernels in CI sandboxes do not load
/// it by themselves) and removes it again on drop, if it was not there before.
pub struct Aarch64Emulation {
    registered_here: bool,
}

const BINFMT: &str = "/proc/sys/fs/binfmt_misc";
const QEMU_ENTRY: &str = "qemu-aarch64";

impl Aarch64Emulation {
    pub fn enable() -> Self {
        let entry = Path::new(BINFMT).join(QEMU_ENTRY);
        if entry.exists() {
            return Self {
                registered_here: false,
            };
        }
        if !Path::new(BINFMT).join("register").exists() {
            let status = Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc", BINFMT])
                .status()
                .expect("run mount");
            assert!(status.success(), "cannot mount binfmt_misc at {BINFMT}");
        }
        let rule_file = "/usr/lib/binfmt.d/qemu-aarch64.conf";
        let rule = std::fs::read_to_string(rule_file).unwrap_or_else(|error| {
            panic!("{rule_file}: {error} (Debian's qemu-user-static; run scripts/install-test-tools.sh)")
        });
        std::fs::write(Path::new(BINFMT).join("register"), rule.trim())
            .unwrap_or_else(|error| panic!("register qemu-aarch64 with binfmt_misc: {error}"));
        assert!(
            entry.exists(),
            "binfmt_misc did not take the qemu-aarch64 rule"
        );
        Self {
            registered_here: true,
        }
    }
}

impl Drop for Aarch64Emulation {
    fn drop(&mut self) {
        if self.registered_here {
            let _ = std::fs::write(Path::new(BINFMT).join(QEMU_ENTRY), "-1");
        }
    }
}
