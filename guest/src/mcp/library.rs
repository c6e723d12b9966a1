//! Resources, prompts and completions as the protocol has them: the [`LibraryProvider`]
//! the caller hands in supplies the content, and this module reads the request parameters,
//! shapes the results for the revision that asked (cache hints for 2026-07-28, no `title`
//! before 2025-06-18) and turns the provider's failures into the JSON-RPC errors each
//! revision expects. Like the rest of the layer, it knows nothing about invoices.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::jsonrpc::{INTERNAL_ERROR, INVALID_PARAMS, LEGACY_RESOURCE_NOT_FOUND, RpcError};
use super::protocol::Dialect;

/// The spec caps a completion answer at this many values.
const MAX_COMPLETION_VALUES: usize = 100;

/// What the protocol layer needs from whatever serves resources, prompts and completions.
/// Definitions are JSON objects as the newest revision has them; this module removes what
/// older revisions lack.
pub trait LibraryProvider {
    /// The `Resource` objects `resources/list` shows, all on one page.
    fn resources(&self) -> Cached<Vec<Value>>;
    /// The `ResourceTemplate` objects, all on one page.
    fn resource_templates(&self) -> Cached<Vec<Value>>;
    /// The `contents` of the resource at `uri`.
    fn read_resource(&self, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError>;
    /// The `Prompt` objects, all on one page.
    fn prompts(&self) -> Cached<Vec<Value>>;
    /// A `GetPromptResult` (description and messages) for the prompt with these arguments.
    fn prompt(&self, name: &str, arguments: &Arguments) -> Result<Value, LibraryError>;
    /// Suggestions for one argument of a prompt or a resource template.
    fn complete(&self, request: &CompletionRequest) -> Result<Completion, LibraryError>;
}

/// A result with the 2026-07-28 cache hints that go with it.
pub struct Cached<T> {
    pub value: T,
    pub ttl_ms: u64,
    pub scope: CacheScope,
}

/// Who may keep a cached result: anyone (it holds nothing of the user's), or only callers
/// with the same credentials.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CacheScope {
    Public,
    Private,
}

impl CacheScope {
    fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum LibraryError {
    /// No resource has this URI, or the record it names does not exist.
    ResourceNotFound { uri: String, reason: String },
    /// The request names something unknown or carries bad values; nothing was done.
    InvalidParams(String),
    /// The content exists but could not be produced (the API failed, a file was unreadable).
    Failed(String),
}

/// Prompt arguments and template variables by name; their values are always strings.
pub type Arguments = BTreeMap<String, String>;

/// What is being completed.
pub enum Reference<'a> {
    /// An argument of the prompt with this name.
    Prompt(&'a str),
    /// A variable of the resource template with this URI template.
    Resource(&'a str),
}

pub struct CompletionRequest<'a> {
    pub reference: Reference<'a>,
    /// The argument (or template variable) being typed, and what has been typed so far.
    pub argument: &'a str,
    pub value: &'a str,
    /// Arguments the user already filled in.
    pub context: Arguments,
}

pub struct Completion {
    /// At most [`MAX_COMPLETION_VALUES`], most relevant first.
    pub values: Vec<String>,
    pub total: Option<u64>,
    pub has_more: bool,
}

pub fn list_resources(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    list("resources", library.resources(), params, dialect)
}

pub fn list_resource_templates(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    list(
        "resourceTemplates",
        library.resource_templates(),
        params,
        dialect,
    )
}

pub fn list_prompts(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    list("prompts", library.prompts(), params, dialect)
}

pub fn read_resource(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    let uri = required_string(params, "uri", "resources/read")?;
    let contents = library
        .read_resource(uri)
        .map_err(|error| rpc_error(error, dialect))?;
    let mut result = json!({ "contents": contents.value });
    with_cache_hints(&mut result, &contents, dialect);
    Ok(result)
}

pub fn get_prompt(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    let name = required_string(params, "name", "prompts/get")?;
    let arguments = string_map(params.get("arguments"), "`arguments`")?;
    library
        .prompt(name, &arguments)
        .map_err(|error| rpc_error(error, dialect))
}

pub fn complete(
    library: &impl LibraryProvider,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    let invalid = |message: &str| RpcError::new(INVALID_PARAMS, message);
    let reference = params
        .get("ref")
        .ok_or_else(|| invalid("completion/complete needs a `ref` object"))?;
    let reference = match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => Reference::Prompt(
            reference
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("a `ref/prompt` reference needs a string `name`"))?,
        ),
        Some("ref/resource") => Reference::Resource(
            reference
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("a `ref/resource` reference needs a string `uri`"))?,
        ),
        Some(other) => {
            return Err(invalid(&format!(
                "unknown reference type {other:?}: use ref/prompt or ref/resource"
            )));
        }
        None => return Err(invalid("`ref` needs a string `type`")),
    };
    let argument = params
        .get("argument")
        .ok_or_else(|| invalid("completion/complete needs an `argument` object"))?;
    let (Some(name), Some(value)) = (
        argument.get("name").and_then(Value::as_str),
        argument.get("value").and_then(Value::as_str),
    ) else {
        return Err(invalid(
            "`argument` needs a string `name` and a string `value`",
        ));
    };
    let context = string_map(
        params
            .get("context")
            .and_then(|context| context.get("arguments")),
        "`context.arguments`",
    )?;
    let request = CompletionRequest {
        reference,
        argument: name,
        value,
        context,
    };
    let completion = library
        .complete(&request)
        .map_err(|error| rpc_error(error, dialect))?;
    let mut values = completion.values;
    let cut = values.len() > MAX_COMPLETION_VALUES;
    values.truncate(MAX_COMPLETION_VALUES);
    let mut body = json!({ "values": values, "hasMore": completion.has_more || cut });
    if let Some(total) = completion.total {
        body["total"] = json!(total);
    }
    Ok(json!({ "completion": body }))
}

