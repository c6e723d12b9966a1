//! Field tables and their validation, shared by every resource.
//!
//! Each resource declares the reference's field list ("Liste des champs") as a table of names,
//! types and access. Records are JSON maps holding every field of the table (`null` when unset),
//! so responses always show the full field list, and input is checked against the declared
//! types, lengths and value lists without a hand-written struct per resource.

use serde_json::{Map, Number, Value};

use super::amount::{self, Format};
use super::clock;
use super::error::{FieldErrors, push_error};

/// What a writable field accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string; `Some(n)` caps it at `n` characters, `None` is unbounded text.
    Str(Option<usize>),
    /// A 32-bit integer, as a JSON number or a string of digits (the reference's own examples
    /// send `"status": "1"`).
    Int,
    /// A 64-bit integer, as a JSON number or a string of digits.
    BigInt,
    /// A 32-bit integer that must be a JSON number (the customer endpoints were built strict).
    StrictInt,
    /// A 64-bit integer that must be a JSON number.
    StrictBigInt,
    /// `true` or `false` (also `"true"`, `"false"`, `1`, `0`), never null.
    Bool,
    /// A decimal stored as a JSON number: the customer record's `decimal(8,3)` columns.
    Number,
    /// A decimal stored as text, like the service's responses: `|value| < limit`, written with
    /// `format`.
    Decimal { limit: f64, format: Format },
    /// A `YYYY-MM-DD` date; an empty string clears it.
    Date,
    /// One of a fixed list of strings.
    Code(&'static [&'static str]),
    /// One of a fixed list of integer codes, as a number or a string of digits.
    Coded(&'static [(i64, &'static str)]),
    /// Billed lines: checked by the quote and invoice rules, not here.
    Lines,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Access {
    /// Set by the service only; ignored when a client sends it.
    Read,
    Write(Kind),
}

#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) access: Access,
}

/// A resource's fields, as one or more tables (quotes and invoices share most of theirs).
pub(crate) type Tables = &'static [&'static [Field]];

pub(crate) const fn read(name: &'static str) -> Field {
    Field {
        name,
        access: Access::Read,
    }
}

pub(crate) const fn write(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        access: Access::Write(kind),
    }
}

pub(crate) const fn string(max: usize) -> Kind {
    Kind::Str(Some(max))
}

pub(crate) const TEXT: Kind = Kind::Str(None);

/// `decimal(15,3)` prices and totals.
pub(crate) const MONEY: Kind = Kind::Decimal {
    limit: 1e12,
    format: amount::MONEY,
};

/// `decimal(8,3)` percentages and small rates (penalty, discount, global rebate).
pub(crate) const PERCENT: Kind = Kind::Decimal {
    limit: 1e5,
    format: amount::MONEY,
};

/// VAT rates, written as fractions (`0.200` for 20 %) as in the reference's examples.
pub(crate) const VAT: Kind = Kind::Decimal {
    limit: 100.0,
    format: amount::RATE,
};

/// Decimal columns of the customer record are `decimal(8,3)`: five digits before the point.
const NUMBER_LIMIT: f64 = 100_000.0;

pub(crate) fn all(tables: Tables) -> impl Iterator<Item = &'static Field> {
    tables.iter().flat_map(|table| table.iter())
}

pub(crate) fn has_field(tables: Tables, name: &str) -> bool {
    all(tables).any(|field| field.name == name)
}

/// A record with every field of the tables, all `null`.
pub(crate) fn blank(tables: Tables) -> Map<String, Value> {
    all(tables)
        .map(|field| (field.name.to_owned(), Value::Null))
        .collect()
}

/// Copies the writable fields present in `input` into `record`, checking their types.
/// Read-only and unknown members are ignored, as the service ignores them.
pub(crate) fn apply_writable(
    tables: Tables,
    record: &mut Map<String, Value>,
    input: &Map<String, Value>,
    errors: &mut FieldErrors,
) {
    apply_with_prefix(tables, record, input, errors, "");
}

/// Like [`apply_writable`], with error keys prefixed (for nested records such as lines).
pub(crate) fn apply_with_prefix(
    tables: Tables,
    record: &mut Map<String, Value>,
    input: &Map<String, Value>,
    errors: &mut FieldErrors,
    prefix: &str,
) {
    for field in all(tables) {
        let (Access::Write(kind), Some(value)) = (field.access, input.get(field.name)) else {
            continue;
        };
        if matches!(kind, Kind::Lines) {
            continue;
        }
        match coerce(kind, value) {
            Ok(value) => {
                record.insert(field.name.to_owned(), value);
            }
            Err(message) => push_error(errors, &format!("{prefix}{}", field.name), message),
        }
    }
}

/// Copies every known field present in `input`, read-only ones included, without checks: the
/// direct seeding path. Values of decimal fields are still normalised when readable.
pub(crate) fn copy_known(
    tables: Tables,
    record: &mut Map<String, Value>,
    input: &Map<String, Value>,
) {
    for field in all(tables).filter(|field| field.name != "id") {
        let Some(value) = input.get(field.name) else {
            continue;
        };
        let value = match field.access {
            Access::Write(kind) => coerce(kind, value).unwrap_or_else(|_| value.clone()),
            Access::Read => value.clone(),
        };
        record.insert(field.name.to_owned(), value);
    }
}

