//! Builds the guest component for wasm32-wasip2 and hands its path to the host, which embeds
//! it. The guest gets its own target directory so this nested cargo never waits on the lock
//! of the outer build.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let target_dir = workspace.join("target").join("guest");
    for watched in [
        "guest/src",
        "guest/build.rs",
        "guest/Cargo.toml",
        "guest/catalog",
        "wit",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args([
            "build",
            "--profile",
            "component",
            "--target",
            "wasm32-wasip2",
            "-p",
            "facturation-pro-guest",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // Settings meant for the outer (native) build must not leak into the guest's:
    // clippy's wrapper, host rustflags, coverage instrumentation and the like.
    for (key, _) in env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || key.starts_with("RUSTC")
            || key == "RUSTFLAGS"
        {
            command.env_remove(key);
        }
    }
    let status = command
        .status()
        .expect("could not run cargo to build the guest component");
    assert!(
        status.success(),
        "building the guest component for wasm32-wasip2 failed"
    );

    let component = target_dir.join("wasm32-wasip2/component/facturation_pro_guest.wasm");
    println!(
        "cargo:rustc-env=GUEST_COMPONENT_PATH={}",
        component.display()
    );
}
