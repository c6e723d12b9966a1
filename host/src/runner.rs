//! Loads the guest component into wasmtime and runs its `wasi:cli/run` export inside the
//! sandbox that [`GuestState`] describes.

use std::path::Path;

use anyhow::{Result, bail};
use wasmtime::component::{Component, Linker};
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::Command;

use crate::config::Settings;
use crate::sandbox::GuestState;

/// The tool component, built by build.rs for wasm32-wasip2.
const GUEST_COMPONENT: &[u8] = include_bytes!(env!("GUEST_COMPONENT_PATH"));

/// Which component to run: ours, or (for tests) another one under the same sandbox.
pub enum ComponentSource<'a> {
    Embedded,
    File(&'a Path),
}

/// Runs the component to completion and returns the exit code it asked for.
pub async fn run(settings: &Settings, source: ComponentSource<'_>, args: &[&str]) -> Result<i32> {
    let config = Config::new();
    let engine = Engine::new(&config)?;
    let component = match source {
        ComponentSource::Embedded => Component::new(&engine, GUEST_COMPONENT)?,
        ComponentSource::File(path) => Component::from_file(&engine, path)
            .with_context(|| format!("cannot load component {}", path.display()))?,
    };

    let mut linker = Linker::<GuestState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;

    let mut store = Store::new(&engine, GuestState::new(settings, args)?);
    store.limiter(GuestState::limiter);

    let command = Command::instantiate_async(&mut store, &component, &linker)
        .await
        .context("the component does not fit the sandbox")?;
    match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(error) => match error.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => bail!("the component stopped abnormally: {error:?}"),
        },
    }
}
