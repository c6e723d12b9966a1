//! Invoices, `/firms/{firm}/invoices`: the generic record routes with the draft / finalized
//! life cycle, numbering, PDF downloads and credit notes.
//!
//! A draft (created with `type_doc=draft`) has no number and can be changed freely or
//! deleted. A finalized invoice gets the next number of the firm, keeps its amounts for good
//! and cannot be deleted: it is cancelled by a credit note (`refund.json`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::header::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::amount;
use super::bills::{self, BILL_FIELDS, Bill};
use super::clock;
use super::customers::CUSTOMERS;
use super::engine::{Behaviour, Draft, Reply, Resource, Shape, bare_id, origin};
use super::error::ApiError;
use super::fields::{self, Field, Kind, MONEY, TEXT, default, flag, read, string, write};
use super::listing::{Filter, Key, ListSpec, integer_param};
use super::pdf;
use super::query::QueryParams;
use super::server::App;
use super::settlements::{self, SETTLEMENTS};
use super::state::{Firm, IdSequence, Record, lock};
use super::values::{PAID_BY_CREDIT_NOTE, PAID_OTHERWISE, SALE_PAYMENT_MODES, label};

const INVOICE_FIELDS: &[Field] = &[
    read("quote_id"),
    read("invoice_ref"),
    write("external_ref", string(255)),
    read("full_invoice_ref"),
    write("payment_mode", Kind::Coded(SALE_PAYMENT_MODES)),
    write("paid_on", Kind::Date),
    write("payment_ref", string(255)),
    write("paid_in_main_currency", MONEY),
    read("refund_id"),
    read("pay_url"),
    read("balance"),
    read("external"),
    write("overdue_at", TEXT),
    read("settlements"),
    read("recurring_invoice_id"),
];

/// What a finalized invoice can no longer change: everything its amounts depend on.
const LOCKED_WHEN_FINAL: &[&str] = &[
    "customer_id",
    "currency",
    "rebate_percentage",
    "tax_percent",
];

fn is_draft(record: &Record) -> bool {
    flag(&record.fields, "draft")
}

fn is_paid(record: &Record) -> bool {
    !record.fields["paid_on"].is_null()
}

fn is_credit_note(record: &Record) -> bool {
    !record.fields["refund_id"].is_null()
}

fn is_overdue(record: &Record) -> bool {
    !is_draft(record)
        && !is_paid(record)
        && record.fields["term_on"]
            .as_str()
            .is_some_and(|term| term < clock::today().as_str())
}

/// The sequence number of a finalized invoice (`202510-7` → 7), for the default order.
fn number(_: &Firm, record: &Record) -> Value {
    record.fields["invoice_ref"]
        .as_str()
        .and_then(|reference| reference.rsplit('-').next())
        .and_then(|number| number.parse::<u64>().ok())
        .map_or(Value::Null, Value::from)
}

pub(crate) static INVOICES: Resource = Resource {
    name: "invoices",
    fields: &[BILL_FIELDS, INVOICE_FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Id("api_id", "api_id"),
            Filter::Contains("api_custom", "api_custom"),
            Filter::Contains("invoice_ref", "invoice_ref"),
            Filter::Equals("full_invoice_ref", "full_invoice_ref"),
            Filter::Contains("payment_ref", "payment_ref"),
            Filter::Contains("title", "title"),
            Filter::Id("customer_id", "customer_id"),
            Filter::Linked {
                param: "company",
                link: "customer_id",
                collection: "customers",
                field: "company_name",
            },
            Filter::Linked {
                param: "last_name",
                link: "customer_id",
                collection: "customers",
                field: "last_name",
            },
            Filter::Choice {
                param: "bill_type",
                default: None,
                choices: &[
                    ("paid", |_, invoice| is_paid(invoice)),
                    ("unpaid", |_, invoice| {
                        !is_draft(invoice) && !is_paid(invoice)
                    }),
                    ("term", |_, invoice| is_overdue(invoice)),
                    ("invoice", |_, invoice| {
                        !is_draft(invoice)
                            && !is_credit_note(invoice)
                            && !flag(&invoice.fields, "external")
                    }),
                    ("external", |_, invoice| flag(&invoice.fields, "external")),
                    ("refund", |_, invoice| is_credit_note(invoice)),
                    // Down payments and internal notes cannot be made through the API.
                    ("down_payment", |_, _| false),
                    ("draft", |_, invoice| is_draft(invoice)),
                    ("notes", |_, _| false),
                    ("nova", |_, invoice| {
                        flag(&invoice.fields, "service_personne")
                    }),
                ],
            },
            Filter::OptionalId("category_id", "category_id"),
            Filter::Id("followup_id", "followup_id"),
            Filter::Contains("accounting_entry", "accounting_entry"),
            Filter::Id("user_id", "user_id"),
            Filter::Period {
                field: "paid_on",
                billed: Some("invoiced_on"),
            },
        ],
        orders: &[
            ("customer", Key::Computed(bills::customer_short_name)),
            ("paid", Key::Field("paid_on")),
            ("total", Key::Field("total")),
            ("billed", Key::Field("invoiced_on")),
            ("term", Key::Field("term_on")),
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        default_order: (Key::Computed(number), true),
    },
    behaviour: &InvoiceRules,
    read_only: false,
};

