//! What quotes and invoices share: most of their fields, billed lines and their totals, the
//! defaults taken from the customer, payment terms, what a document made from another one
//! (an invoice from a quote, a credit note from an invoice) takes over, and their PDF
//! rendering.

use serde_json::{Map, Value, json};

use super::amount::{self, cents};
use super::assets;
use super::clock;
use super::customers::{self, CUSTOMERS};
use super::engine::{Draft, Shape};
use super::fields::{
    self, Field, Kind, MONEY, PERCENT, TEXT, Tables, VAT, apply_with_prefix, boolean, check_rate,
    default, read, string, text, write,
};
use super::pdf;
use super::products::PRODUCTS;
use super::state::{Firm, Record};
use super::values::{CURRENCIES, LANGUAGES, NATURES, PAY_BEFORE};

/// Fields common to the quote and invoice tables of the reference.
pub(crate) const BILL_FIELDS: &[Field] = &[
    read("id"),
    write("customer_id", Kind::Int),
    read("customer_identity"),
    write("title", string(255)),
    write("language", Kind::Code(LANGUAGES)),
    write("category_id", Kind::Int),
    write("followup_id", Kind::Int),
    write("invoiced_on", Kind::Date),
    write("term_on", Kind::Date),
    read("draft"),
    read("total"),
    read("total_with_vat"),
    write("currency", Kind::Code(CURRENCIES)),
    write("rebate_percentage", PERCENT),
    read("exchange_rate"),
    read("estimated_rate"),
    write("vat_exemption", string(255)),
    write("vat_country", string(2)),
    write("tax_title", string(255)),
    write(
        "tax_percent",
        Kind::Decimal {
            limit: 1000.0,
            format: amount::MONEY,
        },
    ),
    write("penalty", PERCENT),
    write("pay_before", Kind::Code(PAY_BEFORE)),
    write("discount", PERCENT),
    write("precompte", Kind::Bool),
    write("activity_title", string(255)),
    write("service_personne", Kind::Bool),
    write("accounting_entry", string(8)),
    write("information", TEXT),
    write("internal_note", TEXT),
    write("purchase_number", string(100)),
    read("created_at"),
    read("updated_at"),
    write("user_id", Kind::Int),
    read("public_download_url"),
    write("items", Kind::Lines),
    read("files"),
    write("api_id", Kind::BigInt),
    write("api_custom", string(255)),
    read("soft_deleted"),
    read("hard_delete_on"),
    write("delivery_on", Kind::Date),
    read("estimated_total_in_main_currency"),
];

/// A billed line ("Ligne de facturation"). `id` is matched separately: it selects the line
/// an update changes.
const LINE_FIELDS: &[Field] = &[
    read("id"),
    write(
        "quantity",
        Kind::Decimal {
            limit: 1e8,
            format: amount::QUANTITY,
        },
    ),
    write("measure", string(32)),
    write("title", TEXT),
    write("unit_price", MONEY),
    write("vat", VAT),
    write("product_id", Kind::Int),
    write("position", Kind::Int),
    read("total"),
    write("optional", Kind::Bool),
    write("style", Kind::Code(super::values::LINE_STYLES)),
    write("nature", Kind::Coded(NATURES)),
    write("sap_nature", Kind::Int),
];
const LINE_TABLES: Tables = &[LINE_FIELDS];

/// Quotes and invoices differ in a few rules.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bill {
    Quote,
    Invoice,
}

/// The French standard VAT rate, used when neither the product nor the customer gives one.
const STANDARD_VAT: f64 = 0.2;

/// How long a quote stays valid when the customer record does not say.
const DEFAULT_VALIDITY_DAYS: i64 = 30;

/// The checks and computations every quote and invoice write goes through. `lines_locked`
/// refuses any change to the lines (finalized invoices).
pub(crate) fn prepare(draft: &mut Draft<'_>, bill: Bill, lines_locked: bool) {
    check_customer(draft);
    if draft.is_new() {
        fill_from_customer(draft, bill);
    }
    let record = &mut draft.record;
    default(record, "invoiced_on", Value::String(clock::today()));
    default(record, "rebate_percentage", amount::money(0.0));
    default(record, "service_personne", Value::Bool(false));
    default(record, "draft", Value::Bool(false));
    if lines_locked {
        if draft.sets("items") {
            draft.error(
                "items",
                "cannot be changed on a finalized invoice; issue a credit note instead",
            );
        }
    } else {
        apply_lines(draft, bill);
    }
    let schedule_changed = ["invoiced_on", "pay_before", "delivery_on"]
        .iter()
        .any(|name| draft.sets(name));
    if !draft.sets("term_on") && (draft.is_new() || schedule_changed) {
        let term = match bill {
            Bill::Quote => quote_validity(draft),
            Bill::Invoice => payment_term(&draft.record),
        };
        if let Some(term) = term
            && (!draft.trusted || draft.record["term_on"].is_null())
        {
            draft
                .record
                .insert("term_on".to_owned(), Value::String(term));
        }
    }
    compute_totals(&mut draft.record, bill);
}

