//! The container images as scripts/build-images.sh builds them from the Dockerfile (buildah,
//! no Docker daemon), checked the way a user meets them: their exported OCI layouts (sizes,
//! platforms, user, labels, exactly which files), a full MCP session through `podman run -i`
//! for each architecture (arm64 under qemu-user) as the image's own unprivileged user, with a
//! read-only root, no capabilities and a bind-mounted downloads folder; no network at all
//! when none is given; and the wasm image's component served by `wasmtime serve`.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, Fault};
use facturation_pro_emulator::harness::component_host::Host;
use facturation_pro_emulator::harness::containers::{
    Aarch64Emulation, IMAGE_UID, downloads_folder, oci_layout, run_command,
};
use facturation_pro_emulator::harness::http_client::HttpEndpoint;
use facturation_pro_emulator::harness::oci::{Image, Layout};
use facturation_pro_emulator::harness::{
    McpServer, ServerSetup, TEST_USER_AGENT, guest_component, probe_component, success,
};
use serde_json::{Value, json};

const SERVER_NAME: &str = "io.github.facturation-pro-mcp/facturation-pro";
const FIRM: u64 = 1001;
const MB: u64 = 1024 * 1024;

/// The ELF machine number (e_machine: 62 x86-64, 183 aarch64) of a 64-bit little-endian
/// binary, and whether it asks for a program interpreter (a dynamic loader, PT_INTERP).
fn elf_facts(binary: &[u8]) -> (u16, bool) {
    assert_eq!(&binary[..4], b"\x7fELF", "not an ELF file");
    assert_eq!((binary[4], binary[5]), (2, 1), "not 64-bit little-endian");
    let u16_at = |at: usize| u16::from_le_bytes([binary[at], binary[at + 1]]);
    let machine = u16_at(18);
    let table = u64::from_le_bytes(binary[32..40].try_into().unwrap()) as usize;
    let (entry_size, entries) = (usize::from(u16_at(54)), usize::from(u16_at(56)));
    const PT_INTERP: u32 = 3;
    let dynamic = (0..entries).any(|i| {
        let at = table + i * entry_size;
        u32::from_le_bytes(binary[at..at + 4].try_into().unwrap()) == PT_INTERP
    });
    (machine, dynamic)
}

