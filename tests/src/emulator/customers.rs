//! Customer endpoints under `/firms/{firm}/customers`: the generic record routes plus
//! archiving, file uploads and the shortcuts to a customer's quotes and invoices.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;

use super::clock;
use super::customer_fields::{CustomerRules, FIELDS};
use super::engine::{Reply, Resource, bare_id};
use super::fields::flag;
use super::listing::{Filter, Key, ListSpec};
use super::server::App;
use super::state::{Firm, Record, lock};

pub(crate) static CUSTOMERS: Resource = Resource {
    name: "customers",
    fields: &[FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Choice {
                param: "mode",
                // Without a mode, only active customers are listed.
                default: Some(|_, customer| !customer.archived),
                choices: &[
                    ("all", |_, _| true),
                    ("company", |_, customer| {
                        !customer.archived && !flag(&customer.fields, "individual")
                    }),
                    ("individual", |_, customer| {
                        !customer.archived && flag(&customer.fields, "individual")
                    }),
                    ("archived", |_, customer| customer.archived),
                ],
            },
            Filter::Id("api_id", "api_id"),
            Filter::OptionalId("category_id", "category_id"),
            Filter::Contains("api_custom", "api_custom"),
            Filter::Contains("company", "company_name"),
            Filter::Contains("last_name", "last_name"),
            Filter::Contains("email", "email"),
            Filter::Contains("account_code", "account_code"),
            Filter::Contains("accounting_entry", "accounting_entry"),
        ],
        orders: &[
            ("last_invoice", Key::Field("last_invoiced_on")),
            ("last_paid", Key::Field("last_paid_on")),
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        // By default the list is alphabetical on the short name.
        default_order: (Key::Field("short_name"), false),
    },
    behaviour: &CustomerRules,
    read_only: false,
};

pub(crate) fn routes() -> Router<Arc<App>> {
    CUSTOMERS
        .routes()
        .route("/firms/{firm}/customers/{id}/archive.json", post(archive))
        .route(
            "/firms/{firm}/customers/{id}/unarchive.json",
            post(unarchive),
        )
        .route("/firms/{firm}/customers/{id}/quotes.json", get(quotes))
        .route("/firms/{firm}/customers/{id}/invoices.json", get(invoices))
}

/// The customer's company name, as documents show it (`customer_identity`).
pub(crate) fn identity(firm: &Firm, customer_id: Option<u64>) -> Value {
    customer_id
        .and_then(|id| firm.find(CUSTOMERS.name, id))
        .map_or(Value::Null, |customer| {
            customer.fields["company_name"].clone()
        })
}

/// The stored customer a document points at, if it still exists.
pub(crate) fn of_document<'f>(
    firm: &'f Firm,
    document: &serde_json::Map<String, Value>,
) -> Option<&'f Record> {
    document
        .get("customer_id")
        .and_then(Value::as_u64)
        .and_then(|id| firm.find(CUSTOMERS.name, id))
}

async fn archive(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    set_archived(&app, &path, true)
}

async fn unarchive(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    set_archived(&app, &path, false)
}

fn set_archived(app: &App, (firm, id): &(String, String), archived: bool) -> Reply {
    let mut store = lock(&app.store);
    let (firm, _) = store.firm_mut(firm)?;
    let customer = firm.get_mut(CUSTOMERS.name, bare_id(id)?)?;
    if customer.archived != archived {
        customer.archived = archived;
        customer.fields.insert(
            "updated_at".to_owned(),
            Value::String(clock::now_timestamp()),
        );
    }
    Ok(StatusCode::OK.into_response())
}

async fn quotes(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    redirect_to_list(&app, &path, "quotes")
}

async fn invoices(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    redirect_to_list(&app, &path, "invoices")
}

/// A customer's quotes and invoices are shortcuts: the service redirects to the firm-wide
/// list filtered on the customer.
fn redirect_to_list(app: &App, (firm, id): &(String, String), list: &str) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(firm)?;
    let id = bare_id(id)?;
    firm.get(CUSTOMERS.name, id)?;
    let location = format!("/firms/{}/{list}.json?customer_id={id}", firm.id);
    Ok((StatusCode::FOUND, [(LOCATION, location)]).into_response())
}