pub(crate) fn routes() -> Router<Arc<App>> {
    INVOICES
        .routes()
        .route("/firms/{firm}/invoices/{id}/refund.json", post(refund))
}

struct InvoiceRules;

impl Behaviour for InvoiceRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        let was_final = draft
            .before
            .is_some_and(|before| !fields::flag(before, "draft"));
        let type_doc = if draft.trusted && draft.sets("draft") {
            // Direct insertion says it with the `draft` field itself.
            Some(if fields::flag(draft.input, "draft") {
                "draft"
            } else {
                "final"
            })
        } else {
            draft.params.get("type_doc")
        };
        match (type_doc, draft.before) {
            (None, None) | (Some("final"), _) => {
                draft.record.insert("draft".to_owned(), Value::Bool(false));
            }
            (Some("draft"), _) if was_final => {
                draft.error("type_doc", "a finalized invoice cannot go back to draft")
            }
            (Some("draft"), _) => {
                draft.record.insert("draft".to_owned(), Value::Bool(true));
            }
            (None, Some(_)) => {}
            (Some(_), _) => draft.error("type_doc", "must be draft or final"),
        }
        if draft.is_new() {
            let external = draft.params.get("external") == Some("1");
            draft
                .record
                .insert("external".to_owned(), Value::Bool(external));
            if external && fields::text(&draft.record, "external_ref").is_none() {
                draft.error(
                    "external_ref",
                    "can't be blank: give the number the invoice has in the other tool",
                );
            }
        }
        if was_final {
            check_locked(draft);
        }
        if fields::flag(&draft.record, "draft") && !draft.record["paid_on"].is_null() {
            draft.error("paid_on", "a draft cannot be paid; finalize it first");
        }
        default(&mut draft.record, "payment_mode", json!(0));
        bills::prepare(draft, Bill::Invoice, was_final);
    }

    /// Numbering when an invoice is finalized, and the customer's invoicing dates.
    fn commit(&self, firm: &mut Firm, _ids: &mut IdSequence, record: &mut Map<String, Value>) {
        if fields::flag(record, "draft") {
            return;
        }
        if fields::flag(record, "external") && record["invoice_ref"].is_null() {
            // An imported invoice keeps the number it has in the other tool and does not use
            // one of the firm's own numbers.
            let reference = record["external_ref"].clone();
            record.insert("invoice_ref".to_owned(), reference.clone());
            record.insert("full_invoice_ref".to_owned(), reference);
        }
        if record["invoice_ref"].is_null() {
            let month: String = record["invoiced_on"]
                .as_str()
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .take(6)
                .collect();
            let reference = format!("{month}-{}", firm.next_number("invoices"));
            record.insert("invoice_ref".to_owned(), json!(reference));
            // No numbering prefix is configured in the emulator.
            record.insert("full_invoice_ref".to_owned(), json!(reference));
        }
        let customer = record["customer_id"].as_u64();
        let dates = [
            ("last_invoiced_on", record["invoiced_on"].clone()),
            ("last_paid_on", record["paid_on"].clone()),
        ];
        if let Some(customer) = customer.and_then(|id| firm.get_mut(CUSTOMERS.name, id).ok()) {
            for (name, date) in dates {
                let later = match (&customer.fields[name], &date) {
                    (_, Value::Null) => false,
                    (Value::String(known), Value::String(new)) => new > known,
                    _ => true,
                };
                if later {
                    customer.fields.insert(name.to_owned(), date);
                }
            }
        }
    }

    fn check_delete(&self, _firm: &Firm, record: &Record) -> Result<(), ApiError> {
        if is_draft(record) {
            Ok(())
        } else {
            Err(ApiError::invalid_field(
                "base",
                "A finalized invoice cannot be deleted; cancel it with a credit note instead",
            ))
        }
    }

    fn after_delete(&self, firm: &mut Firm, record: &Record) {
        for settlement in settlements::of_invoice(firm, record.id()) {
            firm.remove(SETTLEMENTS.name, settlement);
        }
    }

    fn view(&self, firm: &Firm, record: &Record, shape: &Shape<'_>, out: &mut Map<String, Value>) {
        bills::view(firm, record, shape, out, INVOICES.name);
        out.insert("balance".to_owned(), amount::money(balance(firm, record)));
        if shape.details("with_settlements") {
            let shown: Vec<Value> = settlements::of_invoice(firm, record.id())
                .into_iter()
                .filter_map(|id| firm.find(SETTLEMENTS.name, id))
                .map(|settlement| Value::Object(settlement.fields.clone()))
                .collect();
            out.insert("settlements".to_owned(), Value::Array(shown));
        } else {
            out.remove("settlements");
        }
    }

    /// The invoice as a PDF: stamped as paid once settled, unless `original=1`.
    fn download(
        &self,
        firm: &Firm,
        record: &Record,
        extension: &str,
        params: &QueryParams,
    ) -> Option<Response> {
        if extension != "pdf" {
            return None;
        }
        let fields = &record.fields;
        let reference = fields["invoice_ref"].as_str().unwrap_or("");
        let (heading, file) = if is_draft(record) {
            (
                "FACTURE (BROUILLON, NON NUMÉROTÉE)".to_owned(),
                format!("brouillon-{}.pdf", record.id()),
            )
        } else if is_credit_note(record) {
            (
                format!("AVOIR N° {reference}"),
                format!("avoir-{reference}.pdf"),
            )
        } else {
            (
                format!("FACTURE N° {reference}"),
                format!("facture-{reference}.pdf"),
            )
        };
        let mut footer = Vec::new();
        if let Some(original) = fields["refund_id"]
            .as_u64()
            .and_then(|id| firm.find(INVOICES.name, id))
        {
            let cancelled = original.fields["invoice_ref"].as_str().unwrap_or("");
            footer.push(format!("Avoir annulant la facture n° {cancelled}."));
        }
        if is_paid(record) && params.get("original") != Some("1") {
            let mode = fields["payment_mode"].as_i64().unwrap_or(0);
            footer.push(format!(
                "ACQUITTÉE le {} ({}).",
                fields["paid_on"].as_str().unwrap_or(""),
                label(SALE_PAYMENT_MODES, mode)
            ));
        } else if !is_draft(record) {
            footer.push(format!(
                "À régler avant le {}.",
                fields["term_on"].as_str().unwrap_or("")
            ));
        }
        let document = bills::render_pdf(firm, fields, &heading, &footer);
        Some(pdf::response(document, &file))
    }
}

