//! Turns a [`ToolSpec`] into the MCP `Tool` object clients see: the input schema from the
//! route's path, query and body fields, stating every rule the executor enforces; the
//! output schema from the shape of the answer; annotations from what the tool does to the
//! user's data; and, in `_meta`, the API route and toolset (the route-coverage test and the
//! README catalogue read them). A model reads every byte of the names, titles, descriptions
//! and input schemas of all the tools it is given, so descriptions say only what the name
//! and type do not, and say it once.

use serde_json::{Map, Value, json};

use crate::local::local_fields;
use crate::spec::{
    Body, Choice, Effect, FieldType, Fields, Output, ToolSpec, body_fields, clears_with_null,
    each_field,
};

pub fn tool_definition(spec: &ToolSpec) -> Value {
    let description = match described_in(spec) {
        Some(tool) => format!("{} Fields as in {tool}.", spec.description),
        None => spec.description.to_string(),
    };
    json!({
        "name": spec.name,
        "title": spec.title,
        "description": description,
        "inputSchema": input_schema(spec),
        "outputSchema": output_schema(spec),
        "annotations": annotations(spec),
        "_meta": { "facturation-pro/route": spec.route(), "facturation-pro/toolset": spec.toolset.name() },
    })
}

/// The tool whose schema describes this one's body fields, if another does.
fn described_in(spec: &ToolSpec) -> Option<&'static str> {
    match spec.body {
        Body::Json { described_in, .. } => described_in,
        Body::None | Body::File => None,
    }
}

/// The hints. The title is not repeated here: the top-level `title` (2025-06-18) is the one
/// clients show, and the protocol layer moves it here for 2025-03-26 clients.
fn annotations(spec: &ToolSpec) -> Value {
    let (read_only, idempotent) = match spec.effect {
        Effect::Read => (true, true),
        Effect::Create | Effect::Irreversible => (false, false),
        Effect::Update | Effect::Delete => (false, true),
    };
    json!({
        "readOnlyHint": read_only,
        "destructiveHint": spec.may_be_irreversible(),
        "idempotentHint": idempotent,
        // Every tool talks to the Facturation.PRO service, outside this machine.
        "openWorldHint": true,
    })
}

/// The schema of a path placeholder. Ids and the firm need no words: the name says what
/// they are, and the server's instructions say once that `firm_id` defaults to the
/// configured firm.
fn path_param_schema(name: &str) -> Value {
    match name {
        "order_url" => json!({
            "type": "string", "pattern": ORDER_URL_PATTERN,
            "description": "The order's invoice_url, from list_subscription_orders",
        }),
        _ => json!({ "type": "integer", "minimum": 1 }),
    }
}

/// What `order_url` may be: an order's PDF path as the API gives it, possibly as a full URL.
/// The executor checks the same rule before any request.
const ORDER_URL_PATTERN: &str = r"^(https?://[^/]+)?/firms/[0-9]+/orders/[A-Za-z0-9._-]+\.pdf$";

/// What a decimal written as text may look like; JSON numbers are taken as they are.
const DECIMAL_TEXT_PATTERN: &str = r"^-?[0-9]+([.,][0-9]+)?$";

/// What a month or a day of a period filter looks like; the day must exist.
const PERIOD_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$";

const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";

const COUNTRY_PATTERN: &str = "^[A-Z]{2}$";

/// Standard base64 with its padding, the last symbol carrying no stray bits: exactly what
/// the executor decodes.
const BASE64_PATTERN: &str =
    "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

fn input_schema(spec: &ToolSpec) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for name in spec.path_params() {
        properties.insert(name.into(), path_param_schema(name));
        if name != "firm_id" {
            required.push(name);
        }
    }
    for param in spec.query {
        properties.insert(
            param.name.into(),
            input_property(param.ty, Some(param.description)),
        );
        if param.required {
            required.push(param.name);
        }
    }
    let described_here = described_in(spec).is_none();
    for field in body_fields(spec) {
        let mut schema = input_property(field.ty, described_here.then_some(field.description));
        if clears_with_null(spec, field) {
            admit_null(&mut schema);
        }
        properties.insert(field.name.into(), schema);
    }
    for field in local_fields(spec) {
        properties.insert(
            field.name.into(),
            input_property(field.ty, Some(field.description)),
        );
    }
    if let Body::Json {
        required: body_required,
        ..
    } = spec.body
    {
        required.extend(body_required);
    }
    let mut schema =
        json!({ "type": "object", "properties": properties, "additionalProperties": false });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// One argument's schema: every rule the executor enforces, stated; the description only