/// The customer must exist in this firm, and a new document cannot go to an archived one.
fn check_customer(draft: &mut Draft<'_>) {
    let Some(customer_id) = draft.record.get("customer_id").filter(|id| !id.is_null()) else {
        draft.error("customer_id", "can't be blank");
        return;
    };
    let customer = customer_id
        .as_u64()
        .and_then(|id| draft.firm.find(CUSTOMERS.name, id));
    let changed = draft
        .before
        .is_none_or(|before| before.get("customer_id") != Some(customer_id));
    match customer {
        None => draft.error("customer_id", "does not match any customer of this firm"),
        // Credit notes are made for past invoices, whatever became of the customer since.
        Some(customer)
            if customer.archived
                && changed
                && fields::value(&draft.record, "refund_id").is_null() =>
        {
            draft.error(
                "customer_id",
                "is archived; restore the customer before billing it",
            );
        }
        Some(_) => {}
    }
}

/// A new document inherits the customer's billing settings unless it sets its own.
fn fill_from_customer(draft: &mut Draft<'_>, bill: Bill) {
    let Some(customer) = customers::of_document(draft.firm, &draft.record) else {
        return;
    };
    let settings = &customer.fields;
    let record = &mut draft.record;
    let inherited = |name: &str, accepted: &dyn Fn(&Value) -> bool| {
        settings.get(name).filter(|value| accepted(value)).cloned()
    };
    let is_code = |codes: &'static [&'static str]| {
        move |value: &Value| value.as_str().is_some_and(|code| codes.contains(&code))
    };
    let currency = inherited("currency", &is_code(CURRENCIES)).unwrap_or(json!("EUR"));
    default(record, "currency", currency);
    let language = inherited("language", &is_code(LANGUAGES)).unwrap_or(json!("fr"));
    default(record, "language", language);
    let pay_before = inherited("pay_before", &is_code(PAY_BEFORE)).unwrap_or(json!("30"));
    default(record, "pay_before", pay_before);
    let penalty = settings
        .get("penalty")
        .and_then(amount::parse)
        .unwrap_or(0.0);
    default(record, "penalty", amount::money(penalty));
    if let Some(discount) = settings.get("discount").and_then(amount::parse) {
        default(record, "discount", amount::money(discount));
    }
    for name in ["vat_exemption", "vat_country"] {
        if let Some(value) = inherited(name, &|value| value.is_string()) {
            default(record, name, value);
        }
    }
    if bill == Bill::Invoice {
        default(record, "payment_mode", json!(0));
    }
}

/// Quotes are valid for the customer's validity period (30 days by default).
fn quote_validity(draft: &Draft<'_>) -> Option<String> {
    let days = customers::of_document(draft.firm, &draft.record)
        .and_then(|customer| customer.fields["validity"].as_i64())
        .filter(|days| *days > 0)
        .unwrap_or(DEFAULT_VALIDITY_DAYS);
    clock::add_days(draft.record["invoiced_on"].as_str()?, days)
}

/// The due date a payment term gives: `N` days net, `NNfm` end of month after N days,
/// `NNfmDD` the DDth of the following month; from delivery (when known) unless the term ends
/// in `-inv` (from the invoice date); `0` and `cash` mean on receipt.
pub(crate) fn payment_term(record: &Map<String, Value>) -> Option<String> {
    let invoiced_on = record.get("invoiced_on")?.as_str()?;
    let term = text(record, "pay_before").unwrap_or("30");
    let (term, from_invoice) = match term.strip_suffix("-inv") {
        Some(term) => (term, true),
        None => (term, false),
    };
    let start = match record.get("delivery_on").and_then(Value::as_str) {
        Some(delivered) if !from_invoice => delivered,
        _ => invoiced_on,
    };
    if term == "cash" || term == "0" {
        return Some(start.to_owned());
    }
    let (days, month_end) = match term.split_once("fm") {
        Some((days, day)) => (days, Some(day)),
        None => (term, None),
    };
    let due = clock::add_days(start, days.parse().ok()?)?;
    match month_end {
        None => Some(due),
        Some("") => clock::end_of_month(&due),
        Some(day) => clock::day_of_next_month(&due, day.parse().ok()?),
    }
}

