//! The engine settings the component is compiled for. One definition, used by build.rs to
//! precompile the component and by the host to load it: machine code is only valid for an
//! engine configured the same way, and wasmtime refuses it otherwise.

/// Epoch interruption lets the watchdog stop a guest that computes without pause.
pub fn engine_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config
}
