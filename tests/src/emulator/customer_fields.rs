//! The customer record: its fields, their types and access, defaults and rules.

use serde_json::{Map, Value};

use super::engine::{Behaviour, Draft, Shape};
use super::error::{ApiError, push_error};
use super::fields::{Field, Kind, TEXT, default, read, string, text, write};
use super::party;
use super::quotes::QUOTES;
use super::state::{Firm, Record};

/// The reference's field list for customers, in its order. The customer endpoints predate
/// the other resources and keep their stricter integer checks (JSON numbers only).
pub(crate) const FIELDS: &[Field] = &[
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
    write("category_id", Kind::StrictInt),
    write("account_code", string(11)),
    write("accounting_entry", string(8)),
    read("created_at"),
    read("updated_at"),
    // The reference gives no type for the SEPA account fields; they are free text.
    write("sepa_iban", TEXT),
    write("sepa_bic", TEXT),
    write("sepa_rum", TEXT),
    write("sepa_signature_on", Kind::Date),
    write("api_id", Kind::StrictBigInt),
    write("api_custom", string(255)),
    write("individual", Kind::Bool),
    write("reference", string(255)),
    write("penalty", Kind::Number),
    write("discount", Kind::Number),
    write("pay_before", string(255)),
    write("validity", Kind::StrictInt),
    read("last_invoiced_on"),
    read("last_paid_on"),
    write("currency", string(3)),
    write("language", string(255)),
    write("default_vat", Kind::Number),
    write("vat_country", string(3)),
    write("vat_exemption", string(255)),
    write("invoice_email", TEXT),
    write("field1", string(255)),
    write("field2", string(255)),
    write("field3", string(255)),
    write("field4", string(255)),
    write("field5", string(255)),
    read("soft_deleted"),
    read("hard_delete_on"),
];

pub(crate) struct CustomerRules;

impl Behaviour for CustomerRules {
    /// Implicit names, euros and a `411…` account code; then the rules, on the merged record
    /// so that an update cannot leave a customer without a name either.
    fn prepare(&self, draft: &mut Draft<'_>) {
        let record = &mut draft.record;
        default(record, "individual", Value::Bool(false));
        default(record, "soft_deleted", Value::Bool(false));
        party::fill_names(record);
        if text(record, "currency").is_none() {
            record.insert("currency".to_owned(), Value::String("EUR".to_owned()));
        }
        party::fill_account_code(record, "411");
        party::check_name(&draft.record, &mut draft.errors);
        party::check_country(&draft.record, &mut draft.errors);
        check_currency(&draft.record, &mut draft.errors);
    }

    /// Invoices must keep their customer, so only never-invoiced customers can go.
    fn check_delete(&self, _firm: &Firm, record: &Record) -> Result<(), ApiError> {
        if record.fields["last_invoiced_on"].is_null() {
            Ok(())
        } else {
            Err(ApiError::invalid_field(
                "base",
                "This customer has been invoiced and cannot be deleted; archive it instead",
            ))
        }
    }

    /// Deleting a customer deletes its quotes too.
    fn after_delete(&self, firm: &mut Firm, record: &Record) {
        let customer = record.id();
        let quotes = firm.ids_where(QUOTES.name, |quote| {
            quote.fields["customer_id"].as_u64() == Some(customer)
        });
        for quote in quotes {
            // Quotes have no deletion rule, so this cannot fail.
            let _ = QUOTES.delete(firm, quote);
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

fn check_currency(record: &Map<String, Value>, errors: &mut super::error::FieldErrors) {
    if let Some(currency) = record.get("currency").and_then(Value::as_str)
        && !(currency.len() == 3 && currency.bytes().all(|byte| byte.is_ascii_alphabetic()))
    {
        push_error(
            errors,
            "currency",
            "must be a 3-letter ISO currency code, e.g. EUR",
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use crate::emulator::customers::CUSTOMERS;
    use crate::emulator::error::FieldErrors;
    use crate::emulator::query::QueryParams;
    use crate::emulator::state::{Firm, IdSequence};

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().expect("object").clone()
    }

    /// Runs a creation (and optionally an update) through the engine on a scratch firm.
    fn write(create: Value, update: Option<Value>) -> Result<Map<String, Value>, FieldErrors> {
        let mut firm = Firm::new(1, "Test", 0);
        let mut ids = IdSequence::new();
        let params = QueryParams::new(None);
        let expect_errors = |error: crate::emulator::error::ApiError| error.field_errors();
        let id = CUSTOMERS
            .create(&mut firm, &mut ids, &params, &object(create))
            .map_err(expect_errors)?;
        if let Some(changes) = update {
            CUSTOMERS
                .update(&mut firm, &mut ids, id, &params, &object(changes))
                .map_err(expect_errors)?;
        }
        Ok(firm.get("customers", id).expect("stored").fields.clone())
    }

    #[test]
    fn names_fill_company_and_short_name() {
        let record =
            write(json!({"first_name": "Claire", "last_name": "Dubois"}), None).expect("valid");
        assert_eq!(record["company_name"], "Claire Dubois");
        assert_eq!(record["short_name"], "Claire Dubois");
        assert_eq!(record["account_code"], "411CLAIREDU");
        assert_eq!(record["currency"], "EUR");
        assert_eq!(record["individual"], false);
    }

    #[test]
    fn read_only_and_unknown_members_are_ignored() {
        let record = write(
            json!({
                "company_name": "Acme", "id": 5, "last_invoiced_on": "2020-01-01", "colour": "red"
            }),
            None,
        )
        .expect("valid");
        assert_ne!(record["id"], 5);
        assert_eq!(record["last_invoiced_on"], Value::Null);
        assert!(record.get("colour").is_none());
    }

    #[test]
    fn types_and_lengths_are_checked() {
        let errors = write(
            json!({
                "company_name": "Acme", "individual": "yes", "category_id": "3",
                "zip_code": "1".repeat(21), "penalty": "abc", "sepa_signature_on": "2024-02-30",
                "city": 12, "validity": 3_000_000_000_i64
            }),
            None,
        )
        .expect_err("invalid");
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "category_id",
                "city",
                "individual",
                "penalty",
                "sepa_signature_on",
                "validity",
                "zip_code"
            ]
        );
    }

    #[test]
    fn updates_cannot_remove_every_name() {
        let errors = write(
            json!({"company_name": "Acme"}),
            Some(json!({"company_name": null})),
        )
        .expect_err("nameless");
        assert!(errors.contains_key("company_name"));
        let renamed = write(
            json!({"company_name": "Acme"}),
            Some(json!({"company_name": "Acme 2", "discount": "1.5"})),
        )
        .expect("valid");
        assert_eq!(renamed["company_name"], "Acme 2");
        assert_eq!(renamed["discount"], 1.5);
        // The short name keeps its own value once set.
        assert_eq!(renamed["short_name"], "Acme");
    }
}
