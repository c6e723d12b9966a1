//! The precompiled-component cache: the first start leaves a private precompiled copy, later
//! starts use it, and a damaged or foreign file is never trusted, only replaced.

use std::path::Path;

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup};

fn cached_files(dir: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Starts the server with `cache` as FACTURATION_CACHE_DIR, completes the handshake, stops
/// it; returns its stderr.
fn start_once(api: &Emulator, home: &Path, cache: &str) -> String {
    let setup = ServerSetup::against(&api.base_url(), &home.join("downloads"))
        .with_env("FACTURATION_CACHE_DIR", cache);
    let mut server = McpServer::spawn(&setup);
    let result = server.initialize("2025-11-25");
    assert_eq!(result["serverInfo"]["name"], "facturation-pro-mcp");
    let (status, stderr) = server.finish();
    assert!(status.success(), "{stderr}");
    stderr
}

#[test]
fn the_first_start_caches_and_later_starts_reuse_it() {
    let api = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");

    start_once(&api, home.path(), cache.to_str().unwrap());
    let files = cached_files(&cache);
    assert_eq!(
        files.len(),
        1,
        "one precompiled file, no leftovers: {files:?}"
    );
    let file = &files[0];
    assert!(file.extension().is_some_and(|ext| ext == "cwasm"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let written = std::fs::metadata(file).unwrap().modified().unwrap();

    let stderr = start_once(&api, home.path(), cache.to_str().unwrap());
    assert!(!stderr.contains("recompiling"), "{stderr}");
    assert_eq!(cached_files(&cache), files);
    assert_eq!(
        std::fs::metadata(file).unwrap().modified().unwrap(),
        written,
        "the cached copy was reused, not rewritten"
    );
}

#[test]
fn a_damaged_cached_copy_is_recompiled_not_loaded() {
    let api = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    start_once(&api, home.path(), cache.to_str().unwrap());
    let file = cached_files(&cache).remove(0);
    std::fs::write(&file, b"not machine code at all").unwrap();

    let stderr = start_once(&api, home.path(), cache.to_str().unwrap());
    assert!(stderr.contains("recompiling"), "{stderr}");
    let replaced = std::fs::read(&file).unwrap();
    assert_ne!(
        replaced, b"not machine code at all",
        "the damaged copy was replaced"
    );
    assert!(replaced.len() > 100_000);
}

#[test]
fn the_cache_can_be_turned_off() {
    let api = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let setup = ServerSetup::against(&api.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_CACHE_DIR", "off")
        .with_env("HOME", home.path().to_str().unwrap());
    let mut server = McpServer::spawn(&setup);
    server.initialize("2025-11-25");
    assert!(server.finish().0.success());
    assert!(
        !home.path().join(".cache").exists(),
        "nothing cached under HOME"
    );
}
