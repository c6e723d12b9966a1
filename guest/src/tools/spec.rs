//! The vocabulary of the declarative tool table: what a tool is, where each argument goes in
//! the HTTP request, and what shape the answer takes. The table itself is in `catalog.rs`.

use crate::api::Method;

/// One allowed value of a fixed list, with its meaning for the model.
pub struct Choice {
    pub value: &'static str,
    pub meaning: &'static str,
}

#[derive(Clone, Copy)]
pub enum FieldType {
    /// Free text, with the column's maximum length when the reference gives one.
    Text(Option<u32>),
    Integer,
    /// Decimal amounts and rates.
    Number,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// A date and time, as the API formats it (read-only fields).
    DateTime,
    /// Two upper-case letters (ISO 3166-1 alpha-2).
    Country,
    /// One of the listed string values, enforced.
    OneOf(&'static [Choice]),
    /// One of the listed strings, enforced, glosses omitted (long code lists).
    Code(&'static [&'static str]),
    /// Free text with documented usual values (the list does not restrict).
    Suggested(&'static [Choice]),
    /// A list of objects.
    List,
}

/// A field of an API record: how it is typed and whether a client may write it.
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
    pub writable: bool,
}

/// A query-string parameter of a route (filters, sorting, paging).
pub struct QueryParam {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
}

/// What a tool does to the user's data; drives the MCP annotations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Create,
    Update,
    Delete,
}

/// How the API's answer is turned into the tool result.
pub enum Output {
    /// One record, returned as the structured result.
    Record(&'static [Field]),
    /// A page of records under `key`, with the pagination the API reported.
    Page {
        key: &'static str,
        fields: &'static [Field],
    },
    /// The API answers with no body; we confirm what was done to which id (`verb`: `deleted`...).
    Done { verb: &'static str },
}

pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub effect: Effect,
    pub method: Method,
    /// Route template. `{firm_id}` is filled from the argument or the configured firm; any
    /// other `{name_id}` is a required integer argument.
    pub path: &'static str,
    pub query: &'static [QueryParam],
    /// The record's field table: its writable fields are accepted as top-level arguments
    /// and sent as the JSON body. Empty for tools that send no body.
    pub body: &'static [Field],
    /// Body fields the API cannot do without (JSON Schema `required`).
    pub required_body: &'static [&'static str],
    pub output: Output,
}

impl ToolSpec {
    /// Placeholder names of the path template, in order (`firm_id`, `customer_id`...).
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
    }

    pub fn is_firm_scoped(&self) -> bool {
        self.path.starts_with("/firms/{firm_id}")
    }
}
