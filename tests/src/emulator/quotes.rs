//! Quotes, `/firms/{firm}/quotes`: the generic record routes, plus PDF (and pro forma)
//! downloads and the conversion into an invoice.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::amount;
use super::bills::{self, BILL_FIELDS, Bill};
use super::clock;
use super::engine::{Behaviour, Draft, Reply, Resource, Shape, bare_id, origin};
use super::error::ApiError;
use super::fields::{Field, Kind, default, flag, read, write};
use super::invoices::INVOICES;
use super::listing::{Filter, Key, ListSpec};
use super::pdf;
use super::query::QueryParams;
use super::server::App;
use super::state::{Firm, IdSequence, Record, lock};
use super::values::{QUOTE_ACCEPTED, QUOTE_PENDING, QUOTE_REFUSED, QUOTE_STATUSES};

const QUOTE_FIELDS: &[Field] = &[
    write("quote_status", Kind::Coded(QUOTE_STATUSES)),
    read("quote_ref"),
    write("ignore_quote", Kind::Bool),
    read("fully_invoiced"),
    read("amount_invoiced"),
    read("invoice_ids"),
];

fn status(record: &Record) -> i64 {
    record.fields["quote_status"]
        .as_i64()
        .unwrap_or(QUOTE_PENDING)
}

/// Whether invoicing is still expected: not fully invoiced and not opted out of tracking.
fn open(record: &Record) -> bool {
    !flag(&record.fields, "fully_invoiced") && !flag(&record.fields, "ignore_quote")
}

pub(crate) static QUOTES: Resource = Resource {
    name: "quotes",
    fields: &[BILL_FIELDS, QUOTE_FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Id("api_id", "api_id"),
            Filter::Contains("api_custom", "api_custom"),
            Filter::Contains("quote_ref", "quote_ref"),
            Filter::Equals("full_quote_ref", "quote_ref"),
            Filter::Id("customer_id", "customer_id"),
            Filter::Contains("title", "title"),
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
                param: "status",
                default: None,
                choices: &[
                    ("pending", |_, quote| {
                        open(quote) && matches!(status(quote), QUOTE_PENDING | QUOTE_ACCEPTED)
                    }),
                    ("to_invoice", |_, quote| {
                        open(quote) && status(quote) == QUOTE_ACCEPTED
                    }),
                    ("invoiced", |_, quote| flag(&quote.fields, "fully_invoiced")),
                    ("0", |_, quote| status(quote) == QUOTE_PENDING),
                    ("1", |_, quote| status(quote) == QUOTE_ACCEPTED),
                    ("9", |_, quote| status(quote) == QUOTE_REFUSED),
                ],
            },
            Filter::OptionalId("category_id", "category_id"),
            Filter::Id("followup_id", "followup_id"),
            Filter::Contains("accounting_entry", "accounting_entry"),
            Filter::Id("user_id", "user_id"),
            Filter::Period {
                field: "invoiced_on",
                billed: None,
            },
        ],
        orders: &[
            ("customer", Key::Computed(bills::customer_short_name)),
            ("total", Key::Field("total")),
            ("billed", Key::Field("invoiced_on")),
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        default_order: (Key::Field("quote_ref"), true),
    },
    behaviour: &QuoteRules,
    read_only: false,
};

pub(crate) fn routes() -> Router<Arc<App>> {
    QUOTES
        .routes()
        .route("/firms/{firm}/quotes/{id}/invoice.json", post(convert))
}

struct QuoteRules;

