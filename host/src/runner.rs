//! Loads the guest component into wasmtime and runs its `wasi:cli/run` export inside the
//! sandbox that [`GuestState`] describes.

use std::path::Path;

use anyhow::{Result, bail};
use wasmtime::component::Linker;
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::CommandPre;

use crate::config::Settings;
use crate::sandbox::GuestState;
use crate::{component_cache, watchdog};

/// The tool component, built by build.rs for wasm32-wasip2.
const GUEST_COMPONENT: &[u8] = include_bytes!(env!("GUEST_COMPONENT_PATH"));

/// Which component to run: ours, or (for tests) another one under the same sandbox.
pub enum ComponentSource<'a> {
    Embedded,
    File(&'a Path),
}

/// Runs the component to completion and returns the exit code it asked for.
pub async fn run(settings: &Settings, source: ComponentSource<'_>, args: &[&str]) -> Result<i32> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config)?;
    watchdog::start_ticking(&engine);
    let cache_dir = settings.cache_dir.as_deref();
    let component = match source {
        ComponentSource::Embedded => component_cache::load(&engine, GUEST_COMPONENT, cache_dir)?,
        ComponentSource::File(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read component {}", path.display()))?;
            component_cache::load(&engine, &bytes, cache_dir)?
        }
    };

    let mut linker = Linker::<GuestState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;

    // Matching the component's imports against what the sandbox provides happens once,
    // here, before any guest state exists.
    let pre = linker
        .instantiate_pre(&component)
        .context("the component asks for something the sandbox does not grant")?;
    let pre = CommandPre::new(pre)?;

    let mut store = Store::new(&engine, GuestState::new(settings, args)?);
    store.limiter(GuestState::limiter);
    watchdog::arm(&mut store, settings.cpu_limit);
    let command = pre.instantiate_async(&mut store).await?;
    match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(error) => match error.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => {
                // One line saying what happened, then wasmtime's details for a bug report.
                let cause = error.root_cause().to_string();
                let hint = if cause.contains("growing memory") {
                    " (it reached the sandbox's memory limit)"
                } else {
                    ""
                };
                bail!(
                    "the tool component crashed and the session is over: {cause}{hint}\n{error:?}"
                )
            }
        },
    }
}
