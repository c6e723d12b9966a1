//! The Facturation.PRO tools: a declarative table (`catalog`) of routes, the schemas built
//! from it, and the executor that runs any entry. This layer joins the protocol layer to the
//! API client and owns how results and failures look to the model.

mod arguments;
mod catalog;
mod confirm;
mod executor;
mod fields;
mod files;
mod schema;
mod selection;
mod spec;
mod values;

use serde_json::{Map, Value, json};

use crate::api::ApiClient;
use crate::mcp::{ToolCall, ToolCallError, ToolProvider};
pub use confirm::enabled_from_env as confirmation_from_env;
use executor::{CallContext, CallFailure};
pub use selection::Selection;
use spec::ToolSpec;

pub struct Toolbox {
    client: ApiClient,
    /// The tools this configuration offers, and their MCP definitions, in the same order.
    offered: Vec<&'static ToolSpec>,
    definitions: Vec<Value>,
    /// Ask the user before irreversible actions, when the client can.
    confirm: bool,
}

impl Toolbox {
    pub fn new(client: ApiClient, selection: &Selection, confirm: bool) -> Self {
        let offered: Vec<&ToolSpec> = catalog::TOOLS
            .iter()
            .filter(|spec| selection.admits(spec))
            .collect();
        let definitions = offered
            .iter()
            .map(|spec| schema::tool_definition(spec))
            .collect();
        Self {
            client,
            offered,
            definitions,
            confirm,
        }
    }
}

/// Resource links in tool results arrived with protocol revision 2025-06-18.
fn supports_resource_links(protocol_version: &str) -> bool {
    protocol_version >= "2025-06-18"
}

impl ToolProvider for Toolbox {
    fn tools(&self) -> &[Value] {
        &self.definitions
    }

    fn call(
        &mut self,
        name: &str,
        arguments: Map<String, Value>,
        call: ToolCall<'_>,
    ) -> Result<Value, ToolCallError> {
        let spec = self
            .offered
            .iter()
            .find(|spec| spec.name == name)
            .ok_or_else(|| ToolCallError::UnknownTool(name.to_string()))?;
        let context = CallContext {
            resource_links: supports_resource_links(call.protocol_version),
            call_id: call.call_id,
        };
        // Arguments are checked before the user is asked, so nobody confirms a call that
        // would be refused anyway.
        let user = call
            .user
            .filter(|_| self.confirm && confirm::needs_confirmation(spec));
        let outcome =
            executor::prepare(spec, arguments, &self.client, &context).and_then(|prepared| {
                if let Some(user) = user {
                    confirm::ask(spec, prepared.arguments(), user).map_err(|reason| {
                        CallFailure::Declined(format!("Not done: {reason}. Nothing was sent."))
                    })?;
                }
                executor::run(spec, prepared, &self.client, &context)
            });
        Ok(match outcome {
            Ok(outcome) => {
                let mut content =
                    vec![json!({ "type": "text", "text": outcome.structured.to_string() })];
                content.extend(outcome.extra_content);
                json!({ "content": content, "structuredContent": outcome.structured, "isError": false })
            }
            Err(failure) => {
                let message = match failure {
                    CallFailure::Argument(reason) => {
                        format!("Invalid arguments for {name}: {reason}. Nothing was sent.")
                    }
                    CallFailure::Api(error) => error.to_string(),
                    CallFailure::NotFound(message) | CallFailure::Declined(message) => message,
                    CallFailure::Local(reason) => {
                        format!("{name} got its answer from Facturation.PRO but failed: {reason}")
                    }
                };
                eprintln!("{name} failed: {message}");
                json!({ "content": [{ "type": "text", "text": message }], "isError": true })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiConfig;

    fn toolbox() -> Toolbox {
        let config = ApiConfig {
            base_url: "http://127.0.0.1:9".into(),
            default_firm_id: None,
            user_agent: "test".into(),
            basic_credentials: None,
            requests_per_5_minutes: 600,
            requests_per_day: 10_000,
        };
        Toolbox::new(ApiClient::new(config), &Selection::default(), true)
    }

    #[test]
    fn every_tool_is_fully_described() {
        let toolbox = toolbox();
        for tool in toolbox.tools() {
            let name = tool["name"].as_str().unwrap();
            assert!(tool["title"].is_string(), "{name} has no title");
            assert!(
                tool["description"].as_str().is_some_and(|d| d.len() > 20),
                "{name}"
            );
            assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
            assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
            for hint in [
                "readOnlyHint",
                "destructiveHint",
                "idempotentHint",
                "openWorldHint",
            ] {
                assert!(
                    tool["annotations"][hint].is_boolean(),
                    "{name} lacks {hint}"
                );
            }
            for required in tool["inputSchema"]["required"].as_array().unwrap() {
                let required = required.as_str().unwrap();
                assert!(
                    tool["inputSchema"]["properties"].get(required).is_some(),
                    "{name}: {required} undeclared"
                );
            }
        }
    }

    #[test]
    fn tool_names_are_unique() {
        let toolbox = toolbox();
        let mut names: Vec<&str> = toolbox
            .tools()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        // The base URL points at a closed port: reaching the network would fail differently.
        let mut toolbox = toolbox();
        let args = json!({ "customer_id": "seven", "firm_id": 1 });
        let result = toolbox
            .call(
                "get_customer",
                args.as_object().unwrap().clone(),
                ToolCall {
                    protocol_version: "2025-11-25",
                    user: None,
                    call_id: "1".into(),
                },
            )
            .unwrap();
        assert_eq!(result["isError"], true);
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("`customer_id` must be a positive integer")
                && text.contains("Nothing was sent"),
            "{text}"
        );

        let args = json!({ "firm_id": 1, "colour": "blue" });
        let result = toolbox
            .call(
                "list_customers",
                args.as_object().unwrap().clone(),
                ToolCall {
                    protocol_version: "2025-11-25",
                    user: None,
                    call_id: "1".into(),
                },
            )
            .unwrap();
        assert!(
            result["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("unknown argument `colour`")
        );
    }
}
