//! Sending a quote or a finalized invoice by e-mail, `POST /firms/{firm}/emails.json?bill_id=`.
//!
//! Nothing leaves the emulator: each message is recorded (see `Emulator::sent_emails`) with
//! the addresses, subject and text the service would have used.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Map, json};

use super::body::json_object;
use super::clock;
use super::customers;
use super::engine::Reply;
use super::error::{ApiError, FieldErrors, push_error};
use super::fields::{flag, text};
use super::invoices::INVOICES;
use super::listing::integer_param;
use super::query::QueryParams;
use super::quotes::QUOTES;
use super::server::App;
use super::state::lock;

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route("/firms/{firm}/emails.json", post(send))
}

/// The members a client may set; every one is optional.
const MEMBERS: &[&str] = &["to", "cc", "bcc", "subject", "message"];

async fn send(
    State(app): State<Arc<App>>,
    Path(firm): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let mut store = lock(&app.store);
    let firm_id = store.firm(&firm)?.id;
    let params = QueryParams::new(uri.query());
    let bill_id = integer_param(&params, "bill_id")?.ok_or_else(|| {
        ApiError::invalid_field(
            "bill_id",
            "can't be blank: say which quote or invoice to send",
        )
    })?;
    // Every member is optional, so an empty body needs no content type.
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        json_object(&headers, &body)?
    };
    let firm = store.firm(&firm)?;
    let bill_id = u64::try_from(bill_id).map_err(|_| ApiError::record_not_found())?;
    let (kind, bill) = match firm.find(QUOTES.name, bill_id) {
        Some(quote) => ("quote", quote),
        None => ("invoice", firm.get(INVOICES.name, bill_id)?),
    };
    let fields = &bill.fields;
    if kind == "invoice" && (flag(fields, "draft") || flag(fields, "external")) {
        return Err(ApiError::invalid_field(
            "base",
            "Only finalized invoices can be sent; drafts and external invoices cannot",
        ));
    }
    let mut errors = FieldErrors::new();
    for member in MEMBERS {
        if let Some(value) = input.get(*member)
            && !(value.is_string() || value.is_null())
        {
            push_error(&mut errors, member, "must be a string");
        }
    }
    let given = |name: &str| text(&input, name).map(str::to_owned);
    // Without `to`, the customer's billing address (or main address) is used.
    let customer = customers::of_document(firm, fields);
    let to = given("to").or_else(|| {
        let customer = &customer?.fields;
        text(customer, "invoice_email")
            .or_else(|| text(customer, "email"))
            .map(str::to_owned)
    });
    match &to {
        None => push_error(
            &mut errors,
            "to",
            "can't be blank: the customer has no e-mail address",
        ),
        Some(to) => check_addresses(&mut errors, "to", to),
    }
    for member in ["cc", "bcc"] {
        if let Some(addresses) = given(member) {
            check_addresses(&mut errors, member, &addresses);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let (template, default_subject, default_message) = template(kind, bill);
    let email = json!({
        "firm_id": firm_id,
        "bill_id": bill_id,
        "bill_type": kind,
        "template": template,
        "to": to,
        "cc": given("cc"),
        "bcc": given("bcc"),
        "subject": given("subject").unwrap_or(default_subject),
        "message": given("message").unwrap_or(default_message),
        "sent_at": clock::now_timestamp(),
    });
    store.emails.push(email);
    Ok(StatusCode::CREATED.into_response())
}

/// Addresses are separated by commas or semicolons; each needs text on both sides of an `@`.
fn check_addresses(errors: &mut FieldErrors, member: &str, addresses: &str) {
    let valid = addresses.split([',', ';']).map(str::trim).all(|address| {
        address.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !address.contains(' ')
        })
    });
    if !valid {
        push_error(
            errors,
            member,
            "must be e-mail addresses separated by commas",
        );
    }
}

/// The service picks a message model from the document's state: quote, invoice, reminder
/// (unpaid past its due date) or payment confirmation.
fn template(kind: &str, bill: &super::state::Record) -> (&'static str, String, String) {
    let fields = &bill.fields;
    if kind == "quote" {
        let number = &fields["quote_ref"];
        return (
            "quote",
            format!("Devis n° {number}"),
            format!("Bonjour,\n\nVous trouverez ci-joint notre devis n° {number}.\n\nCordialement"),
        );
    }
    let number = fields["invoice_ref"].as_str().unwrap_or("");
    let due = fields["term_on"].as_str().unwrap_or("");
    if !fields["paid_on"].is_null() {
        (
            "payment_confirmation",
            format!("Facture n° {number} réglée"),
            format!(
                "Bonjour,\n\nNous confirmons la bonne réception du règlement de la facture n° {number}.\n\nCordialement"
            ),
        )
    } else if !due.is_empty() && due < clock::today().as_str() {
        (
            "reminder",
            format!("Relance : facture n° {number}"),
            format!(
                "Bonjour,\n\nSauf erreur de notre part, la facture n° {number} échue le {due} reste à régler.\n\nCordialement"
            ),
        )
    } else {
        (
            "invoice",
            format!("Facture n° {number}"),
            format!(
                "Bonjour,\n\nVous trouverez ci-joint la facture n° {number}, à régler avant le {due}.\n\nCordialement"
            ),
        )
    }
}
