//! The container images, when scripts/build-images.sh has built them: their sizes as a
//! registry serves them (compressed) and as they land on disk, and how long a fresh container
//! takes to give its first MCP answer, next to the same container doing nothing but print its
//! version (the container runtime's own cost, which the server's few milliseconds of start
//! cannot beat). The Docker MCP Toolkit starts one container per tool call, so that time is
//! paid on every call there.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use facturation_pro_emulator::harness::ServerSetup;
use facturation_pro_emulator::harness::containers::{
    Aarch64Emulation, downloads_folder, run_command,
};
use facturation_pro_emulator::harness::oci::{Image, Layout};

use super::{median, ms, ratio, row, secs, start_time_of};

/// Fresh containers started per architecture (each costs a few hundred milliseconds, under
/// qemu a second or more).
const CONTAINER_RUNS: usize = 5;

pub fn rows(setup: &ServerSetup, native_start: Duration) -> Vec<String> {
    let layouts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/image");
    if !layouts.join("oci/index.json").is_file() {
        return vec![row(
            "container images",
            "not built: run scripts/build-images.sh".into(),
            "",
            String::new(),
        )];
    }
    let mut rows = Vec::new();
    let linux = Layout::open(layouts.join("oci"));
    for entry in linux.top()["manifests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let image = Image::read(&linux, linux.json(entry["digest"].as_str().unwrap()));
        let arch = image.config["architecture"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        rows.push(size_row(&format!("linux/{arch}"), &image, 10.0));
    }
    let wasm = Layout::open(layouts.join("oci-wasm"));
    rows.push(size_row("wasi/wasm", &Image::read(&wasm, wasm.top()), 1.0));

    for arch in ["amd64", "arm64"] {
        let _qemu = (arch == "arm64").then(Aarch64Emulation::enable);
        let downloads = downloads_folder();
        let run = |setup: &ServerSetup| run_command(arch, setup, downloads.path(), "host");
        let first_answer = median(
            &(0..CONTAINER_RUNS)
                .map(|_| start_time_of(run(setup)))
                .collect::<Vec<_>>(),
        );
        // The same container printing its version, timed to that first line like the
        // session is to its first answer: podman's own share of the time.
        let version = setup.clone().with_args(&["--version"]);
        let set_up = median(
            &(0..CONTAINER_RUNS)
                .map(|_| {
                    let started = Instant::now();
                    let mut child = run(&version)
                        .stdin(Stdio::null())
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("run podman");
                    let mut line = String::new();
                    BufReader::new(child.stdout.take().unwrap())
                        .read_line(&mut line)
                        .expect("read the version");
                    let elapsed = started.elapsed();
                    assert!(line.starts_with("facturation-pro-mcp"), "{line}");
                    child.wait().expect("wait for podman");
                    elapsed
                })
                .collect::<Vec<_>>(),
        );
        let emulated = if arch == "arm64" { ", qemu-user" } else { "" };
        rows.push(row(
            &format!("container printing --version, linux/{arch}{emulated} (median)"),
            ms(set_up),
            "",
            String::new(),
        ));
        // The target compares with the server started natively; what a container can do
        // at best is podman's own start, so that ratio is given beside it.
        let target = native_start * 2;
        rows.push(row(
            &format!("fresh container to first MCP answer, linux/{arch}{emulated} (median)"),
            ms(first_answer),
            &format!("< 2x a native start ({})", ms(target)),
            format!(
                "{} (and {:.2}x the --version container)",
                ratio(first_answer, target),
                secs(first_answer) / secs(set_up),
            ),
        ));
    }
    rows
}

fn size_row(platform: &str, image: &Image, target_mb: f64) -> String {
    let compressed = image.compressed_size() as f64 / 1e6;
    row(
        &format!("image size, {platform} (compressed / unpacked)"),
        format!(
            "{compressed:.2} MB / {:.2} MB",
            image.unpacked_size() as f64 / 1e6
        ),
        &format!("< {target_mb} MB compressed"),
        format!("{:.2}x target", compressed / target_mb),
    )
}
