//! Drives the real `facturation-pro-mcp` binary the way an MCP client does: spawn it with a
//! chosen environment, write JSON-RPC lines to its stdin, read its stdout. Used by the
//! end-to-end tests and by the demo.

mod artifacts;
mod client;

pub use artifacts::{host_binary, probe_component};
pub use client::{McpServer, ServerSetup};