/// Applies the `items` of the input: on creation they are the lines; on update a line with
/// an `id` changes (or, with `_destroy`, removes) that line and a line without one is added.
fn apply_lines(draft: &mut Draft<'_>, bill: Bill) {
    let mut lines: Vec<Map<String, Value>> = match draft.record.get("items") {
        Some(Value::Array(lines)) if draft.before.is_some() => {
            lines.iter().filter_map(Value::as_object).cloned().collect()
        }
        _ => Vec::new(),
    };
    match draft.input.get("items") {
        None => {}
        Some(Value::Array(entries)) => {
            for (index, entry) in entries.iter().enumerate() {
                apply_line(draft, &mut lines, index, entry);
            }
        }
        Some(_) => draft.error("items", "must be a list of lines"),
    }
    if lines.is_empty() && !draft.trusted {
        draft.error("items", "must contain at least one line");
    }
    let customer_vat = customers::of_document(draft.firm, &draft.record)
        .and_then(|customer| customer.fields["default_vat"].as_f64())
        .filter(|rate| (0.0..1.0).contains(rate));
    for (index, line) in lines.iter_mut().enumerate() {
        complete_line(draft.firm, line, customer_vat);
        let key = format!("items[{index}].vat");
        check_rate(line, "vat", &mut draft.errors, &key);
    }
    // Lines are kept in position order; lines without a position follow their neighbours.
    for (index, line) in lines.iter_mut().enumerate() {
        let position = i64::try_from(index + 1).unwrap_or(i64::MAX);
        default(line, "position", json!(position));
    }
    lines.sort_by_key(|line| line["position"].as_i64().unwrap_or(i64::MAX));
    line_totals(&mut lines, bill);
    let lines = lines.into_iter().map(Value::Object).collect();
    draft.record.insert("items".to_owned(), Value::Array(lines));
}

fn apply_line(
    draft: &mut Draft<'_>,
    lines: &mut Vec<Map<String, Value>>,
    index: usize,
    entry: &Value,
) {
    let prefix = format!("items[{index}].");
    let Some(entry) = entry.as_object() else {
        draft.error(
            &format!("items[{index}]"),
            "must be an object of line fields",
        );
        return;
    };
    let given_id = entry
        .get("id")
        .filter(|id| !id.is_null() && id.as_str() != Some(""));
    let target = match (given_id, draft.before.is_some()) {
        (Some(id), true) => {
            let id = fields::coerce(Kind::Int, id)
                .ok()
                .and_then(|id| id.as_u64());
            match lines
                .iter()
                .position(|line| line["id"].as_u64() == id && id.is_some())
            {
                Some(position) => Some(position),
                None => {
                    draft.error(&format!("{prefix}id"), "is not a line of this document");
                    return;
                }
            }
        }
        _ => None,
    };
    let destroy = entry.get("_destroy").and_then(boolean).unwrap_or(false);
    match target {
        Some(position) if destroy => {
            lines.remove(position);
        }
        Some(position) => {
            apply_with_prefix(
                LINE_TABLES,
                &mut lines[position],
                entry,
                &mut draft.errors,
                &prefix,
            );
        }
        // Destroying a line that does not exist yet is a no-op.
        None if destroy => {}
        None => {
            let mut line = fields::blank(LINE_TABLES);
            apply_with_prefix(LINE_TABLES, &mut line, entry, &mut draft.errors, &prefix);
            let id = match given_id.and_then(Value::as_u64) {
                Some(id) if draft.trusted => id,
                _ => draft.ids.allocate(),
            };
            line.insert("id".to_owned(), json!(id));
            lines.push(line);
        }
    }
}

/// Whether a line carries an amount (not a comment, title, subtotal or page break).
pub(crate) fn is_priced(line: &Map<String, Value>) -> bool {
    text(line, "style").is_none()
}

