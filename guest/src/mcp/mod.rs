//! The MCP protocol layer: newline-delimited JSON-RPC 2.0 over stdio, the session lifecycle,
//! version negotiation and dispatch. It knows nothing about invoices: tools come from a
//! [`ToolProvider`] handed in by the caller.

mod jsonrpc;
mod session;
mod transport;

pub use session::{ClientLink, ServerInfo, Session, ToolCall, ToolCallError, ToolProvider};
pub use transport::serve;