/// A whole list on one page. We never hand out cursors, so any cursor is one we did not
/// issue.
fn list(
    field: &str,
    items: Cached<Vec<Value>>,
    params: &Map<String, Value>,
    dialect: Dialect,
) -> Result<Value, RpcError> {
    match params.get("cursor") {
        None | Some(Value::Null) => {}
        Some(cursor) => {
            return Err(RpcError::new(
                INVALID_PARAMS,
                format!("invalid cursor {cursor}: this list has a single page"),
            ));
        }
    }
    let shaped: Vec<Value> = items
        .value
        .iter()
        .map(|item| for_revision(item.clone(), dialect.version))
        .collect();
    let mut result = json!({ field: shaped });
    with_cache_hints(&mut result, &items, dialect);
    Ok(result)
}

fn with_cache_hints<T>(result: &mut Value, cached: &Cached<T>, dialect: Dialect) {
    if dialect.modern {
        result["ttlMs"] = json!(cached.ttl_ms);
        result["cacheScope"] = json!(cached.scope.as_str());
    }
}

/// A definition as `version` knows it: display titles (of the item and of prompt
/// arguments) came with 2025-06-18, icons with 2025-11-25.
fn for_revision(mut definition: Value, version: &str) -> Value {
    if let Some(object) = definition.as_object_mut() {
        if version < "2025-11-25" {
            object.remove("icons");
        }
        if version < "2025-06-18" {
            object.remove("title");
            if let Some(Value::Array(arguments)) = object.get_mut("arguments") {
                for argument in arguments.iter_mut().filter_map(Value::as_object_mut) {
                    argument.remove("title");
                }
            }
        }
    }
    definition
}

/// The JSON-RPC error for a provider failure, in the code the request's revision expects.
fn rpc_error(error: LibraryError, dialect: Dialect) -> RpcError {
    match error {
        LibraryError::ResourceNotFound { uri, reason } => {
            let code = if dialect.modern {
                INVALID_PARAMS
            } else {
                LEGACY_RESOURCE_NOT_FOUND
            };
            RpcError::new(code, format!("Resource not found: {reason}"))
                .with_data(json!({ "uri": uri }))
        }
        LibraryError::InvalidParams(message) => RpcError::new(INVALID_PARAMS, message),
        LibraryError::Failed(message) => RpcError::new(INTERNAL_ERROR, message),
    }
}

fn required_string<'a>(
    params: &'a Map<String, Value>,
    name: &str,
    method: &str,
) -> Result<&'a str, RpcError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::new(INVALID_PARAMS, format!("{method} needs a string `{name}`")))
}

/// An optional object whose values must all be strings, as prompt arguments are.
fn string_map(value: Option<&Value>, what: &str) -> Result<Arguments, RpcError> {
    let invalid = || RpcError::new(INVALID_PARAMS, format!("{what} must map names to strings"));
    match value {
        None | Some(Value::Null) => Ok(Arguments::new()),
        Some(Value::Object(entries)) => entries
            .iter()
            .map(|(name, value)| {
                value
                    .as_str()
                    .map(|text| (name.clone(), text.to_string()))
                    .ok_or_else(invalid)
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}
