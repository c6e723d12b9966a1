//! The release archives scripts/package-release.sh writes, and scripts/install.sh installing
//! from them without Rust: a fake release made from the real host binary is served over
//! loopback HTTP, the installer downloads this machine's archive and SHA256SUMS, checks the
//! hash and installs the very bytes that were packed. A tampered archive, a SHA256SUMS
//! without its line and an unknown machine stop the install before any binary is written.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use facturation_pro_emulator::harness::{host_binary, workspace_root};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn package_release(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(workspace_root().join("scripts/package-release.sh"))
        .args(args)
        .output()
        .expect("run bash")
}

fn package_release_ok(args: &[&str]) {
    let output = package_release(args);
    assert!(
        output.status.success(),
        "package-release.sh {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The contract's triple for the machine running the tests (Linux gets musl).
fn this_triple() -> String {
    match std::env::consts::OS {
        "linux" => format!("{}-unknown-linux-musl", std::env::consts::ARCH),
        "macos" => format!("{}-apple-darwin", std::env::consts::ARCH),
        other => panic!("no release archive for {other}"),
    }
}

fn archive_name(triple: &str, extension: &str) -> String {
    format!("facturation-pro-mcp-{VERSION}-{triple}.{extension}")
}

/// One release folder per test run, packed from the real host binary: this machine's
/// archive, the Windows zip (same bytes, to check the zip's layout) and SHA256SUMS.
fn release() -> &'static Path {
    static RELEASE: OnceLock<TempDir> = OnceLock::new();
    RELEASE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().to_str().unwrap();
            let binary = host_binary();
            let binary = binary.to_str().unwrap();
            for triple in [this_triple().as_str(), "x86_64-pc-windows-msvc"] {
                package_release_ok(&[
                    "archive", "--target", triple, "--binary", binary, "--out", out,
                ]);
            }
            package_release_ok(&["checksums", "--out", out]);
            dir
        })
        .path()
}

fn sha256_hex(path: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().expect(program);
    assert!(output.status.success(), "{program} {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_tar_archive_holds_the_binary_license_and_readme_at_its_root_owned_by_root() {
    let archive = release().join(archive_name(&this_triple(), "tar.gz"));
    let listing = run("tar", &["-tvzf", archive.to_str().unwrap()]);
    let entries: Vec<(String, String, String)> = listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                fields[0].into(),
                fields[1].into(),
                fields[fields.len() - 1].into(),
            )
        })
        .collect();
    let expected = [
        ("-rw-r--r--", "LICENSE"),
        ("-rw-r--r--", "README.md"),
        ("-rwxr-xr-x", "facturation-pro-mcp"),
    ];
    assert_eq!(entries.len(), expected.len(), "{listing}");
    for ((mode, owner, name), (expected_mode, expected_name)) in entries.iter().zip(expected) {
        assert_eq!(
            (mode.as_str(), name.as_str()),
            (expected_mode, expected_name),
            "{listing}"
        );
        assert_eq!(owner, "0/0", "{listing}");
    }
    // Packing the same binary again gives the same bytes.
    let again = tempfile::tempdir().unwrap();
    package_release_ok(&[
        "archive",
        "--target",
        &this_triple(),
        "--binary",
        host_binary().to_str().unwrap(),
        "--out",
        again.path().to_str().unwrap(),
    ]);
    let repacked = again.path().join(archive_name(&this_triple(), "tar.gz"));
    assert_eq!(sha256_hex(&repacked), sha256_hex(&archive));
}

#[test]
fn the_windows_archive_is_a_zip_with_the_exe_at_its_root() {
    let archive = release().join(archive_name("x86_64-pc-windows-msvc", "zip"));
    let listing = run("unzip", &["-Z1", archive.to_str().unwrap()]);
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        ["LICENSE", "README.md", "facturation-pro-mcp.exe"]
    );
    let unpacked = tempfile::tempdir().unwrap();
    run(
        "unzip",
        &[
            "-q",
            archive.to_str().unwrap(),
            "-d",
            unpacked.path().to_str().unwrap(),
        ],
    );
    let exe = unpacked.path().join("facturation-pro-mcp.exe");
    assert_eq!(
        std::fs::read(exe).unwrap(),
        std::fs::read(host_binary()).unwrap()
    );
}

