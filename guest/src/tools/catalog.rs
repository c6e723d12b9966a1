//! The tool table: one entry per tool. Adding an API route means adding an entry here;
//! the executor and the schema builder do the rest.

use super::fields::{ACCOUNT, CUSTOMER};
use super::spec::{Effect, FieldType::*, Output, QueryParam, ToolSpec};
use super::values::{CUSTOMER_MODES, CUSTOMER_ORDERS, SORT_DIRECTIONS};
use crate::api::Method;

const fn query(
    name: &'static str,
    ty: super::spec::FieldType,
    description: &'static str,
) -> QueryParam {
    QueryParam {
        name,
        ty,
        description,
    }
}

const PAGE: QueryParam = query(
    "page",
    Integer,
    "Page number, from 1; each page holds up to 50 records",
);

const CUSTOMER_FILTERS: &[QueryParam] = &[
    PAGE,
    query(
        "api_id",
        Integer,
        "Only the customer with exactly this api_id",
    ),
    query("api_custom", Text(None), "api_custom contains this text"),
    query("company", Text(None), "Company name contains this text"),
    query("last_name", Text(None), "Last name contains this text"),
    query("email", Text(None), "Email contains this text"),
    query(
        "category_id",
        Integer,
        "Only this category; 0 for customers without a category",
    ),
    query(
        "account_code",
        Text(None),
        "Customer account code contains this text",
    ),
    query(
        "accounting_entry",
        Text(None),
        "Default accounting entry code contains this text",
    ),
    query(
        "with_sepa",
        Boolean,
        "Include SEPA data (administrator's API key only)",
    ),
    query(
        "mode",
        OneOf(CUSTOMER_MODES),
        "Which customers; active ones (both kinds) when omitted",
    ),
    query("sort", OneOf(SORT_DIRECTIONS), "Sort direction"),
    query(
        "order",
        OneOf(CUSTOMER_ORDERS),
        "Sort key; by short name when omitted",
    ),
];

pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "get_account",
        title: "Get account and firms",
        description: "Shows the Facturation.PRO account behind the API key and the firms it can \
            work on. Use a firm's id as `firm_id` in the other tools.",
        effect: Effect::Read,
        method: Method::Get,
        path: "/account.json",
        query: &[],
        body: &[],
        required_body: &[],
        output: Output::Record(ACCOUNT),
    },
    ToolSpec {
        name: "list_customers",
        title: "List customers",
        description: "Lists the firm's customers, 50 per page, with filters. Archived customers \
            are left out unless `mode` asks for them.",
        effect: Effect::Read,
        method: Method::Get,
        path: "/firms/{firm_id}/customers.json",
        query: CUSTOMER_FILTERS,
        body: &[],
        required_body: &[],
        output: Output::Page {
            key: "customers",
            fields: CUSTOMER,
        },
    },
    ToolSpec {
        name: "get_customer",
        title: "Get a customer",
        description: "Shows one customer with all its fields.",
        effect: Effect::Read,
        method: Method::Get,
        path: "/firms/{firm_id}/customers/{customer_id}.json",
        query: &[query(
            "with_sepa",
            Boolean,
            "Include SEPA data (administrator's API key only)",
        )],
        body: &[],
        required_body: &[],
        output: Output::Record(CUSTOMER),
    },
    ToolSpec {
        name: "create_customer",
        title: "Create a customer",
        description: "Creates a customer and returns it with its new id. Give `company_name` \
            for a business, or `individual: true` with first and last name for a private person.",
        effect: Effect::Create,
        method: Method::Post,
        path: "/firms/{firm_id}/customers.json",
        query: &[],
        body: CUSTOMER,
        required_body: &[],
        output: Output::Record(CUSTOMER),
    },
    ToolSpec {
        name: "update_customer",
        title: "Update a customer",
        description: "Changes the given fields of a customer; fields left out keep their value.",
        effect: Effect::Update,
        method: Method::Patch,
        path: "/firms/{firm_id}/customers/{customer_id}.json",
        query: &[],
        body: CUSTOMER,
        required_body: &[],
        output: Output::Done { verb: "updated" },
    },
    ToolSpec {
        name: "delete_customer",
        title: "Delete a customer",
        description: "Deletes a customer and its quotes, for good. The API refuses when the \
            customer has ever been invoiced; archive it instead.",
        effect: Effect::Delete,
        method: Method::Delete,
        path: "/firms/{firm_id}/customers/{customer_id}.json",
        query: &[],
        body: &[],
        required_body: &[],
        output: Output::Done { verb: "deleted" },
    },
];
