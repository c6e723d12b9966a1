//! The `facturation-pro://` resources: the account and its firms, the reference's value
//! lists, and single records through URI templates. What each URI means, how it is
//! checked before anything is sent, and how long a client may keep what it read.

use facturation_pro_catalog::values::{ListValues, VALUE_LISTS, ValueList};
use serde_json::{Value, json};

use super::downloads::Downloads;
use super::{Library, positive_id};
use crate::api::ApiError;
use crate::mcp::{CacheScope, Cached, LibraryError};

pub const SCHEME: &str = "facturation-pro://";
const ACCOUNT_URI: &str = "facturation-pro://account";
const JSON: &str = "application/json";

/// Fixed content (value lists, templates) changes only with a new release of the server.
const FIXED_TTL_MS: u64 = 60 * 60 * 1000;
/// Firms are rarely added to an account; a few minutes of reuse saves requests.
const ACCOUNT_TTL_MS: u64 = 5 * 60 * 1000;
/// Records change with every tool call that edits them, and files with every download:
/// clients should read them again each time.
pub const CHANGING_TTL_MS: u64 = 0;

/// A kind of record readable through the template
/// `facturation-pro://firms/{firm_id}/<plural>/{<variable>}`.
pub struct RecordKind {
    /// The API's path segment, which is also the URI's.
    pub plural: &'static str,
    /// The template variable holding the record's id, named as the tools name it.
    pub variable: &'static str,
    title: &'static str,
}

pub const RECORD_KINDS: &[RecordKind] = &[
    RecordKind {
        plural: "invoices",
        variable: "invoice_id",
        title: "Invoice (facture) or credit note (avoir)",
    },
    RecordKind {
        plural: "quotes",
        variable: "quote_id",
        title: "Quote (devis)",
    },
    RecordKind {
        plural: "customers",
        variable: "customer_id",
        title: "Customer (client)",
    },
    RecordKind {
        plural: "suppliers",
        variable: "supplier_id",
        title: "Supplier (fournisseur)",
    },
    RecordKind {
        plural: "purchases",
        variable: "purchase_id",
        title: "Purchase (achat)",
    },
    RecordKind {
        plural: "products",
        variable: "product_id",
        title: "Product (produit)",
    },
];

impl RecordKind {
    pub fn uri_template(&self) -> String {
        format!(
            "{SCHEME}firms/{{firm_id}}/{}/{{{}}}",
            self.plural, self.variable
        )
    }
}

