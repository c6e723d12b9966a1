//! The vocabulary of the declarative tool table: what a tool is, where each argument goes in
//! the HTTP request, and what shape the answer takes. The table itself is in `catalog.rs`.

/// The HTTP methods the API's routes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// One allowed value of a fixed list, with its meaning for the model (empty when the value
/// says it all, like `paid` or `created`).
pub struct Choice {
    pub value: &'static str,
    pub meaning: &'static str,
}

#[derive(Clone, Copy)]
pub enum FieldType {
    /// Free text, with the column's maximum length when the reference gives one.
    Text(Option<u32>),
    Integer,
    /// A positive integer: a record's id, a page number.
    Positive,
    /// An integer from the first bound to the second, both included.
    Range(i64, i64),
    /// Decimal amounts and rates: a JSON number, or a decimal written as text (`"1250.50"`,
    /// or with a French decimal comma, `"16,39"`), as the API itself writes them.
    Number,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// A date and time, as the API formats it.
    DateTime,
    /// `YYYY-MM` or `YYYY-MM-DD`, as period filters accept.
    Period,
    /// File content in standard base64, padded, as the schema's pattern spells it.
    Base64,
    /// Two upper-case letters (ISO 3166-1 alpha-2).
    Country,
    /// One of the listed string values, enforced.
    OneOf(&'static [Choice]),
    /// One of the listed integer codes (values written as decimal strings), enforced.
    IntOneOf(&'static [Choice]),
    /// A three-letter currency code (ISO 4217). The list the service takes is long (see
    /// `values::CURRENCIES`, published as a resource); the shape is checked here and
    /// membership by the API, which answers an unknown code with a 422 and changes nothing.
    Currency,
    /// Free text with documented usual values (the list does not restrict). The field's
    /// description teaches the values; a test checks that it names every one.
    Suggested(&'static [Choice]),
    /// A list of objects the API returns (files, settlements, firms).
    List,
    /// Document lines (`items`): a list of objects with the given fields.
    Lines(&'static [Field]),
}

/// A field of an API record: how it is typed and whether a client may write it.
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
    pub writable: bool,
}

/// A record's columns, as groups: records that share columns share the groups.
pub type Fields = &'static [&'static [Field]];

pub fn each_field(fields: Fields) -> impl Iterator<Item = &'static Field> {
    fields.iter().flat_map(|group| group.iter())
}

/// A query-string parameter of a route (filters, sorting, paging, flags).
pub struct QueryParam {
    /// The tool argument's name.
    pub name: &'static str,
    /// The name the API expects, when it differs (`quote_id` is sent as `bill_id`).
    pub api_name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
    pub required: bool,
}

/// What a tool does to the user's data; drives the MCP annotations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Create,
    Update,
    Delete,
    /// Cannot be undone, though nothing is deleted: sending an email, issuing a credit
    /// note, turning a quote into a final invoice.
    Irreversible,
}

/// What the request carries.
pub enum Body {
    None,
    /// The record's writable fields, as top-level tool arguments, sent as a JSON object.
    Json {
        fields: Fields,
        required: &'static [&'static str],
        /// The tool whose schema describes these fields, when another does (an update
        /// tool takes its create tool's fields): the model reads each meaning once.
        described_in: Option<&'static str>,
    },
    /// One file, as `multipart/form-data` part `upload_file`, read from the downloads folder
    /// (`path`) or given inline (`content_base64`).
    File,
}