/// when it tells the model more than the name and the type do, and None when another tool
/// describes the field (then the fields of document lines go undescribed too).
fn input_property(ty: FieldType, description: Option<&str>) -> Value {
    let mut schema = match ty {
        FieldType::Text(Some(max)) => json!({ "type": "string", "maxLength": max }),
        FieldType::Text(None) | FieldType::DateTime | FieldType::Suggested(_) => {
            json!({ "type": "string" })
        }
        FieldType::Integer => json!({ "type": "integer" }),
        FieldType::Positive => json!({ "type": "integer", "minimum": 1 }),
        FieldType::Range(min, max) => {
            json!({ "type": "integer", "minimum": min, "maximum": max })
        }
        FieldType::Number => {
            json!({ "type": ["number", "string"], "pattern": DECIMAL_TEXT_PATTERN })
        }
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
        FieldType::Period => json!({ "type": "string", "pattern": PERIOD_PATTERN }),
        FieldType::Country => json!({ "type": "string", "pattern": COUNTRY_PATTERN }),
        FieldType::Base64 => json!({ "type": "string", "pattern": BASE64_PATTERN }),
        FieldType::Currency => json!({ "type": "string", "pattern": CURRENCY_PATTERN }),
        FieldType::OneOf(choices) => json!({
            "type": "string",
            "enum": choices.iter().map(|c| c.value).collect::<Vec<_>>(),
        }),
        FieldType::IntOneOf(choices) => json!({
            "type": "integer",
            "enum": choices.iter().filter_map(|c| c.value.parse::<i64>().ok()).collect::<Vec<_>>(),
        }),
        FieldType::List => json!({ "type": "array", "items": { "type": "object" } }),
        FieldType::Lines(fields) => {
            let properties: Map<String, Value> = fields
                .iter()
                .filter(|field| field.writable)
                .map(|field| {
                    (
                        field.name.to_string(),
                        input_property(field.ty, description.map(|_| field.description)),
                    )
                })
                .collect();
            json!({
                "type": "array", "minItems": 1,
                "items": { "type": "object", "properties": properties, "additionalProperties": false },
            })
        }
    };
    let Some(description) = description else {
        return schema;
    };
    let glossary = match ty {
        FieldType::OneOf(choices) | FieldType::IntOneOf(choices) => glossary(choices),
        _ => String::new(),
    };
    let description = match (description.is_empty(), glossary.is_empty()) {
        (_, true) => description.to_string(),
        (true, false) => glossary,
        (false, false) => format!("{description}: {glossary}"),
    };
    if !description.is_empty() {
        schema["description"] = json!(description);
    }
    schema
}

/// Lets `null` through a property's type (and enum), for a field an update may clear.
fn admit_null(schema: &mut Value) {
    let types = match schema["type"].take() {
        Value::Array(types) => types,
        single => vec![single],
    };
    schema["type"] = json!([types, vec![json!("null")]].concat());
    if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
        values.push(Value::Null);
    }
}

