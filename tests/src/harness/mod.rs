//! Drives the real `facturation-pro-mcp` binary the way an MCP client does: spawn it with a
//! chosen environment, write JSON-RPC lines to its stdin, read its stdout. Used by the
//! end-to-end tests and by the demo.

mod artifacts;
mod client;
mod session;

pub use artifacts::{host_binary, probe_component};
pub use client::{McpServer, ServerSetup};
pub use session::{TEST_USER_AGENT, TestSession, assert_route, error_text, success};