/// What a `facturation-pro://` URI names.
#[derive(Debug, PartialEq)]
enum Address {
    Account,
    Values(&'static str),
    Record {
        kind: &'static str,
        firm_id: u64,
        id: u64,
    },
}

/// The account, every value list, then the downloaded files (when there is a folder).
/// The file names are the user's own data, so a list that can hold them is private.
pub fn list(downloads: Option<&Downloads>) -> Cached<Vec<Value>> {
    let mut resources = vec![json!({
        "uri": ACCOUNT_URI,
        "name": "account",
        "title": "Account and firms / Compte et entreprises",
        "description": "The Facturation.PRO account behind the API key and the firms it can \
            work on; a firm's id is the `firm_id` of the tools and templates.",
        "mimeType": JSON,
    })];
    resources.extend(VALUE_LISTS.iter().map(|list| {
        json!({
            "uri": values_uri(list),
            "name": format!("values/{}", list.slug),
            "title": list.title,
            "description": format!("Allowed values, with their meaning, of {}.", list.used_by),
            "mimeType": JSON,
        })
    }));
    match downloads {
        Some(downloads) => {
            resources.extend(downloads.list());
            Cached {
                value: resources,
                ttl_ms: CHANGING_TTL_MS,
                scope: CacheScope::Private,
            }
        }
        None => Cached {
            value: resources,
            ttl_ms: FIXED_TTL_MS,
            scope: CacheScope::Public,
        },
    }
}

pub fn templates() -> Cached<Vec<Value>> {
    let templates = RECORD_KINDS
        .iter()
        .map(|kind| {
            json!({
                "uriTemplate": kind.uri_template(),
                "name": kind.plural,
                "title": kind.title,
                "description": format!(
                    "One record of the firm's {} as the API returns it. Both ids are positive \
                     integers; get_account lists the firms.",
                    kind.plural
                ),
                "mimeType": JSON,
            })
        })
        .collect();
    Cached {
        value: templates,
        ttl_ms: FIXED_TTL_MS,
        scope: CacheScope::Public,
    }
}

/// Reads a `facturation-pro://` resource; anything else is not ours.
pub fn read(library: &Library, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError> {
    let (text, ttl_ms, scope) = match parse(uri)? {
        Address::Account => {
            let account = fetch(library, uri, "/account.json".into())?;
            (account, ACCOUNT_TTL_MS, CacheScope::Private)
        }
        Address::Values(slug) => {
            let list = VALUE_LISTS
                .iter()
                .find(|list| list.slug == slug)
                .expect("parse only admits known slugs");
            (values_document(list), FIXED_TTL_MS, CacheScope::Public)
        }
        Address::Record { kind, firm_id, id } => {
            let record = fetch(library, uri, format!("/firms/{firm_id}/{kind}/{id}.json"))?;
            (record, CHANGING_TTL_MS, CacheScope::Private)
        }
    };
    let text = serde_json::to_string_pretty(&text).expect("JSON values serialise");
    Ok(Cached {
        value: vec![json!({ "uri": uri, "mimeType": JSON, "text": text })],
        ttl_ms,
        scope,
    })
}

fn values_uri(list: &ValueList) -> String {
    format!("{SCHEME}values/{}", list.slug)
}

/// A value list as its resource shows it: each value with what it means (bare codes,
/// such as currencies, have no gloss).
fn values_document(list: &ValueList) -> Value {
    let values: Vec<Value> = match list.values {
        ListValues::Choices(choices) => choices
            .iter()
            .map(|choice| json!({ "value": choice.value, "meaning": choice.meaning }))
            .collect(),
        ListValues::Codes(codes) => codes.iter().map(|code| json!({ "value": code })).collect(),
    };
    json!({ "title": list.title, "used_by": list.used_by, "values": values })
}

/// What a URI names, checked whole before anything is sent: a malformed id is the
/// caller's mistake (invalid params), an unknown shape names no resource.
fn parse(uri: &str) -> Result<Address, LibraryError> {
    let not_found = |reason: &str| LibraryError::ResourceNotFound {
        uri: uri.to_string(),
        reason: format!("{uri} {reason}"),
    };
    let Some(rest) = uri.strip_prefix(SCHEME) else {
        return Err(not_found(
            "is not a resource of this server (facturation-pro:// URIs, and file:// URIs \
             of downloaded files)",
        ));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["account"] => Ok(Address::Account),
        ["values", slug] => VALUE_LISTS
            .iter()
            .find(|list| list.slug == *slug)
            .map(|list| Address::Values(list.slug))
            .ok_or_else(|| not_found("is not a value list: resources/list shows them all")),
        ["firms", firm, plural, id] => {
            let kind = RECORD_KINDS
                .iter()
                .find(|kind| kind.plural == *plural)
                .ok_or_else(|| not_found("matches no resource template"))?;
            let invalid = |name: &str, given: &str| {
                LibraryError::InvalidParams(format!(
                    "in {uri}, `{name}` must be a positive integer, got {given:?}; nothing was sent"
                ))
            };
            let firm_id = positive_id(firm).ok_or_else(|| invalid("firm_id", firm))?;
            let id = positive_id(id).ok_or_else(|| invalid(kind.variable, id))?;
            Ok(Address::Record {
                kind: kind.plural,
                firm_id,
                id,
            })
        }
        _ => Err(not_found("matches no resource of this server")),
    }
}

/// GETs `path`; a 404 means the URI names nothing, any other failure is the API's.
fn fetch(library: &Library, uri: &str, path: String) -> Result<Value, LibraryError> {
    match library.get_json("resources/read", path, Vec::new()) {
        Ok((body, _)) => Ok(body),
        Err(ApiError::Status { status: 404, .. }) => Err(LibraryError::ResourceNotFound {
            uri: uri.to_string(),
            reason: format!("Facturation.PRO has no record at {uri}"),
        }),
        Err(error) => Err(LibraryError::Failed(format!("reading {uri}: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_uris_name_a_kind_a_firm_and_an_id() {
        assert_eq!(
            parse("facturation-pro://firms/1001/invoices/42"),
            Ok(Address::Record {
                kind: "invoices",
                firm_id: 1001,
                id: 42
            })
        );
        assert_eq!(parse("facturation-pro://account"), Ok(Address::Account));
        assert_eq!(
            parse("facturation-pro://values/currencies"),
            Ok(Address::Values("currencies"))
        );
    }

    #[test]
    fn ids_must_be_positive_integers_before_anything_is_sent() {
        for (uri, variable) in [
            ("facturation-pro://firms/0/quotes/1", "firm_id"),
            ("facturation-pro://firms/x/quotes/1", "firm_id"),
            ("facturation-pro://firms/1/quotes/-3", "quote_id"),
            ("facturation-pro://firms/1/quotes/+3", "quote_id"),
            ("facturation-pro://firms/1/quotes/3.0", "quote_id"),
            ("facturation-pro://firms/1/quotes/", "quote_id"),
            (
                "facturation-pro://firms/1/quotes/99999999999999999999999",
                "quote_id",
            ),
        ] {
            match parse(uri) {
                Err(LibraryError::InvalidParams(message)) => {
                    assert!(
                        message.contains(&format!("`{variable}`")),
                        "{uri}: {message}"
                    )
                }
                other => panic!("{uri}: {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_shapes_name_no_resource() {
        for uri in [
            "facturation-pro://",
            "facturation-pro://accounts",
            "facturation-pro://values/vat-rates",
            "facturation-pro://firms/1/settlements/2",
            "facturation-pro://firms/1/invoices/2/extra",
            "facturation-pro://firms/1/invoices/2.pdf",
            "https://www.facturation.pro/account.json",
        ] {
            assert!(
                matches!(
                    parse(uri),
                    Err(LibraryError::ResourceNotFound { .. })
                        | Err(LibraryError::InvalidParams(_))
                ),
                "{uri}"
            );
        }
        assert!(matches!(
            parse("https://www.facturation.pro/account.json"),
            Err(LibraryError::ResourceNotFound { .. })
        ));
    }

    #[test]
    fn every_value_list_is_listed_and_readable_without_the_api() {
        let listed = list(None);
        assert_eq!(listed.scope, CacheScope::Public);
        for value_list in VALUE_LISTS {
            let uri = values_uri(value_list);
            assert!(listed.value.iter().any(|resource| resource["uri"] == uri));
            assert_eq!(parse(&uri), Ok(Address::Values(value_list.slug)));
            let document = values_document(value_list);
            assert!(!document["values"].as_array().unwrap().is_empty(), "{uri}");
        }
    }

    #[test]
    fn templates_use_the_tools_id_names() {
        let templates = templates().value;
        assert_eq!(
            templates[0]["uriTemplate"],
            "facturation-pro://firms/{firm_id}/invoices/{invoice_id}"
        );
        assert_eq!(templates.len(), RECORD_KINDS.len());
    }
}