/// A priced line takes what it lacks from its product, then ordinary defaults.
fn complete_line(firm: &Firm, line: &mut Map<String, Value>, customer_vat: Option<f64>) {
    default(line, "optional", Value::Bool(false));
    default(line, "nature", json!(9));
    if !is_priced(line) {
        return;
    }
    let product = line
        .get("product_id")
        .and_then(Value::as_u64)
        .and_then(|id| firm.find(PRODUCTS.name, id));
    if let Some(product) = product {
        for name in ["title", "unit_price", "vat", "measure", "nature"] {
            default(line, name, product.fields[name].clone());
        }
    }
    default(
        line,
        "quantity",
        Value::String(amount::format(1.0, amount::QUANTITY)),
    );
    default(line, "unit_price", amount::money(0.0));
    let vat = customer_vat.unwrap_or(STANDARD_VAT);
    default(
        line,
        "vat",
        Value::String(amount::format(vat, amount::RATE)),
    );
}

/// Line totals: quantity × unit price for priced lines, the running sum since the previous
/// subtotal for subtotal lines, nothing for the others.
fn line_totals(lines: &mut [Map<String, Value>], bill: Bill) {
    let mut running = 0.0;
    for line in lines {
        let total = if is_priced(line) {
            let total = cents(amount::of(&line["quantity"]) * amount::of(&line["unit_price"]));
            if counts(line, bill) {
                running += total;
            }
            amount::money(total)
        } else if text(line, "style") == Some("subtotal") {
            let subtotal = amount::money(running);
            running = 0.0;
            subtotal
        } else {
            Value::Null
        };
        line.insert("total".to_owned(), total);
    }
}

/// Whether a line counts in the document total: optional lines are options the customer may
/// take, so a quote's total leaves them out (invoices ignore the flag).
fn counts(line: &Map<String, Value>, bill: Bill) -> bool {
    is_priced(line) && !(bill == Bill::Quote && fields::flag(line, "optional"))
}

/// The document totals from its lines: total before tax after the global rebate, VAT per
/// rate on the rebated bases, plus the additional tax on the total before tax.
pub(crate) fn compute_totals(record: &mut Map<String, Value>, bill: Bill) {
    let lines: Vec<&Map<String, Value>> = lines_of(record).collect();
    let kept = 1.0 - amount::of(&record["rebate_percentage"]) / 100.0;
    let mut bases: Vec<(i64, f64)> = Vec::new();
    for line in lines.iter().filter(|line| counts(line, bill)) {
        // Rates are grouped on their thousandths, the column's precision.
        let rate = (amount::of(&line["vat"]) * 1000.0).round() as i64;
        let total = amount::of(&line["total"]);
        match bases.iter_mut().find(|(known, _)| *known == rate) {
            Some((_, base)) => *base += total,
            None => bases.push((rate, total)),
        }
    }
    let total = cents(bases.iter().map(|(_, base)| base).sum::<f64>() * kept);
    let vat: f64 = bases
        .iter()
        .map(|(rate, base)| cents(base * kept * (*rate as f64) / 1000.0))
        .sum();
    let tax = cents(total * amount::of(&record["tax_percent"]) / 100.0);
    let with_vat = cents(total + vat + tax);
    record.insert("total".to_owned(), amount::money(total));
    record.insert("total_with_vat".to_owned(), amount::money(with_vat));
    let in_euros = record.get("currency").and_then(Value::as_str) == Some("EUR");
    record.insert(
        "estimated_total_in_main_currency".to_owned(),
        if in_euros {
            amount::money(with_vat)
        } else {
            Value::Null
        },
    );
}

/// The lines of a quote or invoice, in order.
pub(crate) fn lines_of(record: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    record
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// What a document made from another one (an invoice from a quote, a credit note from an
/// invoice) takes over from it: the fields `names` that are set there.
pub(crate) fn carried_over(source: &Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|name| {
            let value = source.get(*name).filter(|value| !value.is_null())?;
            Some(((*name).to_owned(), value.clone()))
        })
        .collect()
}

/// A line of another document, as input for a new one: without the id and total, which the
/// new document gives its lines itself.
pub(crate) fn copied_line(line: &Map<String, Value>) -> Map<String, Value> {
    let mut line = line.clone();
    line.remove("id");
    line.remove("total");
    line
}

