//! Asking the user before a tool does something that cannot be taken back (deleting,
//! issuing a credit note, sending an email, finalising an invoice), when the client can put
//! questions to the user (MCP elicitation). Without that capability, or with
//! FACTURATION_CONFIRM=0, tools act on the model's word, as the client's own approval of
//! tool calls allows.

use serde_json::{Map, Value, json};

use super::spec::{Effect, ToolSpec};
use crate::mcp::ClientLink;

/// FACTURATION_CONFIRM: on unless set to 0.
pub fn enabled_from_env() -> Result<bool, String> {
    match std::env::var("FACTURATION_CONFIRM")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("" | "1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(other) => Err(format!("FACTURATION_CONFIRM must be 1 or 0, got {other:?}")),
    }
}

pub fn needs_confirmation(spec: &ToolSpec) -> bool {
    matches!(spec.effect, Effect::Delete | Effect::Irreversible)
}

/// Asks the user; `Err` says why the action must not happen.
pub fn ask(
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
    user: &mut dyn ClientLink,
) -> Result<(), String> {
    let params = json!({
        "message": question(spec, arguments),
        "requestedSchema": {
            "type": "object",
            "properties": {
                "confirm": { "type": "boolean", "title": "Go ahead", "description": "This cannot be undone" },
            },
            "required": ["confirm"],
        },
    });
    let answer = user.request("elicitation/create", params).map_err(|reason| {
        format!("could not get the user's confirmation ({reason}); set FACTURATION_CONFIRM=0 to act without asking")
    })?;
    match answer["action"].as_str() {
        Some("accept") if answer["content"]["confirm"] == true => Ok(()),
        Some("accept") => Err("the user did not tick \"Go ahead\"".into()),
        Some("decline") => Err("the user declined".into()),
        Some("cancel") => Err("the user dismissed the question".into()),
        _ => Err(format!("the client's answer was not understood: {answer}")),
    }
}

/// "Delete a customer (customer 180012, firm 1001)? This cannot be undone."
fn question(spec: &ToolSpec, arguments: &Map<String, Value>) -> String {
    let details: Vec<String> = arguments
        .iter()
        .filter(|(name, _)| name.ends_with("_id") || ["to", "subject"].contains(&name.as_str()))
        .map(|(name, value)| {
            let label = name.trim_end_matches("_id").replace('_', " ");
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            format!("{label} {value}")
        })
        .collect();
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    format!(
        "Facturation.PRO: {}{details}? This cannot be undone.",
        spec.title
    )
}
