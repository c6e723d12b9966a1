//! Completions for prompt arguments and template variables, looked up through the API as
//! the user types.
//!
//! Value format: a prompt's `customer` and `supplier` arguments complete to company names
//! (the prompt's text carries the name, and the model looks the record up); every `*_id`
//! template variable and `firm_id` completes to ids written as strings, since that is what
//! the URI or argument takes. What was typed is matched against names (and, for firms,
//! also against ids); names starting with it come first. Other arguments (a month, a
//! quote number, an invoice id) get no suggestions.

use super::prompts;
use super::resources::RECORD_KINDS;
use super::{Library, positive_id};
use crate::api::ApiError;
use crate::mcp::{Completion, CompletionRequest, LibraryError, Reference};

/// Where the suggestions for one argument come from.
enum Source {
    Firms,
    Parties { plural: &'static str, give: Give },
    Nothing,
}

/// What a customer or supplier suggestion is written as.
#[derive(Clone, Copy)]
enum Give {
    Names,
    Ids,
}

const CUSTOMERS: &str = "customers";
const SUPPLIERS: &str = "suppliers";

pub fn complete(
    library: &Library,
    request: &CompletionRequest,
) -> Result<Completion, LibraryError> {
    match source(request)? {
        Source::Firms => firms(library, request.value),
        Source::Parties { plural, give } => parties(library, request, plural, give),
        Source::Nothing => Ok(Completion {
            values: Vec::new(),
            total: Some(0),
            has_more: false,
        }),
    }
}

/// Which suggestions fit the argument; an unknown prompt, template or argument is refused.
fn source(request: &CompletionRequest) -> Result<Source, LibraryError> {
    let argument = request.argument;
    let invalid = |message: String| Err(LibraryError::InvalidParams(message));
    match request.reference {
        Reference::Prompt(name) => {
            let prompt = prompts::find(name)?;
            if !prompt.arguments.iter().any(|known| known.name == argument) {
                return invalid(format!("prompt {name} has no argument `{argument}`"));
            }
            Ok(match argument {
                "firm_id" => Source::Firms,
                "customer" => Source::Parties {
                    plural: CUSTOMERS,
                    give: Give::Names,
                },
                "supplier" => Source::Parties {
                    plural: SUPPLIERS,
                    give: Give::Names,
                },
                _ => Source::Nothing,
            })
        }
        Reference::Resource(uri) => {
            let Some(kind) = RECORD_KINDS.iter().find(|kind| kind.uri_template() == uri) else {
                return invalid(format!(
                    "{uri} is not a resource template of this server \
                     (resources/templates/list shows them)"
                ));
            };
            if argument == "firm_id" {
                Ok(Source::Firms)
            } else if argument != kind.variable {
                invalid(format!("the template {uri} has no variable `{argument}`"))
            } else if matches!(kind.plural, CUSTOMERS | SUPPLIERS) {
                Ok(Source::Parties {
                    plural: kind.plural,
                    give: Give::Ids,
                })
            } else {
                Ok(Source::Nothing)
            }
        }
    }
}

/// The account's firms whose name contains, or whose id starts with, what was typed.
fn firms(library: &Library, typed: &str) -> Result<Completion, LibraryError> {
    let (account, _) = library
        .get_json("completion/complete", "/account.json".into(), Vec::new())
        .map_err(failed)?;
    let typed = typed.trim();
    let firms: Vec<(String, String)> = account["firms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|firm| {
            let id = firm["id"].as_u64()?.to_string();
            let name = firm["name"].as_str().unwrap_or_default().to_string();
            Some((id, name))
        })
        .filter(|(id, name)| id.starts_with(typed) || contains(name, typed))
        .collect();
    let values = ranked(firms, typed, |(id, name)| {
        id.starts_with(typed) || starts_with(name, typed)
    })
    .into_iter()
    .map(|(id, _)| id)
    .collect::<Vec<_>>();
    let total = values.len() as u64;
    Ok(Completion {
        values,
        total: Some(total),
        has_more: false,
    })
}

