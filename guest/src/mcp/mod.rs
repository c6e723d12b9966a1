//! The MCP protocol layer: JSON-RPC 2.0, both protocol eras (2026-07-28 per-request metadata
//! and the 2025-11-25..2024-11-05 handshake), and Streamable HTTP. Each request is answered
//! on its own, with no state kept between requests. It knows nothing about invoices: tools
//! come from a [`ToolProvider`], resources, prompts and completions from a
//! [`LibraryProvider`], both handed in by the caller.

mod http;
#[cfg(test)]
mod http_props;
mod jsonrpc;
mod library;
mod protocol;

pub use http::{Access, HttpRequest, HttpResponse, MAX_BODY_BYTES, admit, serve};
pub use library::{
    Arguments, CacheScope, Cached, Completion, CompletionRequest, LibraryError, LibraryProvider,
    Reference,
};
// The conformance fixtures (a test-only build) extend the answers of the real server.
#[cfg(feature = "conformance-fixtures")]
pub use protocol::Answer;
pub use protocol::{CallOutcome, Server, ServerInfo, ToolCall, ToolCallError, ToolProvider};