/// A finalized invoice may still record its payment, information and terms, but none of
/// what its amounts depend on.
fn check_locked(draft: &mut Draft<'_>) {
    let Some(before) = draft.before else { return };
    for name in LOCKED_WHEN_FINAL {
        if draft.sets(name) && draft.record.get(*name) != before.get(*name) {
            draft.error(
                name,
                "cannot be changed on a finalized invoice; issue a credit note instead",
            );
        }
    }
}

/// What remains to be paid: nothing once paid, otherwise the total less the settlements.
pub(crate) fn balance(firm: &Firm, invoice: &Record) -> f64 {
    if is_paid(invoice) {
        return 0.0;
    }
    let settled: f64 = settlements::of_invoice(firm, invoice.id())
        .into_iter()
        .filter_map(|id| firm.find(SETTLEMENTS.name, id))
        .map(|settlement| amount::of(&settlement.fields["total"]))
        .sum();
    amount::cents(amount::of(&invoice.fields["total_with_vat"]) - settled)
}

/// After settlements change: settlements covering the total mark the invoice paid on the date
/// and with the mode of the last one; otherwise it is unpaid.
pub(crate) fn sync_payment(firm: &mut Firm, invoice_id: u64) {
    let settled: Vec<Map<String, Value>> = settlements::of_invoice(firm, invoice_id)
        .into_iter()
        .filter_map(|id| firm.find(SETTLEMENTS.name, id))
        .map(|settlement| settlement.fields.clone())
        .collect();
    let Ok(invoice) = firm.get_mut(INVOICES.name, invoice_id) else {
        return;
    };
    let fields = &mut invoice.fields;
    let paid: f64 = settled
        .iter()
        .map(|settlement| amount::of(&settlement["total"]))
        .sum();
    let covered = !settled.is_empty() && paid >= amount::of(&fields["total_with_vat"]) - 0.005;
    match settled.last() {
        Some(last) if covered => {
            fields.insert("paid_on".to_owned(), last["paid_on"].clone());
            fields.insert("payment_mode".to_owned(), last["payment_mode"].clone());
            fields.insert("payment_ref".to_owned(), last["payment_ref"].clone());
        }
        _ => {
            fields.insert("paid_on".to_owned(), Value::Null);
            fields.insert("payment_mode".to_owned(), json!(0));
        }
    }
    fields.insert(
        "updated_at".to_owned(),
        Value::String(clock::now_timestamp()),
    );
    let (customer, paid_on) = (fields["customer_id"].as_u64(), fields["paid_on"].clone());
    if let (Some(customer), Value::String(paid_on)) = (customer, paid_on)
        && let Ok(customer) = firm.get_mut(CUSTOMERS.name, customer)
    {
        let known = customer.fields["last_paid_on"].as_str().unwrap_or("");
        if paid_on.as_str() > known {
            customer
                .fields
                .insert("last_paid_on".to_owned(), json!(paid_on));
        }
    }
}

