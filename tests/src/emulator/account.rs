//! The user account and its subscription orders (the vendor's own invoices to the user).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::error::ApiError;
use super::pdf;
use super::server::{App, Caller};
use super::state::lock;

/// Subscription orders every firm shows. The uuid is the firm id in hex followed by a fixed
/// tail, so each firm has its own invoice URLs and one firm's URL is unknown to another.
struct Order {
    title: &'static str,
    amount: f64,
    payment_date: &'static str,
    uuid_tail: &'static str,
    refunded: bool,
}

const ORDERS: &[Order] = &[
    Order {
        title: "Abonnement Entreprise - 12 mois",
        amount: 48.0,
        payment_date: "2025-01-15",
        uuid_tail: "7d21-4a8e-9c3b-2f61e0a4b8d5",
        refunded: false,
    },
    Order {
        title: "Abonnement Premium - 12 mois",
        amount: 30.0,
        payment_date: "2024-01-15",
        uuid_tail: "1b9f-4e07-8a2c-93d4c5e6f701",
        refunded: false,
    },
    Order {
        title: "Abonnement Premium - 1 mois",
        amount: 3.0,
        payment_date: "2023-12-15",
        uuid_tail: "5e3a-4f1c-b7d9-0c8e2a6b4f13",
        refunded: true,
    },
];

fn order_uuid(firm_id: u64, order: &Order) -> String {
    format!("{firm_id:08x}-{}", order.uuid_tail)
}

pub(crate) fn routes() -> Router<Arc<App>> {
    // As for customers, `{file}` captures `uuid.pdf` whole and the handler splits it.
    Router::new()
        .route("/account.json", get(show))
        .route("/firms/{firm}/orders.json", get(orders))
        .route("/firms/{firm}/orders/{file}", get(order_pdf))
}

/// The account of the credentials the request carries, with its own firms only.
async fn show(State(app): State<Arc<App>>, Extension(caller): Extension<Caller>) -> Json<Value> {
    let account = app.account(caller);
    Json(lock(&app.store).account_json(account))
}

async fn orders(
    State(app): State<Arc<App>>,
    Path(firm): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&app.store);
    let firm_id = store.firm(&firm)?.id;
    let orders: Vec<Value> = ORDERS
        .iter()
        .map(|order| {
            json!({
                "title": order.title,
                "amount": order.amount,
                "payment_date": order.payment_date,
                "invoice_url": format!("/firms/{firm_id}/orders/{}.pdf", order_uuid(firm_id, order)),
                "refunded": order.refunded,
            })
        })
        .collect();
    Ok(Json(Value::Array(orders)))
}

async fn order_pdf(
    State(app): State<Arc<App>>,
    Path((firm, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let uuid = file
        .strip_suffix(".pdf")
        .ok_or_else(ApiError::record_not_found)?;
    let order = ORDERS
        .iter()
        .find(|order| order_uuid(firm.id, order) == uuid)
        .ok_or_else(ApiError::record_not_found)?;
    let lines = [
        "Facturation.PRO (emulator)".to_owned(),
        format!("Subscription invoice {uuid}"),
        format!("Customer: {} (firm {})", firm.name, firm.id),
        format!("Item: {}", order.title),
        format!(
            "Amount paid: {:.2} EUR on {}",
            order.amount, order.payment_date
        ),
        if order.refunded {
            "Refunded".to_owned()
        } else {
            "Paid".to_owned()
        },
    ];
    let disposition = format!("inline; filename=\"{uuid}.pdf\"");
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        pdf::text_document(&lines),
    )
        .into_response())
}
