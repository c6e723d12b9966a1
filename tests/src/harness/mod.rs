//! Drives the real `facturation-pro-mcp` binary the way an MCP client does: spawn it with a
//! chosen environment, write JSON-RPC lines to its stdin, read its stdout. Used by the
//! end-to-end tests and by the demo, which also share here the ways they read what the
//! server returned and what the emulator received.
//!
//! For the network between the server and the API: [`proxy::Proxy`] is a corporate proxy
//! (CONNECT tunnels, proxy credentials, refusals) and [`relay::Relay`] a line with latency.
//! A call "over TLS through a 20 ms relay", as the bench measures it:
//!
//! ```no_run
//! use std::time::Duration;
//! use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, TestCa};
//! use facturation_pro_emulator::harness::{ServerSetup, relay::Relay};
//!
//! let ca = TestCa::new()?;
//! let emulator = Emulator::start(EmulatorConfig { tls: Some(ca.clone()), ..Default::default() })?;
//! let relay = Relay::start(emulator.port(), Duration::from_millis(20))?;
//! let home = tempfile::tempdir()?;
//! let ca_file = home.path().join("ca.pem");
//! ca.write_pem(&ca_file)?;
//! let setup = ServerSetup::against(&relay.base_url_for(&emulator), &home.path().join("dl"))
//!     .with_env("FACTURATION_CA_FILE", ca_file.to_str().unwrap());
//! // ...then time calls through McpServer::spawn(&setup); emulator.connection_stats() and
//! // relay.connections() say how many connections they took.
//! # Ok::<(), anyhow::Error>(())
//! ```

mod artifacts;
mod client;
pub mod cluster;
pub mod component_host;
pub mod containers;
pub mod docker_stand_in;
pub mod haproxy;
pub mod http_client;
pub mod https_documents;
mod json;
pub mod load;
mod loopback;
mod multipart;
pub mod oci;
pub mod postgres;
pub mod probe;
pub mod proxy;
#[cfg(test)]
pub(crate) mod raw_http;
mod recorded;
pub mod relay;
pub mod remote;
mod sdk_scripts;
mod session;
mod tool_sizes;

pub use artifacts::{
    fixture_component, guest_component, host_binary, installed_tool, node, printed,
    probe_component, sdk_python, workspace_root,
};
pub use client::{McpServer, ServerSetup, TEST_USER_AGENT};
pub use json::{decimal, id_of, ids, without};
pub use multipart::{FormPart, form_parts, upload_part};
pub use recorded::{assert_json_body, assert_route, sorted_pairs, sorted_query};
pub use sdk_scripts::{SdkTransport, run_sdk_script, run_sdk_script_at};
pub use session::{ServerFixture, TestSession, audit_lines, error_text, success};
pub use tool_sizes::{ToolSizes, tool_sizes};

/// A port of 127.0.0.1 the system just handed out and took back, for a process that must be
/// told its port before it starts (a public URL names it, or the tool cannot say which one it
/// took). Another process could take it in between; the start then fails loudly rather than
/// testing the wrong server.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}
