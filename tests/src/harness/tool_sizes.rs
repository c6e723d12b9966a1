//! What tool definitions cost, as a client receives them: the part a model reads (clients
//! send it the name, title, description and input schema) and the rest, which only the
//! client reads (output schema, annotations, `_meta`). Bytes of compact JSON, as sent.

use serde_json::{Map, Value, json};

/// The keys of a tool a model reads.
const MODEL_VISIBLE: [&str; 4] = ["name", "title", "description", "inputSchema"];

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ToolSizes {
    /// What a model reads.
    pub visible: usize,
    /// The whole `{"tools": [...]}` result.
    pub whole: usize,
}

impl ToolSizes {
    /// Output schemas, annotations, `_meta` and the list's own punctuation.
    pub fn rest(&self) -> usize {
        self.whole - self.visible
    }
}

pub fn tool_sizes(tools: &[Value]) -> ToolSizes {
    let visible = tools
        .iter()
        .map(|tool| {
            let part: Map<String, Value> = MODEL_VISIBLE
                .into_iter()
                .filter_map(|key| Some((key.to_string(), tool.get(key)?.clone())))
                .collect();
            Value::Object(part).to_string().len()
        })
        .sum();
    ToolSizes {
        visible,
        whole: json!({ "tools": tools }).to_string().len(),
    }
}
