//! Turns a [`ToolSpec`] into the MCP `Tool` object clients see: input schema built from the
//! route's path, query and body fields; output schema from the record's field table; and
//! annotations from what the tool does to the user's data.

use serde_json::{Map, Value, json};

use super::spec::{Choice, Effect, Field, FieldType, Output, ToolSpec};

pub fn tool_definition(spec: &ToolSpec) -> Value {
    json!({
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "inputSchema": input_schema(spec),
        "outputSchema": output_schema(&spec.output, spec),
        "annotations": annotations(spec),
    })
}

fn annotations(spec: &ToolSpec) -> Value {
    let (read_only, destructive, idempotent) = match spec.effect {
        Effect::Read => (true, false, true),
        Effect::Create => (false, false, false),
        Effect::Update => (false, false, true),
        Effect::Delete => (false, true, true),
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
        let description = if name == "firm_id" {
            "Firm to work on; defaults to FACTURATION_FIRM_ID (get_account lists your firms)"
                .to_string()
        } else {
            format!(
                "Id of the {}",
                name.trim_end_matches("_id").replace('_', " ")
            )
        };
        properties.insert(
            name.into(),
            json!({ "type": "integer", "minimum": 1, "description": description }),
        );
        if name != "firm_id" {
            required.push(name);
        }
    }
    for param in spec.query {
        properties.insert(
            param.name.into(),
            input_property(param.ty, param.description),
        );
    }
    for field in spec.body.iter().filter(|field| field.writable) {
        properties.insert(
            field.name.into(),
            input_property(field.ty, field.description),
        );
    }
    required.extend(spec.required_body);
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
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
        FieldType::Number => json!({ "type": "number", "description": description }),
        FieldType::Boolean => json!({ "type": "boolean", "description": description }),
        FieldType::Date => json!({
            "type": "string", "format": "date", "pattern": DATE_PATTERN,
            "description": format!("{description} (YYYY-MM-DD)"),
        }),
        FieldType::Country => {
            json!({ "type": "string", "pattern": "^[A-Z]{2}$", "description": description })
        }
        FieldType::OneOf(choices) => json!({
            "type": "string",
            "enum": choices.iter().map(|c| c.value).collect::<Vec<_>>(),
            "description": format!("{description}. {}", glossary(choices)),
        }),
        FieldType::Code(codes) => {
            json!({ "type": "string", "enum": codes, "description": description })
        }
        FieldType::Suggested(choices) => json!({
            "type": "string",
            "description": format!("{description}. Standard values: {}", glossary(choices)),
        }),
        FieldType::List => {
            json!({ "type": "array", "items": { "type": "object" }, "description": description })
        }
    }
}

pub const DATE_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}$";

fn glossary(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| format!("{} = {}", c.value, c.meaning))
        .collect::<Vec<_>>()
        .join(", ")
}

/// JSON type of a field's values as the API returns them; any field may come back null.
fn output_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Integer => "integer",
        FieldType::Number => "number",
        FieldType::Boolean => "boolean",
        FieldType::List => "array",
        FieldType::Text(_)
        | FieldType::Date
        | FieldType::DateTime
        | FieldType::Country
        | FieldType::OneOf(_)
        | FieldType::Code(_)
        | FieldType::Suggested(_) => "string",
    }
}

fn record_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| {
            let schema = json!({ "type": [output_type(field.ty), "null"], "description": field.description });
            (field.name.to_string(), schema)
        })
        .collect();
    // The API may add fields over time; they are passed through, not rejected.
    json!({ "type": "object", "properties": properties, "additionalProperties": true })
}

fn output_schema(output: &Output, spec: &ToolSpec) -> Value {
    match output {
        Output::Record(fields) => record_schema(fields),
        Output::Page { key, fields } => json!({
            "type": "object",
            "properties": {
                *key: { "type": "array", "items": record_schema(fields) },
                "pagination": {
                    "type": ["object", "null"],
                    "description": "From the API's X-Pagination header",
                    "properties": {
                        "current_page": { "type": "integer" },
                        "total_pages": { "type": "integer" },
                        "per_page": { "type": "integer" },
                        "total_entries": { "type": "integer" },
                    },
                },
            },
            "required": [*key, "pagination"],
        }),
        Output::Done { verb } => {
            let id = spec.path_params().last().unwrap_or("firm_id");
            json!({
                "type": "object",
                "properties": { id: { "type": "integer" }, *verb: { "type": "boolean" } },
                "required": [id, *verb],
            })
        }
    }
}
