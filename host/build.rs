//! Builds the guest component for wasm32-wasip2, compiles it to machine code for the target
//! the host is built for, and hands both paths to the host, which embeds them: no start ever
//! compiles the component, and no cache folder is needed. The guest gets its own target
//! directory so this nested cargo never waits on the lock of the outer build.

#[path = "src/engine_config.rs"]
mod engine_config;

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
        "guest/wasi-http",
        "wit",
        "Cargo.lock",
        // The component profile lives in the workspace's manifest.
        "Cargo.toml",
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

    let mut config = engine_config::engine_config();
    let target = env::var("TARGET").unwrap();
    if target != env::var("HOST").unwrap() {
        config
            .target(&target)
            .unwrap_or_else(|error| panic!("cannot compile the component for {target}: {error}"));
    }
    let engine = wasmtime::Engine::new(&config).expect("a wasmtime engine");
    let bytes = std::fs::read(&component).expect("read the guest component");
    let machine_code = engine
        .precompile_component(&bytes)
        .expect("compile the guest component to machine code");
    let precompiled = PathBuf::from(env::var("OUT_DIR").unwrap()).join("guest.cwasm");
    std::fs::write(&precompiled, machine_code).expect("write the precompiled component");
    println!(
        "cargo:rustc-env=GUEST_PRECOMPILED_PATH={}",
        precompiled.display()
    );
}
