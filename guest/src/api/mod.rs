//! A typed client for the Facturation.PRO REST API, over WASI HTTP. It knows nothing of MCP:
//! it turns (method, path, query, JSON body) into a response or an [`ApiError`] that says
//! what went wrong in words a user can act on.

mod client;
mod config;
mod error;
mod pagination;
mod redirect;

pub use client::{ApiClient, ApiRequest, ApiResponse, RequestBody, percent_decode};
pub use config::ApiConfig;
pub use error::ApiError;
pub use pagination::Pagination;