/// Customers or suppliers whose company name contains what was typed (the API's
/// `company` filter), one page of them, names starting with it first.
fn parties(
    library: &Library,
    request: &CompletionRequest,
    plural: &str,
    give: Give,
) -> Result<Completion, LibraryError> {
    let firm = match request.context.get("firm_id") {
        Some(given) => positive_id(given.trim()).ok_or_else(|| {
            LibraryError::InvalidParams(format!(
                "`firm_id` in the context must be a positive integer, got {given:?}"
            ))
        })?,
        None => library
            .default_firm()
            .ok_or_else(|| LibraryError::InvalidParams(ApiError::NoFirm.to_string()))?,
    };
    let typed = request.value.trim();
    let query = if typed.is_empty() {
        Vec::new()
    } else {
        vec![("company".to_string(), typed.to_string())]
    };
    let (records, pagination) = library
        .get_json(
            "completion/complete",
            format!("/firms/{firm}/{plural}.json"),
            query,
        )
        .map_err(failed)?;
    let found: Vec<(u64, String)> = records
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|record| {
            let id = record["id"].as_u64()?;
            let name = record["company_name"].as_str().unwrap_or_default();
            Some((id, name.to_string()))
        })
        .collect();
    let on_page = found.len() as u64;
    let found = ranked(found, typed, |(_, name)| starts_with(name, typed));
    let mut values: Vec<String> = match give {
        Give::Ids => found.into_iter().map(|(id, _)| id.to_string()).collect(),
        Give::Names => found.into_iter().map(|(_, name)| name).collect(),
    };
    // Two customers may share a name; the user picks a name once.
    let mut seen = std::collections::HashSet::new();
    values.retain(|value| !value.is_empty() && seen.insert(value.clone()));
    let total = pagination.map_or(on_page, |pagination| pagination.total_entries);
    Ok(Completion {
        has_more: total > on_page,
        values,
        total: Some(total),
    })
}

/// The matches, those `first` picks ahead of the rest, each group in the API's order.
fn ranked<T>(items: Vec<T>, typed: &str, first: impl Fn(&T) -> bool) -> Vec<T> {
    if typed.is_empty() {
        return items;
    }
    let (mut leading, rest): (Vec<T>, Vec<T>) = items.into_iter().partition(|item| first(item));
    leading.extend(rest);
    leading
}

fn starts_with(name: &str, typed: &str) -> bool {
    name.to_lowercase().starts_with(&typed.to_lowercase())
}

fn contains(name: &str, typed: &str) -> bool {
    name.to_lowercase().contains(&typed.to_lowercase())
}

fn failed(error: ApiError) -> LibraryError {
    LibraryError::Failed(format!("could not look up suggestions: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::Arguments;

    fn request<'a>(reference: Reference<'a>, argument: &'a str) -> CompletionRequest<'a> {
        CompletionRequest {
            reference,
            argument,
            value: "",
            context: Arguments::new(),
        }
    }

    #[test]
    fn each_argument_gets_its_own_kind_of_suggestion() {
        let prompt = |argument| source(&request(Reference::Prompt("invoice_customer"), argument));
        assert!(matches!(
            prompt("customer"),
            Ok(Source::Parties {
                plural: CUSTOMERS,
                give: Give::Names
            })
        ));
        assert!(matches!(prompt("firm_id"), Ok(Source::Firms)));
        assert!(matches!(prompt("work"), Ok(Source::Nothing)));
        assert!(matches!(
            prompt("supplier"),
            Err(LibraryError::InvalidParams(_))
        ));

        let template = |uri, argument| source(&request(Reference::Resource(uri), argument));
        let suppliers = "facturation-pro://firms/{firm_id}/suppliers/{supplier_id}";
        assert!(matches!(
            template(suppliers, "supplier_id"),
            Ok(Source::Parties {
                plural: SUPPLIERS,
                give: Give::Ids
            })
        ));
        assert!(matches!(template(suppliers, "firm_id"), Ok(Source::Firms)));
        assert!(matches!(
            template(suppliers, "invoice_id"),
            Err(LibraryError::InvalidParams(_))
        ));
        let invoices = "facturation-pro://firms/{firm_id}/invoices/{invoice_id}";
        assert!(matches!(
            template(invoices, "invoice_id"),
            Ok(Source::Nothing)
        ));
        assert!(matches!(
            template("facturation-pro://account", "x"),
            Err(LibraryError::InvalidParams(_))
        ));
        assert!(matches!(
            source(&request(Reference::Prompt("nope"), "customer")),
            Err(LibraryError::InvalidParams(_))
        ));
    }

    #[test]
    fn names_starting_with_what_was_typed_come_first() {
        let names = vec!["Les Amis d'Acme", "Acme SAS", "Acmé Bis"];
        assert_eq!(
            ranked(names, "acm", |name| starts_with(name, "acm")),
            ["Acme SAS", "Acmé Bis", "Les Amis d'Acme"]
        );
    }
}
