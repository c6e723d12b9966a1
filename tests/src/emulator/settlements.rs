//! Settlements of an invoice, `/firms/{firm}/invoices/{invoice_id}/settlements`: payments
//! recorded one by one (different payment modes); once they cover the total the invoice is
//! paid, and deleting one of them makes it unpaid again.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::amount;
use super::body::json_object;
use super::clock;
use super::engine::{
    Behaviour, Draft, Reply, Resource, Shape, X_PAGINATION, bare_id, json_id, origin,
};
use super::error::ApiError;
use super::fields::{Field, Kind, MONEY, default, flag, read, string, write};
use super::invoices::{self, INVOICES};
use super::listing::{Key, ListSpec};
use super::pagination::{paginate, requested_page};
use super::query::QueryParams;
use super::server::App;
use super::state::{Firm, Record, lock};
use super::values::SALE_PAYMENT_MODES;

/// The reference lists no fields for settlements; these are the ones its examples show.
const FIELDS: &[Field] = &[
    read("id"),
    read("invoice_id"),
    write("total", MONEY),
    write("payment_mode", Kind::Coded(SALE_PAYMENT_MODES)),
    write("paid_on", Kind::Date),
    write("payment_ref", string(255)),
];

pub(crate) static SETTLEMENTS: Resource = Resource {
    name: "settlements",
    fields: &[FIELDS],
    list: ListSpec {
        filters: &[],
        orders: &[],
        default_order: (Key::Field("id"), false),
    },
    behaviour: &SettlementRules,
    read_only: false,
};

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/firms/{firm}/invoices/{id}/settlements.json",
            get(list).post(create),
        )
        .route(
            "/firms/{firm}/invoices/{id}/settlements/{file}",
            get(show).delete(destroy),
        )
}

/// The settlements of an invoice, in the order they were recorded.
pub(crate) fn of_invoice(firm: &Firm, invoice: u64) -> Vec<u64> {
    firm.ids_where(SETTLEMENTS.name, |settlement| {
        settlement.fields["invoice_id"].as_u64() == Some(invoice)
    })
}

struct SettlementRules;

impl Behaviour for SettlementRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        default(&mut draft.record, "paid_on", json!(clock::today()));
        let invoice = draft.record["invoice_id"]
            .as_u64()
            .and_then(|id| draft.firm.find(INVOICES.name, id));
        let Some(invoice) = invoice else {
            draft.error("invoice_id", "does not match any invoice of this firm");
            return;
        };
        if flag(&invoice.fields, "draft") {
            draft.error(
                "base",
                "A draft invoice cannot be settled; finalize it first",
            );
        }
        match draft.record["payment_mode"].as_i64() {
            None | Some(0) => draft.error("payment_mode", "can't be blank: say how it was paid"),
            Some(_) => {}
        }
        match draft.record["total"]
            .as_str()
            .and_then(|total| total.parse::<f64>().ok())
        {
            None => draft.error("total", "can't be blank"),
            Some(total) if total <= 0.0 => draft.error("total", "must be greater than 0"),
            Some(total) => {
                let due = invoices::balance(draft.firm, invoice);
                if total > due + 0.005 {
                    let message = format!(
                        "exceeds the amount still due on the invoice ({})",
                        amount::format(due, amount::MONEY)
                    );
                    draft.error("total", message);
                }
            }
        }
    }

    fn after_write(&self, firm: &mut Firm, id: u64) {
        if let Some(invoice) = firm.find(SETTLEMENTS.name, id).and_then(invoice_of) {
            invoices::sync_payment(firm, invoice);
        }
    }

    fn after_delete(&self, firm: &mut Firm, record: &Record) {
        if let Some(invoice) = invoice_of(record) {
            invoices::sync_payment(firm, invoice);
        }
    }
}

fn invoice_of(settlement: &Record) -> Option<u64> {
    settlement.fields["invoice_id"].as_u64()
}

type InvoicePath = (String, String);

async fn list(
    State(app): State<Arc<App>>,
    Path((firm, invoice)): Path<InvoicePath>,
    uri: Uri,
) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let invoice = firm.get(INVOICES.name, bare_id(&invoice)?)?.id();
    let params = QueryParams::new(uri.query());
    let found: Vec<&Record> = of_invoice(firm, invoice)
        .into_iter()
        .filter_map(|id| firm.find(SETTLEMENTS.name, id))
        .collect();
    let page = paginate(found, requested_page(&params)?);
    let body: Vec<Value> = page
        .items
        .iter()
        .map(|settlement| Value::Object(settlement.fields.clone()))
        .collect();
    Ok(([(X_PAGINATION, page.header)], Json(body)).into_response())
}

async fn create(
    State(app): State<Arc<App>>,
    Path((firm, invoice)): Path<InvoicePath>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let mut store = lock(&app.store);
    let (firm, ids) = store.firm_mut(&firm)?;
    let invoice = firm.get(INVOICES.name, bare_id(&invoice)?)?.id();
    let input: Map<String, Value> = json_object(&headers, &body)?;
    // The invoice comes from the URL; an `invoice_id` in the body is not needed.
    let params = QueryParams::new(None);
    let id = SETTLEMENTS.create_with(
        firm,
        ids,
        &params,
        &input,
        &[("invoice_id", json!(invoice))],
    )?;
    let location = format!(
        "/firms/{}/invoices/{invoice}/settlements/{id}.json",
        firm.id
    );
    let shape = Shape {
        list: false,
        params: &params,
        origin: &origin(&headers),
    };
    let view = SETTLEMENTS.view(firm, firm.get(SETTLEMENTS.name, id)?, &shape);
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(view)).into_response())
}

/// The settlement, provided it belongs to the invoice of the URL.
fn settlement_of<'f>(firm: &'f Firm, invoice: &str, file: &str) -> Result<&'f Record, ApiError> {
    let invoice = firm.get(INVOICES.name, bare_id(invoice)?)?.id();
    let settlement = firm.get(SETTLEMENTS.name, json_id(file)?)?;
    if invoice_of(settlement) == Some(invoice) {
        Ok(settlement)
    } else {
        Err(ApiError::record_not_found())
    }
}

async fn show(
    State(app): State<Arc<App>>,
    Path((firm, invoice, file)): Path<(String, String, String)>,
) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let settlement = settlement_of(firm, &invoice, &file)?;
    Ok(Json(Value::Object(settlement.fields.clone())).into_response())
}

async fn destroy(
    State(app): State<Arc<App>>,
    Path((firm, invoice, file)): Path<(String, String, String)>,
) -> Reply {
    let mut store = lock(&app.store);
    let (firm, _) = store.firm_mut(&firm)?;
    let id = settlement_of(firm, &invoice, &file)?.id();
    SETTLEMENTS.delete(firm, id)?;
    Ok(StatusCode::OK.into_response())
}
