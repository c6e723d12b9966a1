//! Purchases, `/firms/{firm}/purchases`: supplier invoices and expenses.

use serde_json::{Map, Value, json};

use super::amount;
use super::assets;
use super::clock;
use super::engine::{Behaviour, Draft, Resource, Shape};
use super::fields::{Field, Kind, MONEY, TEXT, default, flag, read, string, write};
use super::listing::{Filter, Key, ListSpec};
use super::state::{Firm, IdSequence, Record};
use super::suppliers::{self, SUPPLIERS};
use super::values::{CURRENCIES, PURCHASE_PAYMENT_MODES};

const FIELDS: &[Field] = &[
    read("id"),
    write("supplier_id", Kind::Int),
    read("supplier_identity"),
    write("title", TEXT),
    write("ref", string(255)),
    write("total_with_vat", MONEY),
    write("vat_amount", MONEY),
    read("total"),
    write("currency", Kind::Code(CURRENCIES)),
    write("invoiced_on", Kind::Date),
    write("term_on", Kind::Date),
    write("paid_on", Kind::Date),
    write("payment_mode", Kind::Coded(PURCHASE_PAYMENT_MODES)),
    write("payment_ref", string(255)),
    write(
        "paid_in_main_currency",
        Kind::Decimal {
            limit: 1e12,
            format: amount::MONEY,
        },
    ),
    read("estimated_total_in_main_currency"),
    write("draft", Kind::Bool),
    write("reverse_charge", Kind::Bool),
    write("prepaid", Kind::Bool),
    write("notes", TEXT),
    write("skip_export", Kind::Bool),
    read("serial_number"),
    write("category_id", Kind::Int),
    write("accounting_entry", string(8)),
    write("accounting_asset", Kind::Bool),
    write("asset_end_on", Kind::Date),
    write("asset_end_reason", string(255)),
    read("created_at"),
    read("updated_at"),
    read("soft_deleted"),
    read("hard_delete_on"),
    read("files"),
    write("api_id", Kind::BigInt),
    write("api_custom", string(255)),
];

fn unpaid(purchase: &Record) -> bool {
    !flag(&purchase.fields, "draft") && purchase.fields["paid_on"].is_null()
}

pub(crate) static PURCHASES: Resource = Resource {
    name: "purchases",
    fields: &[FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Id("api_id", "api_id"),
            Filter::Contains("api_custom", "api_custom"),
            Filter::Linked {
                param: "company",
                link: "supplier_id",
                collection: "suppliers",
                field: "company_name",
            },
            Filter::Contains("title", "title"),
            Filter::Contains("invoice_ref", "ref"),
            Filter::Contains("payment_ref", "payment_ref"),
            Filter::Equals("serial_number", "serial_number"),
            Filter::Choice {
                param: "purchase_type",
                default: None,
                choices: &[
                    // Awaiting payment and not yet due.
                    ("pending", |_, purchase| {
                        unpaid(purchase)
                            && purchase.fields["term_on"]
                                .as_str()
                                .is_none_or(|term| term >= clock::today().as_str())
                    }),
                    ("draft", |_, purchase| flag(&purchase.fields, "draft")),
                    ("unpaid", |_, purchase| unpaid(purchase)),
                    ("paid", |_, purchase| !purchase.fields["paid_on"].is_null()),
                    ("prepaid", |_, purchase| flag(&purchase.fields, "prepaid")),
                    ("excluded", |_, purchase| {
                        flag(&purchase.fields, "skip_export")
                    }),
                    // Forecasts are purchases dated in the future.
                    ("forecast", |_, purchase| {
                        purchase.fields["invoiced_on"]
                            .as_str()
                            .is_some_and(|date| date > clock::today().as_str())
                    }),
                ],
            },
            Filter::Contains("accounting_entry", "accounting_entry"),
            Filter::Period {
                field: "paid_on",
                billed: Some("invoiced_on"),
            },
        ],
        orders: &[
            ("paid", Key::Field("paid_on")),
            ("total", Key::Field("total_with_vat")),
            ("term", Key::Field("term_on")),
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        default_order: (Key::Field("invoiced_on"), true),
    },
    behaviour: &PurchaseRules,
    read_only: false,
};

struct PurchaseRules;

impl Behaviour for PurchaseRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        let record = &mut draft.record;
        default(record, "currency", json!("EUR"));
        default(record, "invoiced_on", json!(clock::today()));
        default(record, "payment_mode", json!(0));
        default(record, "vat_amount", amount::money(0.0));
        for name in [
            "draft",
            "reverse_charge",
            "prepaid",
            "skip_export",
            "accounting_asset",
        ] {
            default(record, name, Value::Bool(false));
        }
        if record["total_with_vat"].is_null() {
            draft.error("total_with_vat", "can't be blank");
        }
        if let Some(supplier) = draft.record.get("supplier_id").filter(|id| !id.is_null())
            && supplier
                .as_u64()
                .and_then(|id| draft.firm.find(SUPPLIERS.name, id))
                .is_none()
        {
            draft.error("supplier_id", "does not match any supplier of this firm");
        }
        let record = &mut draft.record;
        let with_vat = amount::of(&record["total_with_vat"]);
        let vat = amount::of(&record["vat_amount"]);
        record.insert("total".to_owned(), amount::money(with_vat - vat));
        let in_euros = record["currency"] == "EUR";
        let estimate = if in_euros {
            amount::money(with_vat)
        } else {
            Value::Null
        };
        record.insert("estimated_total_in_main_currency".to_owned(), estimate);
    }

    /// Purchases get the next serial number of the firm.
    fn commit(&self, firm: &mut Firm, _ids: &mut IdSequence, record: &mut Map<String, Value>) {
        if record["serial_number"].is_null() {
            record.insert(
                "serial_number".to_owned(),
                json!(firm.next_number("purchases")),
            );
        }
    }

    fn view(&self, firm: &Firm, record: &Record, shape: &Shape<'_>, out: &mut Map<String, Value>) {
        let supplier = record.fields["supplier_id"].as_u64();
        out.insert(
            "supplier_identity".to_owned(),
            suppliers::identity(firm, supplier),
        );
        if shape.details("with_details") {
            let files = assets::files_of(firm, PURCHASES.name, record.id(), shape.origin);
            out.insert("files".to_owned(), files);
        } else {
            out.remove("files");
        }
    }
}
