//! The customer record: its fields, their types and access, defaults and validation.
//!
//! Records are kept as JSON maps driven by one table mirroring the reference's field list, so
//! every field is always present in responses (`null` when unset) and validation follows the
//! declared types and lengths without a hand-written struct per field.

use serde_json::{Map, Number, Value};

use super::clock;
use super::error::{FieldErrors, push_error};

/// What a writable field accepts.
#[derive(Clone, Copy)]
enum Kind {
    /// A string; `Some(n)` caps it at `n` characters, `None` is unbounded text.
    Str(Option<usize>),
    /// A 32-bit integer column.
    Int,
    /// A 64-bit integer column.
    BigInt,
    /// `true` or `false`, never null.
    Bool,
    /// A decimal number; numeric strings are accepted too, as decimals often travel as text.
    Decimal,
    /// A `YYYY-MM-DD` date.
    Date,
}

#[derive(Clone, Copy)]
enum Access {
    /// Set by the service only; ignored when a client sends it.
    Read,
    Write(Kind),
}

struct Field {
    name: &'static str,
    access: Access,
}

const fn read(name: &'static str) -> Field {
    Field {
        name,
        access: Access::Read,
    }
}

const fn write(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        access: Access::Write(kind),
    }
}

const fn string(max: usize) -> Kind {
    Kind::Str(Some(max))
}

const TEXT: Kind = Kind::Str(None);

/// The reference's field list for customers, in its order.
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
    // The reference gives no type for the SEPA account fields; they are free text.
    write("sepa_iban", TEXT),
    write("sepa_bic", TEXT),
    write("sepa_rum", TEXT),
    write("sepa_signature_on", Kind::Date),
    write("api_id", Kind::BigInt),
    write("api_custom", string(255)),
    write("individual", Kind::Bool),
    write("reference", string(255)),
    write("penalty", Kind::Decimal),
    write("discount", Kind::Decimal),
    write("pay_before", string(255)),
    write("validity", Kind::Int),
    read("last_invoiced_on"),
    read("last_paid_on"),
    write("currency", string(3)),
    write("language", string(255)),
    write("default_vat", Kind::Decimal),
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

/// Bank details only go out when the caller asks for them with `with_sepa=1`.
const SEPA_PREFIX: &str = "sepa_";

/// Decimal columns are `decimal(8,3)`: five digits before the point.
const DECIMAL_LIMIT: f64 = 100_000.0;

/// A record with every field present: `null`, except the booleans, which are never null.
fn blank_record() -> Map<String, Value> {
    let mut record: Map<String, Value> = FIELDS
        .iter()
        .map(|field| (field.name.to_owned(), Value::Null))
        .collect();
    record.insert("individual".to_owned(), Value::Bool(false));
    record.insert("soft_deleted".to_owned(), Value::Bool(false));
    record
}

