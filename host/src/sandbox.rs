//! What one instance of the guest is given, and nothing more: the downloads folder at
//! `/downloads`, an explicit environment, stderr for its diagnostics, no stdin or stdout (the
//! MCP messages travel as HTTP requests), no network sockets, outgoing HTTP through the
//! [`ApiGate`], and a memory ceiling.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use wasmtime::component::ResourceTable;
use wasmtime::error::Context as _;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::api_gate::{ApiGate, GateShared};
use crate::config::Settings;
use crate::remote::bearer::Caller;

/// Where the downloads folder appears inside the sandbox.
pub const GUEST_DOWNLOADS_DIR: &str = "/downloads";

/// Linear memory the guest may grow to. Responses are buffered whole, so this bounds the
/// largest document it can handle as well as any runaway allocation.
pub const MEMORY_LIMIT_BYTES: usize = 256 << 20;

/// Handles (open files, streams, HTTP requests and their bodies, pollables...) the guest
/// may hold at once. A tool call holds a few dozen at most; the bound keeps a guest that
/// opens files in a loop from taking the process's file descriptors, which every other
/// request needs too. (wasmtime's own default is a million.)
const RESOURCE_LIMIT: usize = 2_000;

pub struct GuestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    gate: ApiGate,
    table: ResourceTable,
    limits: StoreLimits,
}

/// The guest's whole environment: the settings it may see, and the downloads folder's real
/// path (for the messages it writes).
pub fn environment(settings: &Settings) -> Vec<(String, String)> {
    let mut environment = settings.guest_environment();
    environment.push((
        "FACTURATION_DOWNLOADS_DIR".into(),
        settings.downloads_dir.display().to_string(),
    ));
    environment
}

impl GuestState {
    /// A fresh sandbox for one request.
    /// `environment` is [`environment`]'s list, worked out once for all instances.
    /// `downloads_dir` is the settings' folder, or the user's own inside it in the remote
    /// mode; `caller` is that user.
    pub fn new(
        environment: &[(String, String)],
        downloads_dir: &Path,
        gate: Arc<GateShared>,
        caller: Option<Arc<Caller>>,
    ) -> Result<Self> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stderr()
            .envs(environment)
            // Plain sockets and name lookups stay closed: HTTP to the API is the only way out.
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .preopened_dir(downloads_dir, GUEST_DOWNLOADS_DIR, FsPerms::ReadWrite)
            .with_context(|| {
                format!(
                    "cannot open the downloads folder {}",
                    downloads_dir.display()
                )
            })?;

        Ok(Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            gate: ApiGate::new(gate, caller),
            table: {
                let mut table = ResourceTable::new();
                table.set_max_capacity(RESOURCE_LIMIT);
                table
            },
            limits: StoreLimitsBuilder::new()
                .memory_size(MEMORY_LIMIT_BYTES)
                .trap_on_grow_failure(true)
                .build(),
        })
    }

    pub fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        &mut self.limits
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.gate,
        }
    }
}
