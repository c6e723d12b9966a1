//! Settings the client reads from its environment. Under our host these are exactly the
//! variables the host chose to pass; credentials normally stay with the host, which adds the
//! `Authorization` header itself.

use std::env;

pub const DEFAULT_BASE_URL: &str = "https://www.facturation.pro";

#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Scheme, host and optional port, without a trailing slash.
    pub base_url: String,
    /// The firm used when a tool is not given `firm_id`.
    pub default_firm_id: Option<u64>,
    pub user_agent: String,
    /// Only set when running without our host (e.g. a plain `wasmtime run`), which would
    /// otherwise add the credentials on the way out.
    pub basic_credentials: Option<(String, String)>,
}

impl ApiConfig {
    pub fn from_env() -> Result<Self, String> {
        let base_url = var("FACTURATION_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(format!(
                "FACTURATION_BASE_URL must start with https:// or http:// (got {base_url:?})"
            ));
        }
        let default_firm_id = match var("FACTURATION_FIRM_ID") {
            None => None,
            Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
                format!("FACTURATION_FIRM_ID must be a positive integer (got {raw:?})")
            })?),
        };
        let user_agent = var("FACTURATION_USER_AGENT")
            .unwrap_or_else(|| format!("facturation-pro-mcp/{}", env!("CARGO_PKG_VERSION")));
        let basic_credentials = var("FACTURATION_API_ID").zip(var("FACTURATION_API_KEY"));
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            default_firm_id,
            user_agent,
            basic_credentials,
        })
    }
}

/// A variable that is set to something other than blanks.
fn var(name: &str) -> Option<String> {
    env::var(name)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}