#[test]
fn the_linux_index_holds_both_architectures_small_static_and_unprivileged() {
    let layout = Layout::open(oci_layout("oci"));
    let index = layout.top();
    let manifests = index["manifests"].as_array().expect("a multi-arch index");
    let mut seen = Vec::new();
    for entry in manifests {
        let arch = entry["platform"]["architecture"].as_str().unwrap();
        assert_eq!(entry["platform"]["os"], "linux", "{entry}");
        let image = Image::read(&layout, layout.json(entry["digest"].as_str().unwrap()));
        assert_eq!(image.config["architecture"], arch);
        assert_eq!(image.config["os"], "linux");

        // One binary and the two files naming its user; no shell, no libraries.
        assert_eq!(
            image.paths(),
            [
                "config",
                "downloads",
                "etc",
                "etc/group",
                "etc/passwd",
                "facturation-pro-mcp"
            ],
            "{arch}"
        );
        let binary = image.file("facturation-pro-mcp");
        assert_eq!(
            (binary.uid, binary.mode & 0o777),
            (0, 0o755),
            "{arch}: root-owned"
        );
        let expected_machine = match arch {
            "amd64" => 62,
            "arm64" => 183,
            other => panic!("unexpected architecture {other}"),
        };
        let (machine, dynamic) = elf_facts(&binary.contents);
        assert_eq!(machine, expected_machine, "{arch}");
        assert!(!dynamic, "{arch}: the binary asks for a dynamic loader");
        // The two folders the server writes to belong to its user; all else to root.
        let writable = ["downloads", "config"];
        for folder in writable {
            let owner = image.file(folder).uid;
            assert_eq!(owner, u64::from(IMAGE_UID), "{arch}: /{folder} owner");
        }
        for entry in image
            .entries
            .iter()
            .filter(|entry| !writable.contains(&entry.path.as_str()))
        {
            assert_eq!(
                entry.uid, 0,
                "{arch}: {} is owned by uid {}",
                entry.path, entry.uid
            );
        }
        let passwd = String::from_utf8(image.file("etc/passwd").contents.clone()).unwrap();
        assert!(
            passwd.starts_with(&format!("mcp:x:{IMAGE_UID}:{IMAGE_UID}:")),
            "{passwd}"
        );

        let config = &image.config["config"];
        assert_eq!(config["User"], format!("{IMAGE_UID}:{IMAGE_UID}"), "{arch}");
        assert_eq!(
            config["Entrypoint"],
            json!(["/facturation-pro-mcp"]),
            "{arch}"
        );
        assert!(config["Volumes"].get("/downloads").is_some(), "{config}");
        assert!(config["Volumes"].get("/config").is_some(), "{config}");
        for setting in [
            "FACTURATION_DOWNLOADS_DIR=/downloads",
            "FACTURATION_AUDIT_LOG=/dev/stderr",
            "FACTURATION_OAUTH_TOKEN_FILE=/config/oauth-tokens.json",
        ] {
            assert!(
                config["Env"].as_array().unwrap().contains(&json!(setting)),
                "{config}"
            );
        }
        assert_eq!(
            image.label("io.modelcontextprotocol.server.name"),
            SERVER_NAME
        );
        assert_eq!(
            image.label("org.opencontainers.image.version"),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(image.label("org.opencontainers.image.licenses"), "MIT");
        assert!(
            image
                .label("org.opencontainers.image.source")
                .starts_with("https://github.com/")
        );

        let (compressed, unpacked) = (image.compressed_size(), image.unpacked_size());
        println!(
            "linux/{arch}: {:.2} MB compressed, {:.2} MB unpacked",
            compressed as f64 / MB as f64,
            unpacked as f64 / MB as f64
        );
        assert!(
            compressed < 10 * MB,
            "linux/{arch}: {compressed} bytes compressed"
        );
        seen.push(arch.to_string());
    }
    seen.sort();
    assert_eq!(seen, ["amd64", "arm64"]);
}

#[test]
fn the_wasm_image_holds_only_the_component_and_wasmtime_serves_it() {
    let layout = Layout::open(oci_layout("oci-wasm"));
    let image = Image::read(&layout, layout.top());
    assert_eq!(image.config["os"], "wasi");
    assert_eq!(image.config["architecture"], "wasm");
    assert_eq!(image.paths(), ["facturation-pro-mcp.wasm"]);
    assert_eq!(
        image.config["config"]["Entrypoint"],
        json!(["/facturation-pro-mcp.wasm"])
    );
    assert_eq!(
        image.label("io.modelcontextprotocol.server.name"),
        SERVER_NAME
    );
    let component = &image.file("facturation-pro-mcp.wasm").contents;
    assert_eq!(
        component,
        &std::fs::read(guest_component()).unwrap(),
        "the image's component is the one the native host embeds"
    );
    println!(
        "wasi/wasm: {:.3} MB compressed, {:.3} MB unpacked",
        image.compressed_size() as f64 / MB as f64,
        image.unpacked_size() as f64 / MB as f64
    );
    assert!(image.compressed_size() < MB, "{}", image.compressed_size());

    // The file taken out of the image, served by wasmtime as Docker's Wasm runtime would.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facturation-pro-mcp.wasm");
    std::fs::write(&path, component).unwrap();
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let token = "a-bearer-token-for-the-wasm-image-test-0123456789";
    let base_url = emulator.base_url();
    let served = Host::Wasmtime.start_component(
        &path,
        &[
            ("FACTURATION_BASE_URL", &base_url),
            ("FACTURATION_API_ID", "demo-api-id"),
            ("FACTURATION_API_KEY", "demo-api-key"),
            ("FACTURATION_FIRM_ID", "1001"),
            ("FACTURATION_USER_AGENT", TEST_USER_AGENT),
            ("FACTURATION_HTTP_TOKEN", token),
        ],
    );
    let bearer = format!("Bearer {token}");
    let reply = served.post_json(
        &[
            ("Authorization", bearer.as_str()),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "list_customers"),
        ],
        &json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": "list_customers", "arguments": {},
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {}
                }
            }
        }),
    );
    assert_eq!(reply.status, 200, "{reply:?} {}", served.stderr());
    let result = &reply.json()["result"];
    assert_eq!(result["isError"], false, "{result}");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].path, "/firms/1001/customers.json");
}