/// The view of a quote or invoice: the customer's name, and lines and files only on detail
/// (or with `with_details=1` in lists).
pub(crate) fn view(
    firm: &Firm,
    record: &Record,
    shape: &Shape<'_>,
    out: &mut Map<String, Value>,
    collection: &str,
) {
    let customer = record.fields["customer_id"].as_u64();
    out.insert(
        "customer_identity".to_owned(),
        customers::identity(firm, customer),
    );
    if shape.details("with_details") {
        let files = assets::files_of(firm, collection, record.id(), shape.origin);
        out.insert("files".to_owned(), files);
    } else {
        out.remove("items");
        out.remove("files");
    }
}

/// Sort key of the `customer` order: the customer's short name.
pub(crate) fn customer_short_name(firm: &Firm, record: &Record) -> Value {
    customers::of_document(firm, &record.fields).map_or(Value::Null, |customer| {
        customer.fields["short_name"].clone()
    })
}

/// A printable document for a quote or invoice: `heading` names it, `footer` adds lines such
/// as the payment stamp.
pub(crate) fn render_pdf(
    firm: &Firm,
    record: &Map<String, Value>,
    heading: &str,
    footer: &[String],
) -> Vec<u8> {
    let field = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or("");
    let currency = field("currency");
    let mut lines = vec![firm.name.clone(), String::new(), heading.to_owned()];
    // A quote's `term_on` is the end of its validity, an invoice's the payment due date.
    let term_label = if record.contains_key("quote_ref") {
        "Valable jusqu'au"
    } else {
        "Échéance"
    };
    lines.push(format!(
        "Date : {}    {term_label} : {}",
        field("invoiced_on"),
        field("term_on")
    ));
    if let Some(customer) = customers::of_document(firm, record) {
        let party = &customer.fields;
        let part = |name: &str| {
            party
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        lines.push(format!("Client : {}", part("company_name")));
        lines.push(format!(
            "{}, {} {}",
            part("street"),
            part("zip_code"),
            part("city")
        ));
    }
    if let Some(title) = text(record, "title") {
        lines.push(format!("Objet : {title}"));
    }
    lines.push(String::new());
    for line in record
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let line_text = |name: &str| line.get(name).and_then(Value::as_str).unwrap_or("");
        if line_text("style").is_empty() {
            let optional = if line["optional"] == true {
                " (option)"
            } else {
                ""
            };
            lines.push(format!(
                "{} x {} à {} {currency}, TVA {} % : {} {currency}{optional}",
                line_text("quantity"),
                line_text("title"),
                line_text("unit_price"),
                amount::format(amount::of(&line["vat"]) * 100.0, amount::MONEY),
                line_text("total"),
            ));
        } else {
            lines.push(line_text("title").to_owned());
        }
    }
    lines.push(String::new());
    lines.push(format!("Total HT : {} {currency}", field("total")));
    lines.push(format!(
        "Total TTC : {} {currency}",
        field("total_with_vat")
    ));
    lines.extend(footer.iter().cloned());
    pdf::text_document(&lines)
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::payment_term;

    fn term(pay_before: &str, delivered: Option<&str>) -> Option<String> {
        let mut record = Map::new();
        record.insert("invoiced_on".to_owned(), json!("2013-07-29"));
        record.insert("pay_before".to_owned(), json!(pay_before));
        record.insert(
            "delivery_on".to_owned(),
            delivered.map_or(Value::Null, |date| json!(date)),
        );
        payment_term(&record)
    }

    #[test]
    fn payment_terms_give_due_dates() {
        // The reference's example: 60 days end of month from 2013-07-29.
        assert_eq!(term("60fm", None).as_deref(), Some("2013-09-30"));
        assert_eq!(term("30", None).as_deref(), Some("2013-08-28"));
        assert_eq!(term("0", None).as_deref(), Some("2013-07-29"));
        assert_eq!(term("cash", None).as_deref(), Some("2013-07-29"));
        assert_eq!(term("00fm10", None).as_deref(), Some("2013-08-10"));
        assert_eq!(term("30fm20", None).as_deref(), Some("2013-09-20"));
        assert_eq!(term("07fm", None).as_deref(), Some("2013-08-31"));
        // From delivery unless the term counts from the invoice.
        assert_eq!(
            term("15", Some("2013-08-01")).as_deref(),
            Some("2013-08-16")
        );
        assert_eq!(
            term("15-inv", Some("2013-08-01")).as_deref(),
            Some("2013-08-13")
        );
    }
}
