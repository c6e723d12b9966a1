//! The Facturation.PRO tools: a declarative table (`catalog`) of routes, the schemas built
//! from it, and the executor that runs any entry. This layer joins the protocol layer to the
//! API client and owns how results and failures look to the model.

mod catalog;
mod executor;
mod fields;
mod schema;
mod spec;
mod values;

use serde_json::{Map, Value, json};

use crate::api::ApiClient;
use crate::mcp::{ToolCallError, ToolProvider};
use executor::CallFailure;

pub struct Toolbox {
    client: ApiClient,
    definitions: Vec<Value>,
}

impl Toolbox {
    pub fn new(client: ApiClient) -> Self {
        let definitions = catalog::TOOLS.iter().map(schema::tool_definition).collect();
        Self {
            client,
            definitions,
        }
    }
}

impl ToolProvider for Toolbox {
    fn tools(&self) -> &[Value] {
        &self.definitions
    }

    fn call(&mut self, name: &str, arguments: Map<String, Value>) -> Result<Value, ToolCallError> {
        let spec = catalog::TOOLS
            .iter()
            .find(|spec| spec.name == name)
            .ok_or_else(|| ToolCallError::UnknownTool(name.to_string()))?;
        Ok(match executor::execute(spec, arguments, &self.client) {
            Ok(structured) => json!({
                "content": [{ "type": "text", "text": structured.to_string() }],
                "structuredContent": structured,
                "isError": false,
            }),
            Err(failure) => {
                let message = match failure {
                    CallFailure::Argument(reason) => {
                        format!("Invalid arguments for {name}: {reason}. Nothing was sent.")
                    }
                    CallFailure::Api(error) => error.to_string(),
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
        };
        Toolbox::new(ApiClient::new(config))
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
        }
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        // The base URL points at a closed port: reaching the network would fail differently.
        let mut toolbox = toolbox();
        let args = json!({ "customer_id": "seven", "firm_id": 1 });
        let result = toolbox
            .call("get_customer", args.as_object().unwrap().clone())
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
            .call("list_customers", args.as_object().unwrap().clone())
            .unwrap();
        assert!(
            result["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("unknown argument `colour`")
        );
    }
}
