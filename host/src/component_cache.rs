//! Precompiled components, so start-up costs a file map instead of a Cranelift compile.
//!
//! The first run compiles the component and saves the machine code in the user's cache
//! folder (never the downloads folder: the guest must not be able to plant code the host
//! will load). The file name is a digest of the component's bytes, the engine's settings and
//! this program's version, so a changed component or engine looks for a different file; and
//! wasmtime checks the file's own header before using it. A file that fails those checks is
//! compiled again and replaced.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Loads `bytes` as a component, from the cache when a valid precompiled copy is there.
pub fn load(engine: &Engine, bytes: &[u8], cache_dir: Option<&Path>) -> Result<Component> {
    let Some(dir) = cache_dir else {
        return Ok(Component::new(engine, bytes)?);
    };
    let path = dir.join(format!("component-{}.cwasm", digest(engine, bytes)));
    if path.exists() {
        // SAFETY: the file is in the user's own cache folder, written by `store` below from
        // a component this process compiled; its name binds it to these bytes and this
        // engine, and wasmtime rejects files built for another engine or version.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(error) => {
                eprintln!("facturation-pro-mcp: recompiling, the cached copy is unusable: {error}")
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Err(error) = component
        .serialize()
        .map_err(anyhow::Error::from)
        .and_then(|code| store(dir, &path, &code))
    {
        eprintln!(
            "facturation-pro-mcp: could not cache the compiled component in {}: {error:#}",
            dir.display()
        );
    }
    Ok(component)
}

/// Digest naming the precompiled file: changes with the component, the engine's
/// configuration and wasmtime version, and this program's version.
fn digest(engine: &Engine, bytes: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    bytes.hash(&mut hasher);
    let first = hasher.finish();
    // A second, differently seeded pass widens the name to 128 bits.
    first.hash(&mut hasher);
    format!("{first:016x}{:016x}", hasher.finish())
}

/// Writes the file next to its final name, then renames it into place, so a concurrent
/// start never maps half a file. The folder is private to the user.
fn store(dir: &Path, path: &PathBuf, code: &[u8]) -> Result<()> {
    create_private_dir(dir)?;
    let temporary = dir.join(format!(
        ".{}.{}",
        std::process::id(),
        path.file_name().unwrap().to_string_lossy()
    ));
    let mut file = private_file(&temporary)?;
    file.write_all(code)?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}
