//! Drives the real `facturation-pro-mcp` binary the way an MCP client does: spawn it with a
//! chosen environment, write JSON-RPC lines to its stdin, read its stdout. Used by the
//! end-to-end tests and by the demo, which also share here the ways they read what the
//! server returned and what the emulator received.

mod artifacts;
mod client;
pub mod component_host;
pub mod containers;
pub mod docker_stand_in;
pub mod http_client;
mod json;
mod multipart;
pub mod oci;
pub mod probe;
mod recorded;
mod sdk_scripts;
mod session;
mod tool_sizes;

pub use artifacts::{
    fixture_component, guest_component, host_binary, node, probe_component, sdk_python,
    workspace_root,
};
pub use client::{McpServer, ServerSetup, TEST_USER_AGENT};
pub use json::{decimal, id_of, ids, without};
pub use multipart::{FormPart, form_parts, upload_part};
pub use recorded::{assert_json_body, assert_route, sorted_pairs, sorted_query};
pub use sdk_scripts::{SdkTransport, run_sdk_script};
pub use session::{ServerFixture, TestSession, error_text, success};
pub use tool_sizes::{ToolSizes, tool_sizes};