/// Builds a customer from a creation request body, or says what is wrong with it.
pub(crate) fn new_record(input: &Map<String, Value>) -> Result<Map<String, Value>, FieldErrors> {
    let mut record = blank_record();
    let mut errors = FieldErrors::new();
    apply_writable(&mut record, input, &mut errors);
    fill_defaults(&mut record);
    check_rules(&record, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let now = Value::String(clock::now_timestamp());
    record.insert("created_at".to_owned(), now.clone());
    record.insert("updated_at".to_owned(), now);
    Ok(record)
}

/// Applies an update request body to a stored customer, or says what is wrong with it. The
/// stored record is left untouched on error.
pub(crate) fn updated_record(
    current: &Map<String, Value>,
    changes: &Map<String, Value>,
) -> Result<Map<String, Value>, FieldErrors> {
    let mut record = current.clone();
    let mut errors = FieldErrors::new();
    apply_writable(&mut record, changes, &mut errors);
    fill_defaults(&mut record);
    check_rules(&record, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    record.insert(
        "updated_at".to_owned(),
        Value::String(clock::now_timestamp()),
    );
    Ok(record)
}

/// Builds a customer for direct seeding: any known field is taken as given, read-only ones
/// included, with no validation; then the usual defaults fill the gaps.
pub(crate) fn seeded_record(fields: &Map<String, Value>) -> Map<String, Value> {
    let mut record = blank_record();
    for field in FIELDS.iter().filter(|field| field.name != "id") {
        if let Some(value) = fields.get(field.name) {
            record.insert(field.name.to_owned(), value.clone());
        }
    }
    fill_defaults(&mut record);
    for stamp in ["created_at", "updated_at"] {
        if record[stamp].is_null() {
            record.insert(stamp.to_owned(), Value::String(clock::now_timestamp()));
        }
    }
    record
}

/// The record as the API shows it: SEPA fields only on request.
pub(crate) fn public_view(record: &Map<String, Value>, with_sepa: bool) -> Value {
    Value::Object(
        record
            .iter()
            .filter(|(name, _)| with_sepa || !name.starts_with(SEPA_PREFIX))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    )
}

/// Copies the writable fields present in `input` into `record`, checking their types.
/// Read-only and unknown members are ignored, as the service ignores them.
fn apply_writable(
    record: &mut Map<String, Value>,
    input: &Map<String, Value>,
    errors: &mut FieldErrors,
) {
    for field in FIELDS {
        let (Access::Write(kind), Some(value)) = (field.access, input.get(field.name)) else {
            continue;
        };
        match coerce(kind, value) {
            Ok(value) => {
                record.insert(field.name.to_owned(), value);
            }
            Err(message) => push_error(errors, field.name, message),
        }
    }
}

/// Checks a value against its declared kind, normalising it where the service would.
fn coerce(kind: Kind, value: &Value) -> Result<Value, String> {
    match (kind, value) {
        (Kind::Bool, Value::Bool(_)) => Ok(value.clone()),
        (Kind::Bool, _) => Err("must be true or false".to_owned()),
        (_, Value::Null) => Ok(Value::Null),
        (Kind::Str(limit), Value::String(text)) => match limit {
            Some(max) if text.chars().count() > max => {
                Err(format!("is too long (maximum is {max} characters)"))
            }
            _ => Ok(value.clone()),
        },
        (Kind::Str(_), _) => Err("must be a string".to_owned()),
        (Kind::Int, _) => match value.as_i64() {
            Some(number) if i32::try_from(number).is_ok() => Ok(value.clone()),
            Some(_) => Err("is out of range".to_owned()),
            None => Err("must be an integer".to_owned()),
        },
        (Kind::BigInt, _) => value
            .as_i64()
            .map(|_| value.clone())
            .ok_or_else(|| "must be an integer".to_owned()),
        (Kind::Decimal, _) => {
            let number = match value {
                Value::Number(number) => number.as_f64(),
                Value::String(text) => text.trim().parse::<f64>().ok(),
                _ => None,
            };
            match number.filter(|number| number.is_finite()) {
                Some(number) if number.abs() >= DECIMAL_LIMIT => Err("is out of range".to_owned()),
                Some(number) => Ok(Number::from_f64(number).map_or(Value::Null, Value::Number)),
                None => Err("must be a number".to_owned()),
            }
        }
        (Kind::Date, Value::String(text)) if text.is_empty() => Ok(Value::Null),
        (Kind::Date, Value::String(text)) if clock::is_valid_date(text) => Ok(value.clone()),
        (Kind::Date, _) => Err("must be a date written YYYY-MM-DD".to_owned()),
    }
}

fn text<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    record
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// The service's implicit values: a company name made of the person's names when missing, the
/// short name copied from the company name, euros, and a customer account code `411…`.
fn fill_defaults(record: &mut Map<String, Value>) {
    if text(record, "company_name").is_none() {
        let names: Vec<&str> = ["first_name", "last_name"]
            .iter()
            .filter_map(|name| text(record, name))
            .collect();
        if !names.is_empty() {
            let derived = names.join(" ");
            record.insert("company_name".to_owned(), Value::String(derived));
        }
    }
    if text(record, "short_name").is_none()
        && let Some(company) = text(record, "company_name")
    {
        record.insert("short_name".to_owned(), Value::String(company.to_owned()));
    }
    if text(record, "currency").is_none() {
        record.insert("currency".to_owned(), Value::String("EUR".to_owned()));
    }
    if text(record, "account_code").is_none()
        && let Some(company) = text(record, "company_name")
    {
        record.insert(
            "account_code".to_owned(),
            Value::String(account_code_for(company)),
        );
    }
}

/// `411` (the French chart of accounts' customer class) followed by the name's letters and
/// digits in upper case, accents dropped, within the field's 11 characters.
fn account_code_for(name: &str) -> String {
    let mut code = String::from("411");
    code.extend(
        name.chars()
            .map(fold_accent)
            .filter(char::is_ascii_alphanumeric)
            .map(|letter| letter.to_ascii_uppercase())
            .take(11 - 3),
    );
    code
}

/// Maps the accented letters common in French names onto their base letter.
fn fold_accent(letter: char) -> char {
    match letter.to_lowercase().next().unwrap_or(letter) {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        _ => letter,
    }
}

/// Rules across fields and on value formats, checked on the merged record so that an update
/// cannot leave a customer without a name either.
fn check_rules(record: &Map<String, Value>, errors: &mut FieldErrors) {
    if text(record, "company_name").is_none() {
        push_error(
            errors,
            "company_name",
            "can't be blank: give a company name, or a first or last name",
        );
    }
    // Blank is allowed (no country); anything else must be an ISO 3166 alpha-2 code.
    if let Some(country) = record.get("country").and_then(Value::as_str)
        && !country.is_empty()
        && !(country.len() == 2 && country.bytes().all(|byte| byte.is_ascii_uppercase()))
    {
        push_error(
            errors,
            "country",
            "must be a 2-letter ISO country code in upper case, e.g. FR",
        );
    }
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
    use serde_json::{Value, json};

    use super::{account_code_for, new_record, updated_record};

    fn object(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().expect("object").clone()
    }

    #[test]
    fn account_codes_follow_the_name() {
        assert_eq!(account_code_for("A small company"), "411ASMALLCO");
        assert_eq!(account_code_for("Café Nœud"), "411CAFENUD");
        assert_eq!(account_code_for("!!"), "411");
    }

    #[test]
    fn names_fill_company_and_short_name() {
        let record = new_record(&object(
            json!({"first_name": "Claire", "last_name": "Dubois"}),
        ))
        .expect("valid");
        assert_eq!(record["company_name"], "Claire Dubois");
        assert_eq!(record["short_name"], "Claire Dubois");
        assert_eq!(record["account_code"], "411CLAIREDU");
        assert_eq!(record["currency"], "EUR");
        assert_eq!(record["individual"], false);
    }

    #[test]
    fn read_only_and_unknown_members_are_ignored() {
        let record = new_record(&object(json!({
            "company_name": "Acme", "id": 5, "last_invoiced_on": "2020-01-01", "colour": "red"
        })))
        .expect("valid");
        assert_eq!(record["id"], Value::Null);
        assert_eq!(record["last_invoiced_on"], Value::Null);
        assert!(record.get("colour").is_none());
    }

    #[test]
    fn types_and_lengths_are_checked() {
        let errors = new_record(&object(json!({
            "company_name": "Acme", "individual": "yes", "category_id": "3",
            "zip_code": "1".repeat(21), "penalty": "abc", "sepa_signature_on": "2024-02-30",
            "city": 12, "validity": 3_000_000_000_i64
        })))
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
        let record = new_record(&object(json!({"company_name": "Acme"}))).expect("valid");
        let errors =
            updated_record(&record, &object(json!({"company_name": null}))).expect_err("nameless");
        assert!(errors.contains_key("company_name"));
        let renamed = updated_record(
            &record,
            &object(json!({"company_name": "Acme 2", "discount": "1.5"})),
        )
        .expect("valid");
        assert_eq!(renamed["company_name"], "Acme 2");
        assert_eq!(renamed["discount"], 1.5);
        // The short name keeps its own value once set.
        assert_eq!(renamed["short_name"], "Acme");
    }
}