/// A whole session through `podman run -i`: handshake, the full catalogue, a list, a PDF
/// saved into the bind-mounted folder by the image's user.
fn session_in_container(arch: &str) {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let downloads = downloads_folder();
    // The image's own audit setting (the container's stderr) is the one under test.
    let setup = ServerSetup::against(&emulator.base_url(), downloads.path())
        .without_env("FACTURATION_AUDIT_LOG");
    let started = Instant::now();
    let mut server = McpServer::spawn_command(run_command(arch, &setup, downloads.path(), "host"));
    let init = server.initialize("2025-11-25");
    let first_answer = started.elapsed();
    assert_eq!(
        init["serverInfo"]["name"],
        "facturation-pro-mcp",
        "{init} {}",
        server.stderr()
    );
    println!(
        "linux/{arch}: first answer {} ms after podman run",
        first_answer.as_millis()
    );

    let tools = server.request("tools/list", json!({}));
    assert!(
        tools["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{tools}"
    );
    let invoices = emulator.records(FIRM, "invoices");
    let invoice_id = invoices
        .iter()
        .find(|invoice| invoice["invoice_ref"].is_string())
        .expect("a final invoice in the demo data")["id"]
        .as_u64()
        .unwrap();
    let saved = server.call_tool("download_invoice_pdf", json!({ "invoice_id": invoice_id }));
    let saved = success(&saved);
    let pdfs: Vec<PathBuf> = std::fs::read_dir(downloads.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(pdfs.len(), 1, "{saved} {pdfs:?}");
    let pdf = &pdfs[0];
    assert!(
        std::fs::read(pdf).unwrap().starts_with(b"%PDF"),
        "{}",
        pdf.display()
    );
    assert_eq!(
        std::fs::metadata(pdf).unwrap().uid(),
        IMAGE_UID,
        "written by the image's unprivileged user"
    );
    let requests = emulator.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path == format!("/firms/{FIRM}/invoices/{invoice_id}.pdf")),
        "{requests:#?}"
    );
    // A write lands in the audit log, which the image sends to the container's log.
    let created = server.call_tool(
        "create_customer",
        json!({ "company_name": "Conteneur SARL" }),
    );
    success(&created);
    let (status, stderr) = server.finish();
    assert!(status.success(), "{status}: {stderr}");
    let audit: Vec<Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect();
    assert!(
        audit
            .iter()
            .any(|entry| entry["tool"] == "create_customer" && entry["method"] == "POST"),
        "no audit line for the write in the container's log: {stderr}"
    );
}

#[test]
fn the_amd64_image_runs_a_session_as_its_user() {
    session_in_container("amd64");
}

#[test]
fn the_arm64_image_runs_a_session_under_qemu() {
    let _qemu = Aarch64Emulation::enable();
    session_in_container("arm64");
}

/// In the container the server is process 1, for which the kernel drops SIGTERM unless a
/// handler is installed: `docker stop` would wait out its grace period, then kill the
/// server mid-call. podman run forwards the signal to it, as docker run does.
#[test]
fn the_image_stops_on_sigterm_after_answering_the_call_in_flight() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let downloads = downloads_folder();
    let setup = ServerSetup::against(&emulator.base_url(), downloads.path());
    let mut server =
        McpServer::spawn_command(run_command("amd64", &setup, downloads.path(), "host"));
    server.initialize("2025-11-25");
    let before = emulator.requests().len();
    emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_millis(1500),
    });
    server.send_line(
        br#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_account","arguments":{}}}"#,
    );
    emulator.wait_for_requests(before + 1);
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let answer = server.read_message();
    assert_eq!(answer["id"], 42, "{answer}");
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let (status, stderr) = server.wait_for_exit();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        stderr.contains("SIGTERM: finishing the calls in flight"),
        "{stderr}"
    );
}

#[test]
fn without_a_network_the_image_reaches_nothing() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let downloads = downloads_folder();
    let setup = ServerSetup::against(&emulator.base_url(), downloads.path()).with_args(&["check"]);
    let output = run_command("amd64", &setup, downloads.path(), "none")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "check passed with no network: {stderr}"
    );
    assert!(
        stderr.contains(&emulator.base_url()) || stderr.to_lowercase().contains("connect"),
        "the error should say the API could not be reached: {stderr}"
    );
    assert!(
        emulator.requests().is_empty(),
        "the API was reached without a network: {:#?}",
        emulator.requests()
    );
    assert!(!stderr.contains("demo-api-key"), "{stderr}");
}

/// The image's binary is built without the compiler: it runs the component precompiled into
/// it and nothing else. Another component, even one in the folder it may read, is refused
/// before anything starts.
#[test]
fn the_image_runs_only_its_own_component() {
    let emulator = Emulator::start(EmulatorConfig::default()).expect("start the emulator");
    let downloads = downloads_folder();
    std::fs::copy(probe_component(), downloads.path().join("probe.wasm")).unwrap();
    let setup = ServerSetup::against(&emulator.base_url(), downloads.path())
        .with_args(&["--component", "/downloads/probe.wasm"]);
    // On the host's network, so that anything the planted component got to do would reach
    // the emulator.
    let output = run_command("amd64", &setup, downloads.path(), "host")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("runs only its own precompiled component"),
        "the refusal should say why: {stderr}"
    );
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(emulator.requests().is_empty(), "{:?}", emulator.requests());
}
