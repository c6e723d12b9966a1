//! Suppliers, `/firms/{firm}/suppliers`.

use serde_json::{Map, Value};

use super::engine::{Behaviour, Draft, Resource, Shape};
use super::error::ApiError;
use super::fields::{Field, Kind, TEXT, default, read, string, write};
use super::listing::{Filter, Key, ListSpec};
use super::party;
use super::purchases::PURCHASES;
use super::state::{Firm, Record};

const FIELDS: &[Field] = &[
    read("id"),
    write("company_name", string(255)),
    write("civility", string(255)),
    write("first_name", string(255)),
    write("last_name", string(255)),
    write("short_name", string(255)),
    write("street", string(255)),
    write("city", string(255)),
    write("zip_code", string(20)),
    write("country", string(2)),
    write("phone", string(255)),
    write("fax", string(255)),
    write("email", TEXT),
    write("mobile", string(255)),
    write("website", string(255)),
    write("notes", TEXT),
    write("vat_number", string(30)),
    write("siret", string(100)),
    write("category_id", Kind::Int),
    write("account_code", string(11)),
    write("accounting_entry", string(8)),
    read("created_at"),
    read("updated_at"),
    write("sepa_iban", TEXT),
    write("sepa_bic", TEXT),
    write("api_id", Kind::BigInt),
    write("api_custom", string(255)),
    write("reverse_charge", Kind::Bool),
    read("soft_deleted"),
    read("hard_delete_on"),
];

pub(crate) static SUPPLIERS: Resource = Resource {
    name: "suppliers",
    fields: &[FIELDS],
    list: ListSpec {
        filters: &[
            Filter::Id("api_id", "api_id"),
            Filter::Contains("api_custom", "api_custom"),
            Filter::Contains("company", "company_name"),
            Filter::OptionalId("category_id", "category_id"),
            Filter::Equals("country", "country"),
            Filter::Contains("account_code", "account_code"),
            Filter::Contains("accounting_entry", "accounting_entry"),
        ],
        orders: &[
            ("created", Key::Field("created_at")),
            ("updated", Key::Field("updated_at")),
        ],
        default_order: (Key::Field("short_name"), false),
    },
    behaviour: &SupplierRules,
    read_only: false,
};

struct SupplierRules;

impl Behaviour for SupplierRules {
    fn prepare(&self, draft: &mut Draft<'_>) {
        let record = &mut draft.record;
        default(record, "reverse_charge", Value::Bool(false));
        party::fill_names(record);
        party::fill_account_code(record, "401");
        party::check_name(&draft.record, &mut draft.errors);
        party::check_country(&draft.record, &mut draft.errors);
    }

    /// Suppliers the service manages (tax and social bodies) stay while purchases use them.
    fn check_delete(&self, firm: &Firm, record: &Record) -> Result<(), ApiError> {
        if record.system && !purchases_of(firm, record.id()).is_empty() {
            return Err(ApiError::invalid_field(
                "base",
                "This supplier is managed by the service and has purchases; it cannot be deleted",
            ));
        }
        Ok(())
    }

    /// Deleting a supplier deletes its purchases too.
    fn after_delete(&self, firm: &mut Firm, record: &Record) {
        for purchase in purchases_of(firm, record.id()) {
            // Purchases have no deletion rule, so this cannot fail.
            let _ = PURCHASES.delete(firm, purchase);
        }
    }

    fn view(
        &self,
        _firm: &Firm,
        _record: &Record,
        shape: &Shape<'_>,
        out: &mut Map<String, Value>,
    ) {
        party::hide_sepa(shape, out);
    }
}

fn purchases_of(firm: &Firm, supplier: u64) -> Vec<u64> {
    firm.ids_where(PURCHASES.name, |purchase| {
        purchase.fields["supplier_id"].as_u64() == Some(supplier)
    })
}

/// The supplier's company name, as purchases show it (`supplier_identity`).
pub(crate) fn identity(firm: &Firm, supplier_id: Option<u64>) -> Value {
    supplier_id
        .and_then(|id| firm.find(SUPPLIERS.name, id))
        .map_or(Value::Null, |supplier| {
            supplier.fields["company_name"].clone()
        })
}
