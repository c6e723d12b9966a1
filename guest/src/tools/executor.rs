//! The one executor every tool shares: place the arguments, build the request, call the
//! API, and shape the answer as the tool's output says.

use serde_json::{Map, Value, json};

use super::arguments::{self, Placed, Refusal};
use super::files;
use crate::api::{ApiClient, ApiError, ApiRequest, ApiResponse, Pagination, RequestBody};
use crate::json_text::object;
use facturation_pro_catalog::spec::{Body, Output, ToolSpec};

/// `max_pages` when a list follows its pages and the caller did not say (its bounds are in
/// the argument's type, `local::MAX_PAGES`).
const DEFAULT_MAX_PAGES: u64 = 10;

/// What a successful call produced: the structured result, plus content items beyond its
/// text copy (a link to a saved file, or the file itself).
pub struct Outcome {
    pub structured: Value,
    pub extra_content: Vec<Value>,
}

/// Why a call produced no result.
pub enum CallFailure {
    /// Refused before any request: the message names the argument.
    Argument(String),
    Api(ApiError),
    /// The API answered, but the result could not be delivered (e.g. saving a file).
    Local(String),
    /// The API has no record at the ids given: the message names them.
    NotFound(String),
    /// The user was asked and did not agree; nothing was sent.
    Declined(String),
}

impl From<ApiError> for CallFailure {
    fn from(error: ApiError) -> Self {
        CallFailure::Api(error)
    }
}

impl From<Refusal> for CallFailure {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(reason) => CallFailure::Argument(reason),
            Refusal::NoFirm => CallFailure::Api(ApiError::NoFirm),
        }
    }
}

/// What the client can show: whether it understands links to resources (2025-06-18 on).
pub struct CallContext {
    pub resource_links: bool,
    /// There is a downloads folder to save files in; without one they come back inline.
    pub downloads: bool,
}

/// A call whose arguments passed every check, ready to send.
pub struct Prepared {
    request: ApiRequest,
    placed: Placed,
}

impl Prepared {
    /// The arguments as the caller gave them.
    pub fn arguments(&self) -> &Map<String, Value> {
        &self.placed.given
    }
}

/// Checks and places the arguments and builds the request; nothing is sent yet, so a
/// confirmation can come between this and [`run`].
pub fn prepare(
    spec: &ToolSpec,
    args: Map<String, Value>,
    client: &ApiClient,
) -> Result<Prepared, CallFailure> {
    let mut placed = arguments::place(spec, args, client.config().default_firm_id)?;
    let body = match spec.body {
        Body::None => None,
        Body::Json { .. } => Some(RequestBody::Json(Value::Object(std::mem::take(
            &mut placed.body,
        )))),
        Body::File => {
            let filename = placed.given.get("filename").and_then(Value::as_str);
            let upload =
                files::upload_source(&placed.local, filename).map_err(CallFailure::Argument)?;
            Some(files::multipart(&upload))
        }
    };
    let request = ApiRequest {
        tool: spec.name,
        method: spec.method,
        path: placed.path.clone(),
        query: placed.query.clone(),
        body,
    };
    Ok(Prepared { request, placed })
}

/// Sends a prepared call and shapes the answer.
pub fn run(
    spec: &ToolSpec,
    prepared: Prepared,
    client: &ApiClient,
    context: &CallContext,
) -> Result<Outcome, CallFailure> {
    let Prepared { request, placed } = prepared;
    deliver(spec, request, &placed, client, context).map_err(|failure| match failure {
        CallFailure::Api(ApiError::Status { status: 404, .. }) => {
            CallFailure::NotFound(missing(spec, &placed))
        }
        other => other,
    })
}

/// Names what a 404 says is missing: the ids of the path (and query) the call used.
fn missing(spec: &ToolSpec, placed: &Placed) -> String {
    let mut named: Vec<String> = spec
        .path_params()
        .chain(
            spec.query
                .iter()
                .filter(|param| param.required)
                .map(|param| param.name),
        )
        .filter(|name| name.ends_with("_id") && *name != "firm_id")
        .filter_map(|name| {
            let value = placed.given.get(name)?;
            Some(format!(
                "{} {value}",
                name.trim_end_matches("_id").replace('_', " ")
            ))
        })
        .collect();
    named.reverse();
    let what = if named.is_empty() {
        "the requested record".to_string()
    } else {
        named.join(" of ")
    };
    let firm = placed
        .path
        .strip_prefix("/firms/")
        .and_then(|rest| rest.split('/').next());
    let place = firm
        .map(|firm| format!(" in firm {firm}"))
        .unwrap_or_default();
    format!(
        "Facturation.PRO has no {what}{place} (HTTP 404). Check the id with the matching list_ tool, or the firm with get_account."
    )
}