/// `1 PayPal, 2 card, ...`: the values with a meaning (an empty one marks a value that
/// explains itself).
fn glossary(choices: &[Choice]) -> String {
    choices
        .iter()
        .filter(|c| !c.meaning.is_empty())
        .map(|c| format!("{} {}", c.value, c.meaning))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The shape of a result: a record, a page of records, a confirmation or a saved file. The
/// records' fields are not re-described: their meanings are in the create and update tools'
/// input schemas, and the API may add fields over time, which pass through.
fn output_schema(spec: &ToolSpec) -> Value {
    match &spec.output {
        Output::Record(fields) => record_schema(fields),
        Output::Page { key, fields } => json!({
            "type": "object",
            "properties": {
                *key: { "type": "array", "items": record_schema(fields) },
                "pagination": {
                    "type": ["object", "null"],
                    "description": "X-Pagination: current_page, total_pages, per_page, total_entries",
                },
                "pages_fetched": { "type": "integer" },
                "complete": { "type": "boolean", "description": "false when max_pages stopped all_pages early" },
            },
            "required": [*key, "pagination"],
        }),
        Output::Done { verb, id } => json!({
            "type": "object",
            "properties": { *id: { "type": "integer" }, *verb: { "type": "boolean" } },
            "required": [*id, *verb],
        }),
        Output::File { .. } => json!({
            "type": "object",
            "properties": {
                "file_name": { "type": "string" },
                "path": { "type": "string" },
                "uri": { "type": "string" },
                "size": { "type": "integer" },
                "mime_type": { "type": "string" },
                "inline": { "type": "boolean", "description": "true: the bytes are in the result, not saved" },
            },
            "required": ["file_name", "size", "mime_type", "inline"],
        }),
    }
}

/// A record: an object, with the type of its id when the record has one.
fn record_schema(fields: Fields) -> Value {
    if each_field(fields).any(|field| field.name == "id") {
        json!({ "type": "object", "properties": { "id": { "type": "integer" } } })
    } else {
        json!({ "type": "object" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TOOLS;
    use crate::spec::Field;

    fn writable_names(spec: &ToolSpec) -> Vec<&'static str> {
        let mut names: Vec<&str> = body_fields(spec).map(|field: &Field| field.name).collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn fields_described_elsewhere_are_described_there() {
        for spec in TOOLS {
            let Some(other) = described_in(spec) else {
                continue;
            };
            let other_spec = TOOLS
                .iter()
                .find(|candidate| candidate.name == other)
                .unwrap_or_else(|| panic!("{} points at missing {other}", spec.name));
            assert!(described_in(other_spec).is_none(), "{other} defers too");
            assert_eq!(
                writable_names(spec),
                writable_names(other_spec),
                "{}",
                spec.name
            );
        }
    }

    /// A suggested list does not restrict, so only the description teaches it: every code
    /// must be named there (an `-inv` code by its base and the rule for the suffix).
    #[test]
    fn suggested_values_are_all_named() {
        for spec in TOOLS {
            for field in body_fields(spec) {
                let FieldType::Suggested(choices) = field.ty else {
                    continue;
                };
                for choice in choices {
                    let base = choice.value.trim_end_matches("-inv");
                    assert!(
                        field.description.contains(base)
                            && (base == choice.value || field.description.contains("-inv")),
                        "{}.{}: {} is not named",
                        spec.name,
                        field.name,
                        choice.value
                    );
                }
            }
        }
    }

    #[test]
    fn every_enum_value_keeps_its_meaning() {
        for spec in TOOLS {
            let definition = tool_definition(spec);
            let schema = &definition["inputSchema"]["properties"];
            for field in body_fields(spec).filter(|_| described_in(spec).is_none()) {
                let (FieldType::OneOf(choices) | FieldType::IntOneOf(choices)) = field.ty else {
                    continue;
                };
                let description = schema[field.name]["description"].as_str().unwrap_or("");
                for choice in choices.iter().filter(|c| !c.meaning.is_empty()) {
                    assert!(
                        description.contains(choice.meaning),
                        "{}.{} lost the meaning of {}",
                        spec.name,
                        field.name,
                        choice.value
                    );
                }
            }
        }
    }

    #[test]
    fn only_finalising_makes_an_update_irreversible() {
        let find = |name: &str| TOOLS.iter().find(|spec| spec.name == name).unwrap();
        let args = |value: serde_json::Value| value.as_object().unwrap().clone();
        let update = find("update_invoice");
        assert_eq!(update.irreversible(&args(json!({ "title": "x" }))), None);
        assert_eq!(
            update.irreversible(&args(json!({ "type_doc": "draft" }))),
            None
        );
        assert!(
            update
                .irreversible(&args(json!({ "type_doc": "final" })))
                .is_some()
        );
        let create = find("create_invoice");
        assert!(create.irreversible(&args(json!({}))).is_some());
        assert_eq!(
            create.irreversible(&args(json!({ "type_doc": "draft" }))),
            None
        );
        let convert = find("convert_quote_to_invoice");
        assert!(
            convert
                .irreversible(&args(json!({})))
                .unwrap()
                .contains("FINAL")
        );
        assert_eq!(
            tool_definition(convert)["annotations"]["destructiveHint"],
            true
        );
    }
}