/// Checks a value against its declared kind, normalising it where the service would.
pub(crate) fn coerce(kind: Kind, value: &Value) -> Result<Value, String> {
    match (kind, value) {
        (Kind::Bool, _) => boolean(value)
            .map(Value::Bool)
            .ok_or_else(|| "must be true or false".to_owned()),
        (Kind::Lines, _) => Ok(value.clone()),
        (_, Value::Null) => Ok(Value::Null),
        (Kind::Str(limit), Value::String(text)) => match limit {
            Some(max) if text.chars().count() > max => {
                Err(format!("is too long (maximum is {max} characters)"))
            }
            _ => Ok(value.clone()),
        },
        (Kind::Str(_), _) => Err("must be a string".to_owned()),
        (Kind::Int, _) => integer(value, true, true),
        (Kind::BigInt, _) => integer(value, true, false),
        (Kind::StrictInt, _) => integer(value, false, true),
        (Kind::StrictBigInt, _) => integer(value, false, false),
        (Kind::Number, _) => match amount::parse(value) {
            Some(number) if number.abs() >= NUMBER_LIMIT => Err("is out of range".to_owned()),
            Some(number) => Ok(Number::from_f64(number).map_or(Value::Null, Value::Number)),
            None => Err("must be a number".to_owned()),
        },
        (Kind::Decimal { .. }, Value::String(text)) if text.trim().is_empty() => Ok(Value::Null),
        (Kind::Decimal { limit, format }, _) => match amount::parse(value) {
            Some(number) if number.abs() >= limit => Err("is out of range".to_owned()),
            Some(number) => Ok(Value::String(amount::format(number, format))),
            None => Err("must be a number".to_owned()),
        },
        (Kind::Date, Value::String(text)) if text.is_empty() => Ok(Value::Null),
        (Kind::Date, Value::String(text)) if clock::is_valid_date(text) => Ok(value.clone()),
        (Kind::Date, _) => Err("must be a date written YYYY-MM-DD".to_owned()),
        (Kind::Code(codes), Value::String(text)) if codes.contains(&text.as_str()) => {
            Ok(value.clone())
        }
        (Kind::Code(codes), _) => Err(one_of(codes.iter().map(|code| (*code).to_owned()))),
        (Kind::Coded(table), _) => {
            let code = integer(value, true, false)?;
            if table.iter().any(|(known, _)| Some(*known) == code.as_i64()) {
                Ok(code)
            } else {
                Err(one_of(table.iter().map(|(code, _)| code.to_string())))
            }
        }
    }
}

/// The message for a value outside a list; long lists (currencies) are not spelled out.
fn one_of(values: impl ExactSizeIterator<Item = String>) -> String {
    if values.len() > 30 {
        "is not one of the accepted codes".to_owned()
    } else {
        format!("must be one of: {}", values.collect::<Vec<_>>().join(", "))
    }
}

/// Reads a boolean the way a form or a JSON client may send it.
pub(crate) fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(text) => match text.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn integer(value: &Value, from_text: bool, small: bool) -> Result<Value, String> {
    let number = match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) if from_text => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    match number {
        Some(number) if small && i32::try_from(number).is_err() => {
            Err("is out of range".to_owned())
        }
        Some(number) => Ok(Value::from(number)),
        None => Err("must be an integer".to_owned()),
    }
}

/// A text field's trimmed value, `None` when unset or blank.
pub(crate) fn text<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    record
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Records a "can't be blank" error when a text field is unset or blank.
pub(crate) fn require_text(record: &Map<String, Value>, name: &str, errors: &mut FieldErrors) {
    if text(record, name).is_none() {
        push_error(errors, name, "can't be blank");
    }
}

/// VAT rates are fractions: 0.2 is 20 %. A value of 1 or more is almost surely a percentage
/// sent by mistake, so it is refused rather than stored as a 2000 % rate.
pub(crate) fn check_rate(
    record: &Map<String, Value>,
    name: &str,
    errors: &mut FieldErrors,
    key: &str,
) {
    if let Some(rate) = record.get(name).and_then(amount::parse)
        && !(0.0..1.0).contains(&rate)
    {
        push_error(
            errors,
            key,
            "must be a rate between 0 and 1, e.g. 0.2 for 20 %",
        );
    }
}

/// Sets `name` to `value` when it is `null`.
pub(crate) fn default(record: &mut Map<String, Value>, name: &str, value: Value) {
    if record.get(name).is_none_or(Value::is_null) {
        record.insert(name.to_owned(), value);
    }
}

/// A field's value, `null` when the record has no such field.
pub(crate) fn value<'a>(record: &'a Map<String, Value>, name: &str) -> &'a Value {
    const NULL: &Value = &Value::Null;
    record.get(name).unwrap_or(NULL)
}

/// The boolean value of a field, `false` when unset.
pub(crate) fn flag(record: &Map<String, Value>, name: &str) -> bool {
    record.get(name).and_then(Value::as_bool).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Kind, MONEY, coerce};
    use crate::emulator::values::QUOTE_STATUSES;

    #[test]
    fn coercion_follows_the_kinds() {
        assert_eq!(coerce(Kind::Int, &json!("12")), Ok(json!(12)));
        assert_eq!(
            coerce(Kind::StrictInt, &json!("12")),
            Err("must be an integer".to_owned())
        );
        assert_eq!(coerce(MONEY, &json!(200)), Ok(json!("200.0")));
        assert_eq!(coerce(MONEY, &json!("")), Ok(Value::Null));
        assert_eq!(
            coerce(Kind::Coded(QUOTE_STATUSES), &json!("9")),
            Ok(json!(9))
        );
        assert_eq!(
            coerce(Kind::Coded(QUOTE_STATUSES), &json!(2)),
            Err("must be one of: 0, 1, 9".to_owned())
        );
        assert_eq!(coerce(Kind::Bool, &json!("1")), Ok(json!(true)));
        assert!(coerce(Kind::Bool, &Value::Null).is_err());
        assert!(coerce(Kind::Code(&["fr", "en"]), &json!("de")).is_err());
    }
}