/// Fields a credit note takes over from the invoice it cancels.
const CARRIED_OVER: &[&str] = &[
    "customer_id",
    "title",
    "language",
    "category_id",
    "currency",
    "rebate_percentage",
    "vat_exemption",
    "vat_country",
    "tax_title",
    "tax_percent",
    "penalty",
    "pay_before",
    "discount",
    "service_personne",
    "accounting_entry",
    "purchase_number",
];

/// `POST invoices/{id}/refund.json`: a finalized credit note dated today with the invoice's
/// lines negated, settled at once, linked through `refund_id`; an unpaid invoice it cancels
/// is marked paid by credit note.
async fn refund(
    State(app): State<Arc<App>>,
    Path((firm, id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    let params = QueryParams::new(uri.query());
    let mut store = lock(&app.store);
    let (firm, ids) = store.firm_mut(&firm)?;
    let invoice_id = bare_id(&id)?;
    let invoice = firm.get(INVOICES.name, invoice_id)?;
    if is_draft(invoice) {
        return Err(ApiError::invalid_field(
            "base",
            "A draft cannot be refunded; delete it instead",
        ));
    }
    if is_credit_note(invoice) {
        return Err(ApiError::invalid_field(
            "base",
            "A credit note cannot itself be refunded",
        ));
    }
    if firm
        .records(INVOICES.name)
        .any(|other| other.fields["refund_id"].as_u64() == Some(invoice_id))
    {
        return Err(ApiError::invalid_field(
            "base",
            "This invoice has already been refunded",
        ));
    }
    let api_id = integer_param(&params, "api_id")?;
    let today = clock::today();
    let mut input = bills::carried_over(&invoice.fields, CARRIED_OVER);
    input.insert(
        "items".to_owned(),
        Value::Array(negated_lines(&invoice.fields)),
    );
    input.insert("paid_on".to_owned(), json!(today));
    input.insert("payment_mode".to_owned(), json!(PAID_OTHERWISE));
    input.insert("api_id".to_owned(), api_id.map_or(Value::Null, Value::from));
    input.insert(
        "api_custom".to_owned(),
        params.get("api_custom").map_or(Value::Null, Value::from),
    );
    let was_paid = is_paid(invoice);
    let create_params = QueryParams::new(None);
    let refund_id = INVOICES.create_with(
        firm,
        ids,
        &create_params,
        &input,
        &[("refund_id", json!(invoice_id))],
    )?;
    let credit_note = &mut firm.get_mut(INVOICES.name, refund_id)?.fields;
    let in_euros = credit_note["currency"] == "EUR";
    let settled = credit_note["total_with_vat"].clone();
    if in_euros {
        credit_note.insert("paid_in_main_currency".to_owned(), settled);
    }
    if !was_paid {
        let original = &mut firm.get_mut(INVOICES.name, invoice_id)?.fields;
        original.insert("paid_on".to_owned(), json!(today));
        original.insert("payment_mode".to_owned(), json!(PAID_BY_CREDIT_NOTE));
        original.insert(
            "updated_at".to_owned(),
            Value::String(clock::now_timestamp()),
        );
    }
    Ok(INVOICES.created(firm, refund_id, &create_params, &origin(&headers)))
}

/// The invoice's lines with quantities negated, so every amount of the credit note is the
/// opposite of the invoice's.
fn negated_lines(invoice: &Map<String, Value>) -> Vec<Value> {
    bills::lines_of(invoice)
        .map(|line| {
            let mut line = bills::copied_line(line);
            if bills::is_priced(&line) {
                let quantity = -amount::of(&line["quantity"]);
                line.insert(
                    "quantity".to_owned(),
                    json!(amount::format(quantity, amount::QUANTITY)),
                );
            }
            Value::Object(line)
        })
        .collect()
}
