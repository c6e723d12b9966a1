//! Recurring invoices and purchases: configured in the web interface only, so the API (and
//! the emulator) just lists and shows them. The reference gives no field list; these
//! summaries carry what a client needs to recognise a schedule.

use serde_json::{Map, Value};

use super::customers;
use super::engine::{Behaviour, Resource, Shape};
use super::fields::{Field, read};
use super::listing::{Filter, Key, ListSpec};
use super::state::{Firm, Record};
use super::suppliers;

const INVOICE_FIELDS: &[Field] = &[
    read("id"),
    read("customer_id"),
    read("customer_identity"),
    read("title"),
    read("currency"),
    read("total"),
    read("total_with_vat"),
    read("frequency"),
    read("next_invoice_on"),
    read("last_invoice_on"),
    read("active"),
    read("created_at"),
    read("updated_at"),
];

const PURCHASE_FIELDS: &[Field] = &[
    read("id"),
    read("supplier_id"),
    read("supplier_identity"),
    read("title"),
    read("currency"),
    read("total_with_vat"),
    read("vat_amount"),
    read("frequency"),
    read("next_purchase_on"),
    read("active"),
    read("created_at"),
    read("updated_at"),
];

pub(crate) static RECURRING_INVOICES: Resource = Resource {
    name: "recurring_invoices",
    fields: &[INVOICE_FIELDS],
    list: ListSpec {
        filters: &[Filter::Id("customer_id", "customer_id")],
        orders: &[],
        default_order: (Key::Field("id"), false),
    },
    behaviour: &Summary,
    read_only: true,
};

pub(crate) static RECURRING_PURCHASES: Resource = Resource {
    name: "recurring_purchases",
    fields: &[PURCHASE_FIELDS],
    list: ListSpec {
        filters: &[Filter::Id("supplier_id", "supplier_id")],
        orders: &[],
        default_order: (Key::Field("id"), false),
    },
    behaviour: &Summary,
    read_only: true,
};

struct Summary;

impl Behaviour for Summary {
    /// The party's current name, like documents show it.
    fn view(&self, firm: &Firm, record: &Record, _shape: &Shape<'_>, out: &mut Map<String, Value>) {
        if let Some(customer) = record.fields.get("customer_id") {
            let name = customers::identity(firm, customer.as_u64());
            out.insert("customer_identity".to_owned(), name);
        }
        if let Some(supplier) = record.fields.get("supplier_id") {
            let name = suppliers::identity(firm, supplier.as_u64());
            out.insert("supplier_identity".to_owned(), name);
        }
    }
}