/// How the API's answer becomes the tool result.
pub enum Output {
    /// One record, returned as the structured result.
    Record(Fields),
    /// A page of records under `key`, with the pagination the API reported.
    Page { key: &'static str, fields: Fields },
    /// The API answers with no useful body; we confirm `verb` for the record `id` names.
    Done {
        verb: &'static str,
        id: &'static str,
    },
    /// Bytes saved into the downloads folder (or returned inline), named after the
    /// server's file name or else this template, whose `{argument}`s are filled in.
    File { name: &'static str },
}

/// Groups of tools users can switch on and off, named after what they manage.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Toolset {
    Account,
    Customers,
    Categories,
    Quotes,
    Invoices,
    Settlements,
    Files,
    Suppliers,
    Products,
    Followups,
    Purchases,
}

impl Toolset {
    pub const ALL: [Toolset; 11] = [
        Toolset::Account,
        Toolset::Customers,
        Toolset::Categories,
        Toolset::Quotes,
        Toolset::Invoices,
        Toolset::Settlements,
        Toolset::Files,
        Toolset::Suppliers,
        Toolset::Products,
        Toolset::Followups,
        Toolset::Purchases,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Toolset::Account => "account",
            Toolset::Customers => "customers",
            Toolset::Categories => "categories",
            Toolset::Quotes => "quotes",
            Toolset::Invoices => "invoices",
            Toolset::Settlements => "settlements",
            Toolset::Files => "files",
            Toolset::Suppliers => "suppliers",
            Toolset::Products => "products",
            Toolset::Followups => "followups",
            Toolset::Purchases => "purchases",
        }
    }
}

/// When a call is irreversible depending on one argument, and what the user is told
/// before it goes ahead.
pub struct IrreversibleWhen {
    pub argument: &'static str,
    pub value: &'static str,
    /// Irreversible when the argument has the value (`update_invoice` with `type_doc:
    /// final`), or else when it has not (`create_invoice` is final unless `type_doc: draft`).
    pub when_equal: bool,
    pub warning: &'static str,
}

pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub toolset: Toolset,
    pub effect: Effect,
    pub method: Method,
    /// Route template. `{firm_id}` is filled from the argument or the configured firm; any
    /// other `{name_id}` is a required integer argument; `{order_url}` a path from the API.
    pub path: &'static str,
    pub query: &'static [QueryParam],
    pub body: Body,
    pub output: Output,
    /// What the user is told before a Delete or Irreversible call goes ahead.
    pub warning: &'static str,
    pub irreversible_when: Option<IrreversibleWhen>,
}

/// What the user is told, unless the tool says more.
pub const CANNOT_BE_UNDONE: &str = "This cannot be undone.";

impl ToolSpec {
    /// The warning to put to the user before this call, or None when it can be taken back
    /// (or put right) and needs no confirmation.
    pub fn irreversible(
        &self,
        arguments: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<&'static str> {
        match (self.effect, &self.irreversible_when) {
            (Effect::Delete | Effect::Irreversible, _) => Some(self.warning),
            (_, Some(rule))
                if (arguments.get(rule.argument).and_then(|v| v.as_str()) == Some(rule.value))
                    == rule.when_equal =>
            {
                Some(rule.warning)
            }
            _ => None,
        }
    }

    /// Whether some call of this tool cannot be undone (its `destructiveHint`).
    pub fn may_be_irreversible(&self) -> bool {
        matches!(self.effect, Effect::Delete | Effect::Irreversible)
            || self.irreversible_when.is_some()
    }

    /// Placeholder names of the path template, in order (`firm_id`, `customer_id`...).
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
    }

    /// The route as the vendor documents it: method, path template, and the query
    /// parameters that are part of the route (`emails.json?bill_id={quote_id}`).
    pub fn route(&self) -> String {
        let method = match self.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        };
        let query: Vec<String> = self
            .query
            .iter()
            .filter(|param| param.required)
            .map(|param| format!("{}={{{}}}", param.api_name, param.name))
            .collect();
        if query.is_empty() {
            format!("{method} {}", self.path)
        } else {
            format!("{method} {}?{}", self.path, query.join("&"))
        }
    }
}

/// Whether `null` is a value of this body field: an update (PATCH) clears a field with it,
/// which the API accepts for any writable field. A new record has nothing to clear, and a
/// document line is changed by its own fields or removed with `_destroy`.
pub fn clears_with_null(spec: &ToolSpec, field: &Field) -> bool {
    spec.method == Method::Patch && !matches!(field.ty, FieldType::Lines(_))
}

/// Writable fields sent as the JSON body.
pub fn body_fields(spec: &ToolSpec) -> impl Iterator<Item = &'static Field> {
    let fields = match spec.body {
        Body::Json { fields, .. } => fields,
        Body::None | Body::File => &[],
    };
    each_field(fields).filter(|field| field.writable)
}