fn deliver(
    spec: &ToolSpec,
    request: ApiRequest,
    placed: &Placed,
    client: &ApiClient,
    context: &CallContext,
) -> Result<Outcome, CallFailure> {
    match &spec.output {
        Output::Record(_) => match client.send(&request)?.json()? {
            Some(record @ Value::Object(_)) => Ok(structured(record)),
            other => {
                Err(ApiError::BadResponse(format!("expected a JSON object, got {other:?}")).into())
            }
        },
        Output::Page { key, .. } => list(key, request, placed, client).map(structured),
        Output::Done { verb, id } => {
            client.send(&request)?;
            let id_value = placed.given.get(*id).cloned().unwrap_or(Value::Null);
            Ok(structured(json!({ *id: id_value, *verb: true })))
        }
        Output::File { name } => {
            let response = client.send(&request)?;
            deliver_file(name, placed, &response, context)
        }
    }
}

fn structured(value: Value) -> Outcome {
    Outcome {
        structured: value,
        extra_content: Vec::new(),
    }
}

/// One page, or with `all_pages` the following ones too, up to `max_pages`.
fn list(
    key: &str,
    mut request: ApiRequest,
    placed: &Placed,
    client: &ApiClient,
) -> Result<Value, CallFailure> {
    let all_pages = placed
        .local
        .get("all_pages")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let max_pages = placed
        .local
        .get("max_pages")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_PAGES);
    let mut records = Vec::new();
    let mut pages_fetched = 0;
    loop {
        let response = client.send(&request)?;
        pages_fetched += 1;
        match response.json()? {
            Some(Value::Array(page)) => records.extend(page),
            // Some list routes answer an empty body when there is nothing to list.
            None => {}
            Some(other) => {
                return Err(
                    ApiError::BadResponse(format!("expected a JSON list, got {other}")).into(),
                );
            }
        }
        let pagination = response.pagination;
        let more = pagination.is_some_and(|p| p.current_page < p.total_pages);
        if !all_pages || !more || pages_fetched == max_pages {
            let mut result = object([
                (key, Value::Array(records)),
                ("pagination", json!(pagination)),
            ]);
            if all_pages {
                result["pages_fetched"] = json!(pages_fetched);
                result["complete"] = json!(!more);
            }
            return Ok(result);
        }
        set_page(&mut request, next_page(pagination));
    }
}

fn next_page(pagination: Option<Pagination>) -> u64 {
    pagination.map_or(2, |p| p.current_page + 1)
}

fn set_page(request: &mut ApiRequest, page: u64) {
    request.query.retain(|(name, _)| name != "page");
    request.query.push(("page".into(), page.to_string()));
}

/// Saves the downloaded bytes (or returns them inline) and describes the file.
fn deliver_file(
    template: &str,
    placed: &Placed,
    response: &ApiResponse,
    context: &CallContext,
) -> Result<Outcome, CallFailure> {
    let base = response
        .file_name
        .clone()
        .unwrap_or_else(|| fill_template(template, placed));
    let name = files::safe_file_name(&with_flags(base, placed));
    let mime = files::mime_type(response.content_type.as_deref(), &name);
    let size = response.body.len();
    let inline_asked = placed
        .local
        .get("inline")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if inline_asked || !context.downloads {
        let uri = format!("facturation-pro://{}", placed.path.trim_start_matches('/'));
        return Ok(Outcome {
            structured: json!({ "file_name": name, "size": size, "mime_type": mime, "inline": true }),
            extra_content: vec![files::embedded_resource(&uri, &mime, &response.body)],
        });
    }
    let overwrite = placed
        .local
        .get("overwrite")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let saved = files::save(&name, &response.body, overwrite).map_err(CallFailure::Local)?;
    let uri = files::file_uri(&saved.host_path);
    let mut extra_content = Vec::new();
    if context.resource_links {
        extra_content.push(json!({ "type": "resource_link", "uri": uri, "name": saved.name, "mimeType": mime, "size": size }));
    }
    Ok(Outcome {
        structured: json!({ "file_name": saved.name, "path": saved.host_path, "uri": uri, "size": size, "mime_type": mime, "inline": false }),
        extra_content,
    })
}

/// Fills `{argument}` placeholders from the call's arguments; `{path_name}` is the last
/// segment of the request path.
fn fill_template(template: &str, placed: &Placed) -> String {
    let mut name = template.replace(
        "{path_name}",
        placed.path.rsplit('/').next().unwrap_or("download"),
    );
    for (key, value) in &placed.given {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        name = name.replace(&format!("{{{key}}}"), &text);
    }
    name
}

/// Adds the flags that were set (`proforma`, `original`) to the name, so variants of one
/// document never collide in the downloads folder, whoever named the file.
fn with_flags(mut name: String, placed: &Placed) -> String {
    for (flag, value) in &placed.query {
        if value == "1" {
            name = match name.rsplit_once('.') {
                Some((stem, extension)) => format!("{stem}-{flag}.{extension}"),
                None => format!("{name}-{flag}"),
            };
        }
    }
    name
}
