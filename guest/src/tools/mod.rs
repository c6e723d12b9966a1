//! Running the Facturation.PRO tools: the table and the definitions built from it come from
//! the `facturation-pro-catalog` crate (the definitions rendered at build time); here are the
//! selection, the argument checks, the executor that runs any entry, files in and out, and
//! confirmation. This layer joins the protocol layer to the API client and owns how results
//! and failures look to the model.

#[cfg(test)]
mod argument_props;
mod arguments;
mod confirm;
mod executor;
pub(crate) mod files;
mod selection;

use serde_json::{Map, Value, json};

use crate::api::ApiClient;
use crate::json_text::{object, to_text};
use crate::mcp::{CallOutcome, ToolCall, ToolCallError, ToolProvider};
use confirm::Decision;
pub use confirm::SealKey;
pub use confirm::enabled_from_env as confirmation_from_env;
// The conformance fixtures seal their questions' states with the tools' own seal.
#[cfg(feature = "conformance-fixtures")]
pub(crate) use confirm::{ANSWER_WITHIN_SECS, Verified, now_secs, seal_call, verify_call};
use executor::{CallContext, CallFailure};
use facturation_pro_catalog::spec::ToolSpec;
pub use selection::Selection;

mod definitions {
    include!(concat!(env!("OUT_DIR"), "/tool_definitions.rs"));
}

pub struct Toolbox {
    client: ApiClient,
    /// The tools this configuration offers, in the catalogue's order, with their
    /// definitions.
    offered: Vec<(&'static ToolSpec, &'static str)>,
    /// Ask the user before irreversible actions, when the client can; the key seals the
    /// question's state (None when the deployment has none).
    confirm: bool,
    seal_key: Option<SealKey>,
    /// Files are saved in the downloads folder when there is one (under our host), and
    /// returned inline otherwise.
    downloads: bool,
}

impl Toolbox {
    pub fn new(
        client: ApiClient,
        selection: &Selection,
        confirm: bool,
        seal_key: Option<SealKey>,
        downloads: bool,
    ) -> Self {
        let offered = facturation_pro_catalog::TOOLS
            .iter()
            .zip(definitions::TOOL_DEFINITIONS.iter().copied())
            .filter(|(spec, _)| selection.admits(spec))
            .collect();
        Self {
            client,
            offered,
            confirm,
            seal_key,
            downloads,
        }
    }
}

/// Resource links in tool results arrived with protocol revision 2025-06-18.
fn supports_resource_links(protocol_version: &str) -> bool {
    protocol_version >= "2025-06-18"
}

impl ToolProvider for Toolbox {
    fn tools(&self) -> Vec<&'static str> {
        self.offered
            .iter()
            .map(|(_, definition)| *definition)
            .collect()
    }

    fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        call: ToolCall,
    ) -> Result<CallOutcome, ToolCallError> {
        let spec = self
            .offered
            .iter()
            .map(|(spec, _)| *spec)
            .find(|spec| spec.name == name)
            .ok_or_else(|| ToolCallError::UnknownTool(name.to_string()))?;
        let context = CallContext {
            resource_links: supports_resource_links(call.protocol_version),
            downloads: self.downloads,
        };
        // Arguments are checked before the user is asked, so nobody confirms a call that
        // would be refused anyway.
        let prepared = match executor::prepare(spec, arguments, &self.client) {
            Ok(prepared) => prepared,
            Err(failure) => return Ok(CallOutcome::Complete(failed(name, failure))),
        };
        let warning = spec.irreversible(prepared.arguments());
        if let Some(warning) = warning.filter(|_| self.confirm && call.can_ask_with_form) {
            match confirm::decide(
                spec,
                warning,
                prepared.arguments(),
                self.seal_key.as_ref(),
                call.input_responses.as_ref(),
                call.request_state.as_deref(),
            ) {
                Decision::Go => {}
                Decision::Ask {
                    input_requests,
                    request_state,
                } => {
                    return Ok(CallOutcome::InputRequired {
                        input_requests,
                        request_state,
                    });
                }
                Decision::Stop(message) => {
                    return Ok(CallOutcome::Complete(failed(
                        name,
                        CallFailure::Declined(message),
                    )));
                }
                Decision::Forged(reason) => return Err(ToolCallError::BadRequestState(reason)),
            }
        }
        Ok(CallOutcome::Complete(
            match executor::run(spec, prepared, &self.client, &context) {
                Ok(outcome) => {
                    let mut content =
                        vec![json!({ "type": "text", "text": to_text(&outcome.structured) })];
                    content.extend(outcome.extra_content);
                    object([
                        ("content", Value::Array(content)),
                        ("structuredContent", outcome.structured),
                        ("isError", Value::Bool(false)),
                    ])
                }
                Err(failure) => failed(name, failure),
            },
        ))
    }
}

/// A tool result saying why the call produced nothing.
fn failed(name: &str, failure: CallFailure) -> Value {
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
        Toolbox::new(
            ApiClient::new(config),
            &Selection::default(),
            true,
            None,
            true,
        )
    }

    /// The offered definitions, as the client will parse them.
    fn parsed_tools() -> Vec<Value> {
        toolbox()
            .tools()
            .iter()
            .map(|text| serde_json::from_str(text).expect("a definition is JSON"))
            .collect()
    }

    #[test]
    fn the_rendered_definitions_are_the_catalogs() {
        let tools = parsed_tools();
        assert_eq!(tools.len(), facturation_pro_catalog::TOOLS.len());
        for (spec, tool) in facturation_pro_catalog::TOOLS.iter().zip(&tools) {
            assert_eq!(
                *tool,
                facturation_pro_catalog::schema::tool_definition(spec),
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn every_tool_is_fully_described() {
        for tool in &parsed_tools() {
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
            let required = tool["inputSchema"]["required"].as_array();
            for required in required.into_iter().flatten() {
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
        let tools = parsed_tools();
        let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    fn plain_call() -> ToolCall {
        ToolCall {
            protocol_version: "2025-11-25",
            can_ask_with_form: false,
            input_responses: None,
            request_state: None,
        }
    }

    fn complete(outcome: CallOutcome) -> Value {
        match outcome {
            CallOutcome::Complete(result) => result,
            CallOutcome::InputRequired { .. } => panic!("no question expected"),
        }
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        // The base URL points at a closed port: reaching the network would fail differently.
        let toolbox = toolbox();
        let args = json!({ "customer_id": "seven", "firm_id": 1 });
        let result = complete(
            toolbox
                .call(
                    "get_customer",
                    args.as_object().unwrap().clone(),
                    plain_call(),
                )
                .unwrap(),
        );
        assert_eq!(result["isError"], true);
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("`customer_id` must be a positive integer")
                && text.contains("Nothing was sent"),
            "{text}"
        );

        let args = json!({ "firm_id": 1, "colour": "blue" });
        let result = complete(
            toolbox
                .call(
                    "list_customers",
                    args.as_object().unwrap().clone(),
                    plain_call(),
                )
                .unwrap(),
        );
        assert!(
            result["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("unknown argument `colour`")
        );
    }
}