#[test]
fn sha256sums_lists_every_other_asset_sorted_in_sha256sum_format() {
    let text = std::fs::read_to_string(release().join("SHA256SUMS")).unwrap();
    let mut names = [
        archive_name(&this_triple(), "tar.gz"),
        archive_name("x86_64-pc-windows-msvc", "zip"),
    ];
    names.sort();
    let expected: Vec<String> = names
        .iter()
        .map(|name| format!("{}  {name}", sha256_hex(&release().join(name))))
        .collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn an_unknown_target_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let output = package_release(&[
        "archive",
        "--target",
        "riscv64gc-unknown-linux-gnu",
        "--binary",
        host_binary().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown target 'riscv64gc-unknown-linux-gnu'"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

// ---- install.sh from a release ------------------------------------------------------------

/// A loopback HTTP/1.0 server for the files of one folder, recording each path asked for.
struct ReleaseServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReleaseServer {
    fn serve(folder: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        // Detached: it ends with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut request_line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut request_line).unwrap();
                // Drain the headers up to the blank line.
                let mut header = String::new();
                while reader.read_line(&mut header).unwrap() > 2 {
                    header.clear();
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                seen.lock().unwrap().push(path.clone());
                let file = folder.join(path.trim_start_matches('/'));
                let response = match std::fs::read(&file) {
                    Ok(body) if !path.contains("..") => {
                        let mut head =
                            format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                                .into_bytes();
                        head.extend(body);
                        head
                    }
                    _ => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
                };
                // curl may hang up early on an error; nothing to do about it here.
                let _ = stream.write_all(&response);
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A copy of the release folder a test may tamper with.
fn release_copy() -> TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(release()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    copy
}

/// Runs install.sh against the release at `url` in a throwaway HOME, with `path_prefix`
/// (a folder of stand-in commands) in front of PATH when given.
fn install_from(url: &str, home: &Path, path_prefix: Option<&Path>) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(workspace_root().join("scripts/install.sh"))
        .args(["--release-url", url, "--non-interactive"])
        .args(["--api-id", "demo-api-id", "--api-key", "demo-api-key"])
        .args(["--no-claude", "--no-check"])
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null());
    if let Some(prefix) = path_prefix {
        let path = format!("{}:{}", prefix.display(), std::env::var("PATH").unwrap());
        command.env("PATH", path);
    }
    command.output().expect("run bash")
}

fn installed(home: &Path) -> PathBuf {
    home.join(".local/bin/facturation-pro-mcp")
}

#[test]
fn install_sh_installs_the_release_binary_after_checking_its_sha256() {
    let server = ReleaseServer::serve(release().to_path_buf());
    let home = tempfile::tempdir().unwrap();
    let output = install_from(&server.url, home.path(), None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("SHA-256 checked"), "{stdout}");

    let binary = installed(home.path());
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(host_binary()).unwrap()
    );
    assert_eq!(
        std::fs::metadata(&binary).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let version = run(binary.to_str().unwrap(), &["--version"]);
    assert!(version.contains(VERSION), "{version}");
    assert_eq!(
        server.requests(),
        [
            format!("/{}", archive_name(&this_triple(), "tar.gz")),
            "/SHA256SUMS".to_string()
        ]
    );
}

/// Installs from the release in `copy` (altered by the test) into a throwaway home, expects a
/// refusal with nothing installed, and returns what the installer said.
fn refused_install(copy: &TempDir) -> String {
    let server = ReleaseServer::serve(copy.path().to_path_buf());
    let home = tempfile::tempdir().unwrap();
    let output = install_from(&server.url, home.path(), None);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    assert!(!installed(home.path()).exists());
    stderr
}

#[test]
fn a_tampered_archive_is_refused_and_nothing_is_installed() {
    let copy = release_copy();
    let archive = copy.path().join(archive_name(&this_triple(), "tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&archive, bytes).unwrap();
    let stderr = refused_install(&copy);
    assert!(stderr.contains("checksum mismatch for"), "{stderr}");
    assert!(stderr.contains("nothing was installed"), "{stderr}");
}

#[test]
fn a_sha256sums_without_the_archives_line_is_refused_and_nothing_is_installed() {
    let copy = release_copy();
    let sums = copy.path().join("SHA256SUMS");
    let kept: String = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .filter(|line| !line.ends_with(&archive_name(&this_triple(), "tar.gz")))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&sums, kept).unwrap();
    let stderr = refused_install(&copy);
    assert!(stderr.contains("has no line for"), "{stderr}");
}

#[test]
fn an_unsupported_machine_is_told_so_before_anything_is_downloaded() {
    let server = ReleaseServer::serve(release().to_path_buf());
    let stand_ins = tempfile::tempdir().unwrap();
    let uname = stand_ins.path().join("uname");
    std::fs::write(
        &uname,
        "#!/bin/sh\ncase \"$1\" in -s) echo Linux ;; -m) echo riscv64 ;; esac\n",
    )
    .unwrap();
    std::fs::set_permissions(&uname, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = install_from(&server.url, home.path(), Some(stand_ins.path()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("unsupported architecture 'riscv64'"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
    assert!(!installed(home.path()).exists());
}
