//! Turns a [`ToolSpec`] into the MCP `Tool` object clients see: the input schema from the
//! route's path, query and body fields; the output schema from the record's field table;
//! annotations from what the tool does to the user's data; and, in `_meta`, the API route
//! and toolset (the route-coverage test and the README catalogue read them).

use serde_json::{Map, Value, json};

use crate::local::local_fields;
use crate::spec::{
    Choice, Effect, Field, FieldType, Fields, Output, ToolSpec, body_fields, each_field,
};

pub fn tool_definition(spec: &ToolSpec) -> Value {
    json!({
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "inputSchema": input_schema(spec),
        "outputSchema": output_schema(spec),
        "annotations": annotations(spec),
        "_meta": { "facturation-pro/route": spec.route(), "facturation-pro/toolset": spec.toolset.name() },
    })
}

fn annotations(spec: &ToolSpec) -> Value {
    let (read_only, destructive, idempotent) = match spec.effect {
        Effect::Read => (true, false, true),
        Effect::Create => (false, false, false),
        Effect::Update => (false, false, true),
        Effect::Delete => (false, true, true),
        Effect::Irreversible => (false, true, false),
    };
    json!({
        "title": spec.title,
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
        // Every tool talks to the Facturation.PRO service, outside this machine.
        "openWorldHint": true,
    })
}

fn input_schema(spec: &ToolSpec) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for name in spec.path_params() {
        let schema = match name {
            "firm_id" => json!({ "type": "integer", "minimum": 1,
                "description": "Firm to work on; defaults to FACTURATION_FIRM_ID (get_account lists your firms)" }),
            "order_url" => {
                json!({ "type": "string", "description": "The order's invoice_url, from list_subscription_orders" })
            }
            _ => json!({ "type": "integer", "minimum": 1,
                "description": format!("Id of the {}", name.trim_end_matches("_id").replace('_', " ")) }),
        };
        properties.insert(name.into(), schema);
        if name != "firm_id" {
            required.push(name);
        }
    }
    for param in spec.query {
        properties.insert(
            param.name.into(),
            input_property(param.ty, param.description),
        );
        if param.required {
            required.push(param.name);
        }
    }
    for field in body_fields(spec).chain(local_fields(spec)) {
        properties.insert(
            field.name.into(),
            input_property(field.ty, field.description),
        );
    }
    if let crate::spec::Body::Json {
        required: body_required,
        ..
    } = spec.body
    {
        required.extend(body_required);
    }
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

fn input_property(ty: FieldType, description: &str) -> Value {
    match ty {
        FieldType::Text(Some(max)) => {
            json!({ "type": "string", "maxLength": max, "description": description })
        }
        FieldType::Text(None) | FieldType::DateTime => {
            json!({ "type": "string", "description": description })
        }
        FieldType::Integer => json!({ "type": "integer", "description": description }),
        FieldType::Number => json!({
            "type": ["number", "string"],
            "description": format!("{description} (a number, or a decimal as text like \"1250.50\")"),
        }),
        FieldType::Boolean => json!({ "type": "boolean", "description": description }),
        FieldType::Date => json!({
            "type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
            "description": format!("{description} (YYYY-MM-DD)"),
        }),
        FieldType::Period => {
            json!({ "type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$", "description": description })
        }
        FieldType::Country => {
            json!({ "type": "string", "pattern": "^[A-Z]{2}$", "description": description })
        }
        FieldType::OneOf(choices) => json!({
            "type": "string",
            "enum": choices.iter().map(|c| c.value).collect::<Vec<_>>(),
            "description": format!("{description}. {}", glossary(choices)),
        }),
        FieldType::IntOneOf(choices) => json!({
            "type": "integer",
            "enum": choices.iter().filter_map(|c| c.value.parse::<i64>().ok()).collect::<Vec<_>>(),
            "description": format!("{description}. {}", glossary(choices)),
        }),
        // The list is long and well known; the executor still checks the code against it.
        FieldType::Code(codes) => json!({
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": format!("{description}; one of {} codes the service supports", codes.len()),
        }),
        FieldType::Suggested(choices) => json!({
            "type": "string",
            "description": format!("{description}. Standard values: {}", glossary(choices)),
        }),
        FieldType::List => {
            json!({ "type": "array", "items": { "type": "object" }, "description": description })
        }
        FieldType::Lines(fields) => {
            let properties: Map<String, Value> = fields
                .iter()
                .filter(|field| field.writable)
                .map(|field| {
                    (
                        field.name.to_string(),
                        input_property(field.ty, field.description),
                    )
                })
                .collect();
            json!({
                "type": "array", "minItems": 1, "description": description,
                "items": { "type": "object", "properties": properties, "additionalProperties": false },
            })
        }
    }
}

fn glossary(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| format!("{} = {}", c.value, c.meaning))
        .collect::<Vec<_>>()
        .join(", ")
}

/// JSON types of a field's values as the API returns them: any may be null, and decimals
/// (sometimes integers) come back as strings, as the reference's examples show.
fn output_types(ty: FieldType) -> Value {
    match ty {
        FieldType::Integer | FieldType::IntOneOf(_) => json!(["integer", "string", "null"]),
        FieldType::Number => json!(["number", "string", "null"]),
        FieldType::Boolean => json!(["boolean", "null"]),
        FieldType::List | FieldType::Lines(_) => json!(["array", "null"]),
        FieldType::Text(_)
        | FieldType::Date
        | FieldType::DateTime
        | FieldType::Period
        | FieldType::Country
        | FieldType::OneOf(_)
        | FieldType::Code(_)
        | FieldType::Suggested(_) => json!(["string", "null"]),
    }
}

fn record_schema(fields: Fields) -> Value {
    let properties: Map<String, Value> = each_field(fields)
        .map(|field: &Field| {
            // Writable fields are described where they are written (create and update
            // tools); repeating it in every output schema would only cost the model tokens.
            let schema = if field.writable {
                json!({ "type": output_types(field.ty) })
            } else {
                json!({ "type": output_types(field.ty), "description": field.description })
            };
            (field.name.to_string(), schema)
        })
        .collect();
    // The API may add fields over time; they pass through rather than fail validation.
    json!({ "type": "object", "properties": properties, "additionalProperties": true })
}

fn output_schema(spec: &ToolSpec) -> Value {
    match &spec.output {
        Output::Record(fields) => record_schema(fields),
        Output::Page { key, fields } => json!({
            "type": "object",
            "properties": {
                *key: { "type": "array", "items": record_schema(fields) },
                "pagination": {
                    "type": ["object", "null"],
                    "description": "From the API's X-Pagination header (of the last page fetched)",
                    "properties": {
                        "current_page": { "type": "integer" },
                        "total_pages": { "type": "integer" },
                        "per_page": { "type": "integer" },
                        "total_entries": { "type": "integer" },
                    },
                },
                "pages_fetched": { "type": "integer", "description": "With all_pages: how many pages were read" },
                "complete": { "type": "boolean", "description": "With all_pages: false when max_pages stopped the listing early" },
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
                "path": { "type": "string", "description": "Where the file was saved, on the user's machine" },
                "uri": { "type": "string", "description": "file:// URI of the saved file" },
                "size": { "type": "integer", "description": "Bytes" },
                "mime_type": { "type": "string" },
                "inline": { "type": "boolean", "description": "true when the bytes are in the result instead of saved" },
            },
            "required": ["file_name", "size", "mime_type", "inline"],
        }),
    }
}