impl Behaviour for QuoteRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        let record = &mut draft.record;
        default(record, "quote_status", json!(QUOTE_PENDING));
        default(record, "ignore_quote", Value::Bool(false));
        default(record, "fully_invoiced", Value::Bool(false));
        default(record, "amount_invoiced", amount::money(0.0));
        default(record, "invoice_ids", json!([]));
        bills::prepare(draft, Bill::Quote, false);
    }

    /// Quote numbers follow each other within the firm.
    fn commit(&self, firm: &mut Firm, _ids: &mut IdSequence, record: &mut Map<String, Value>) {
        if record["quote_ref"].is_null() {
            record.insert("quote_ref".to_owned(), json!(firm.next_number("quotes")));
        }
    }

    fn view(&self, firm: &Firm, record: &Record, shape: &Shape<'_>, out: &mut Map<String, Value>) {
        bills::view(firm, record, shape, out, QUOTES.name);
    }

    /// The quote as a PDF, or as a pro forma invoice with `proforma=1`.
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
        let number = &record.fields["quote_ref"];
        let (heading, footer, file) = if params.get("proforma") == Some("1") {
            (
                "FACTURE PRO FORMA".to_owned(),
                vec![format!(
                    "Pro forma établie d'après le devis n° {number}, sans valeur comptable."
                )],
                format!("proforma-{number}.pdf"),
            )
        } else {
            let validity = record.fields["term_on"].as_str().unwrap_or("");
            (
                format!("DEVIS N° {number}"),
                vec![format!("Devis valable jusqu'au {validity}.")],
                format!("devis-{number}.pdf"),
            )
        };
        let document = bills::render_pdf(firm, &record.fields, &heading, &footer);
        Some(pdf::response(document, &file))
    }
}

/// Fields an invoice takes over from the quote it comes from.
const CARRIED_OVER: &[&str] = &[
    "customer_id",
    "title",
    "language",
    "category_id",
    "followup_id",
    "currency",
    "rebate_percentage",
    "vat_exemption",
    "vat_country",
    "tax_title",
    "tax_percent",
    "penalty",
    "pay_before",
    "discount",
    "precompte",
    "activity_title",
    "service_personne",
    "accounting_entry",
    "information",
    "purchase_number",
    "user_id",
    "delivery_on",
];

/// `POST quotes/{id}/invoice.json`: a finalized invoice dated today with the quote's customer,
/// settings and (non-optional) lines, linked both ways; the quote becomes accepted.
async fn convert(
    State(app): State<Arc<App>>,
    Path((firm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Reply {
    let mut store = lock(&app.store);
    let (firm, ids) = store.firm_mut(&firm)?;
    let quote_id = bare_id(&id)?;
    let quote = firm.get(QUOTES.name, quote_id)?;
    if status(quote) == QUOTE_REFUSED {
        return Err(ApiError::invalid_field(
            "base",
            "A refused quote cannot be invoiced",
        ));
    }
    if flag(&quote.fields, "fully_invoiced") {
        return Err(ApiError::invalid_field(
            "base",
            "This quote is already fully invoiced",
        ));
    }
    let mut input = bills::carried_over(&quote.fields, CARRIED_OVER);
    input.insert(
        "items".to_owned(),
        Value::Array(invoice_lines(&quote.fields)),
    );
    let params = QueryParams::new(None);
    let invoice_id =
        INVOICES.create_with(firm, ids, &params, &input, &[("quote_id", json!(quote_id))])?;
    let invoiced = amount::of(&firm.get(INVOICES.name, invoice_id)?.fields["total"]);
    let quote = &mut firm.get_mut(QUOTES.name, quote_id)?.fields;
    if let Some(Value::Array(invoices)) = quote.get_mut("invoice_ids") {
        invoices.push(json!(invoice_id));
    }
    let amount_invoiced = amount::of(&quote["amount_invoiced"]) + invoiced;
    let fully = amount_invoiced >= amount::of(&quote["total"]) - 0.005;
    quote.insert("amount_invoiced".to_owned(), amount::money(amount_invoiced));
    quote.insert("fully_invoiced".to_owned(), Value::Bool(fully));
    quote.insert("quote_status".to_owned(), json!(QUOTE_ACCEPTED));
    quote.insert(
        "updated_at".to_owned(),
        Value::String(clock::now_timestamp()),
    );
    Ok(INVOICES.created(firm, invoice_id, &params, &origin(&headers)))
}

/// The quote's lines as new invoice lines: options the customer did not take are left out,
/// and ids and totals are the invoice's own.
fn invoice_lines(quote: &Map<String, Value>) -> Vec<Value> {
    bills::lines_of(quote)
        .filter(|line| !flag(line, "optional"))
        .map(|line| Value::Object(bills::copied_line(line)))
        .collect()
}
