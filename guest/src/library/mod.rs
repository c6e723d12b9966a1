//! What the server offers besides tools: resources (the account, the reference's value
//! lists, records by URI template, the files it downloaded), prompts for common jobs, and
//! completions for their arguments. This layer joins the protocol layer's
//! [`LibraryProvider`] to the API client; every API request goes through the same
//! [`ApiClient`] as the tools, so our host paces and gates it like any other.

mod completions;
mod downloads;
mod prompts;
mod resources;

use facturation_pro_catalog::Method;
use serde_json::Value;

use crate::api::{ApiClient, ApiError, ApiRequest, Pagination};
use crate::mcp::{Arguments, Cached, Completion, CompletionRequest, LibraryError, LibraryProvider};
use downloads::Downloads;

pub struct Library {
    client: ApiClient,
    /// The downloads folder, when this deployment has one (under our host).
    downloads: Option<Downloads>,
}

impl Library {
    /// `downloads_on_host` is the folder's real path (FACTURATION_DOWNLOADS_DIR), which the
    /// tools put in the `file://` URIs they return; inside the sandbox it is `/downloads`.
    pub fn new(client: ApiClient, downloads_on_host: Option<String>) -> Self {
        Self {
            client,
            downloads: downloads_on_host.map(Downloads::new),
        }
    }

    /// A GET through the shared client, as JSON, with the pagination header if any.
    /// `purpose` names the MCP method for our host's logs, as tool names do for tools.
    fn get_json(
        &self,
        purpose: &'static str,
        path: String,
        query: Vec<(String, String)>,
    ) -> Result<(Value, Option<Pagination>), ApiError> {
        let response = self.client.send(&ApiRequest {
            tool: purpose,
            method: Method::Get,
            path,
            query,
            body: None,
        })?;
        let body = response.json()?.unwrap_or(Value::Null);
        Ok((body, response.pagination))
    }

    fn default_firm(&self) -> Option<u64> {
        self.client.config().default_firm_id
    }
}

impl LibraryProvider for Library {
    fn resources(&self) -> Cached<Vec<Value>> {
        resources::list(self.downloads.as_ref())
    }

    fn resource_templates(&self) -> Cached<Vec<Value>> {
        resources::templates()
    }

    fn read_resource(&self, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError> {
        match &self.downloads {
            Some(downloads) if downloads::is_file_uri(uri) => downloads.read(uri),
            None if downloads::is_file_uri(uri) => Err(LibraryError::ResourceNotFound {
                uri: uri.to_string(),
                reason: "this deployment has no downloads folder, so it serves no files".into(),
            }),
            _ => resources::read(self, uri),
        }
    }

    fn prompts(&self) -> Cached<Vec<Value>> {
        prompts::list()
    }

    fn prompt(&self, name: &str, arguments: &Arguments) -> Result<Value, LibraryError> {
        prompts::render(name, arguments)
    }

    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LibraryError> {
        completions::complete(self, request)
    }
}

/// Whether `text` is a positive integer as ids are written: digits only, not zero.
fn positive_id(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|id| *id > 0)
}
