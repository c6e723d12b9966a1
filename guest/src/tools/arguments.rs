//! Tool arguments: checked against the spec before anything is sent, then placed where the
//! API wants them (path, query string, JSON body) or kept for the tool itself (paging,
//! file handling). Every refusal names the argument.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Map, Value};

use facturation_pro_catalog::local::local_fields;
use facturation_pro_catalog::spec::{
    Body, Field, FieldType, ToolSpec, body_fields, clears_with_null,
};

/// The arguments sorted into their places.
pub struct Placed {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Map<String, Value>,
    pub local: Map<String, Value>,
    /// Everything the caller gave, for echoing ids and naming files.
    pub given: Map<String, Value>,
}

pub fn place(
    spec: &ToolSpec,
    args: Map<String, Value>,
    default_firm: Option<u64>,
) -> Result<Placed, Refusal> {
    let given = args.clone();
    let mut args = args;
    let mut path = spec.path.to_string();
    for name in spec.path_params() {
        let value = args.remove(name);
        let text = match (name, value) {
            ("order_url", Some(value)) => order_path(&value)?,
            ("firm_id", None) => default_firm.ok_or(Refusal::NoFirm)?.to_string(),
            (_, None) => {
                return Err(Refusal::invalid(format!(
                    "missing required argument `{name}`"
                )));
            }
            (_, Some(value)) => positive_id(name, &value)?.to_string(),
        };
        path = path.replace(&format!("{{{name}}}"), &text);
    }

    let mut placed = Placed {
        path,
        query: Vec::new(),
        body: Map::new(),
        local: Map::new(),
        given,
    };
    for (name, value) in args {
        if let Some(param) = spec.query.iter().find(|param| param.name == name) {
            check_value(&name, param.ty, &value)?;
            placed
                .query
                .push((param.api_name.to_string(), query_text(&value)));
        } else if let Some(field) = body_fields(spec).find(|field| field.name == name) {
            if !(value.is_null() && clears_with_null(spec, field)) {
                check_value(&name, field.ty, &value)?;
            }
            placed.body.insert(name, value);
        } else if let Some(field) = local_fields(spec).find(|field| field.name == name) {
            check_value(&name, field.ty, &value)?;
            placed.local.insert(name, value);
        } else {
            return Err(Refusal::invalid(unknown_argument(spec, &name)));
        }
    }
    for param in spec.query.iter().filter(|param| param.required) {
        if !placed.given.contains_key(param.name) {
            return Err(Refusal::invalid(format!(
                "missing required argument `{}`",
                param.name
            )));
        }
    }
    if let Body::Json { required, .. } = spec.body
        && let Some(missing) = required
            .iter()
            .find(|name| !placed.body.contains_key(**name))
    {
        return Err(Refusal::invalid(format!(
            "missing required argument `{missing}`"
        )));
    }
    Ok(placed)
}

/// Why arguments were refused before any request.
pub enum Refusal {
    Invalid(String),
    /// A firm-scoped tool with no `firm_id` and none configured.
    NoFirm,
}

impl Refusal {
    pub fn invalid(reason: impl Into<String>) -> Self {
        Refusal::Invalid(reason.into())
    }
}

/// All argument names a tool accepts, for messages and the schema.
pub fn known_arguments(spec: &ToolSpec) -> Vec<&'static str> {
    let mut known: Vec<&str> = spec.path_params().collect();
    known.extend(spec.query.iter().map(|param| param.name));
    known.extend(body_fields(spec).map(|field| field.name));
    known.extend(local_fields(spec).map(|field| field.name));
    known
}

fn unknown_argument(spec: &ToolSpec, name: &str) -> String {
    let known = known_arguments(spec);
    if known.is_empty() {
        format!(
            "unknown argument `{name}`: {} takes no arguments",
            spec.name
        )
    } else {
        format!(
            "unknown argument `{name}`; {} accepts: {}",
            spec.name,
            known.join(", ")
        )
    }
}

fn positive_id(name: &str, value: &Value) -> Result<u64, Refusal> {
    match value.as_u64() {
        Some(id) if id > 0 => Ok(id),
        _ => Err(Refusal::invalid(format!(
            "`{name}` must be a positive integer, got {value}"
        ))),
    }
}

/// A subscription order's PDF path, as `invoice_url` gives it: `/firms/N/orders/NAME.pdf`,
/// possibly as a full http(s) URL; the rule of the schema's `ORDER_URL_PATTERN`. Anything
/// else is refused rather than requested. (A name ending in `.pdf` is never `..`, so the
/// path cannot climb out of the orders folder.)
fn order_path(value: &Value) -> Result<String, Refusal> {
    let refuse = || {
        Refusal::invalid(format!(
            "`order_url` must be an order's invoice_url like /firms/1/orders/abc.pdf, got {value}"
        ))
    };
    let text = value.as_str().ok_or_else(refuse)?;
    let path = match text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    {
        Some(rest) => match rest.find('/') {
            Some(authority_end) if authority_end > 0 => &rest[authority_end..],
            _ => return Err(refuse()),
        },
        None => text,
    };
    let segments: Vec<&str> = path.split('/').collect();
    let valid = matches!(segments.as_slice(), ["", "firms", firm, "orders", file]
        if !firm.is_empty() && firm.bytes().all(|b| b.is_ascii_digit())
            && file.len() > ".pdf".len() && file.ends_with(".pdf")
            && file.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    if valid {
        Ok(path.to_string())
    } else {
        Err(refuse())
    }
}

/// Query strings carry text: numbers as written, flags as `1`/`0` as the API expects.
fn query_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => if *flag { "1" } else { "0" }.to_string(),
        other => other.to_string(),
    }
}

/// Checks one argument against its declared type; the message names the field.
fn check_value(name: &str, ty: FieldType, value: &Value) -> Result<(), Refusal> {
    check(name, ty, value).map_err(Refusal::Invalid)
}

fn check(name: &str, ty: FieldType, value: &Value) -> Result<(), String> {
    let fail = |expected: &str| Err(format!("`{name}` must be {expected}, got {value}"));
    match ty {
        FieldType::Text(_) | FieldType::DateTime | FieldType::Suggested(_)
            if !value.is_string() =>
        {
            fail("a string")
        }
        FieldType::Text(Some(max)) => {
            let length = value.as_str().map_or(0, |text| text.chars().count());
            if length > max as usize {
                return Err(format!(
                    "`{name}` is {length} characters long; the API allows {max}"
                ));
            }
            Ok(())
        }
        FieldType::Text(None) | FieldType::DateTime | FieldType::Suggested(_) => Ok(()),
        FieldType::Integer if !(value.is_i64() || value.is_u64()) => fail("an integer"),
        FieldType::Positive => match value.as_u64() {
            Some(number) if number >= 1 => Ok(()),
            _ => fail("a positive integer"),
        },
        FieldType::Range(min, max) => match value.as_i64() {
            Some(number) if (min..=max).contains(&number) => Ok(()),
            _ => fail(&format!("an integer from {min} to {max}")),
        },
        // The API writes decimals as strings ("1250.0") and reads them back the same way.
        FieldType::Number if !(value.is_number() || value.as_str().is_some_and(is_decimal)) => {
            fail("a number")
        }
        FieldType::Boolean if !value.is_boolean() => fail("true or false"),
        FieldType::Integer | FieldType::Number | FieldType::Boolean => Ok(()),
        FieldType::Date => match value.as_str() {
            Some(text) if is_calendar_date(text) => Ok(()),
            _ => fail("a date as YYYY-MM-DD"),
        },
        FieldType::Period => match value.as_str() {
            Some(text) if is_calendar_date(text) || is_calendar_date(&format!("{text}-01")) => {
                Ok(())
            }
            _ => fail("a month as YYYY-MM or a date as YYYY-MM-DD"),
        },
        // The decoder is exactly as strict as the schema's pattern: padded, no stray bits.
        FieldType::Base64 => match value.as_str().map(|text| BASE64_STANDARD.decode(text)) {
            Some(Ok(_)) => Ok(()),
            _ => fail("standard base64, padded with = to a multiple of 4 characters"),
        },
        FieldType::Country => match value.as_str() {
            Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) => Ok(()),
            _ => fail("a two-letter country code in capitals, like FR"),
        },
        FieldType::OneOf(choices) => match value.as_str() {
            Some(text) if choices.iter().any(|choice| choice.value == text) => Ok(()),
            _ => fail(&format!(
                "one of {}",
                choices
                    .iter()
                    .map(|c| c.value)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        FieldType::IntOneOf(choices) => match value.as_i64() {
            Some(code)
                if choices
                    .iter()
                    .any(|choice| choice.value == code.to_string()) =>
            {
                Ok(())
            }
            _ => fail(&format!(
                "one of the codes {}",
                choices
                    .iter()
                    .map(|c| c.value)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        FieldType::Currency => match value.as_str() {
            Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => Ok(()),
            _ => fail("a three-letter currency code in capitals, like EUR"),
        },
        FieldType::List if !value.is_array() => fail("a list"),
        FieldType::List => Ok(()),
        FieldType::Lines(fields) => check_lines(name, fields, value),
    }
}

/// Document lines: a non-empty list of objects whose keys are line fields.
fn check_lines(name: &str, fields: &[Field], value: &Value) -> Result<(), String> {
    let Some(lines) = value.as_array() else {
        return Err(format!("`{name}` must be a list of lines, got {value}"));
    };
    if lines.is_empty() {
        return Err(format!("`{name}` needs at least one line"));
    }
    for (index, line) in lines.iter().enumerate() {
        let Some(line) = line.as_object() else {
            return Err(format!(
                "`{name}[{index}]` must be an object with title, quantity, unit_price, vat..."
            ));
        };
        for (key, item) in line {
            let label = format!("{name}[{index}].{key}");
            match fields
                .iter()
                .find(|field| field.name == key && field.writable)
            {
                Some(field) => check(&label, field.ty, item)?,
                None => {
                    let known: Vec<&str> = fields
                        .iter()
                        .filter(|f| f.writable)
                        .map(|f| f.name)
                        .collect();
                    return Err(format!(
                        "unknown line field `{label}`; lines accept: {}",
                        known.join(", ")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A decimal written as text: `1250`, `-3.5`, or with a French decimal comma, `16,39`;
/// exactly what the schema's pattern for decimals says.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match digits.split_once(['.', ',']) {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(digits),
    }
}

/// `YYYY-MM-DD` naming a day that exists.
fn is_calendar_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts[..] else {
        return false;
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use facturation_pro_catalog::fields::LINE;
    use facturation_pro_catalog::values::LANGUAGES;
    use serde_json::json;

    #[test]
    fn dates_and_periods_must_exist() {
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("2024-13-01"));
        assert!(!is_calendar_date("2024/01/01"));
        assert!(check("p", FieldType::Period, &json!("2025-10")).is_ok());
        assert!(check("p", FieldType::Period, &json!("2025-13")).is_err());
    }

    #[test]
    fn type_errors_name_the_field() {
        let error = check("individual", FieldType::Boolean, &json!("yes")).unwrap_err();
        assert!(
            error.contains("`individual`") && error.contains("true or false"),
            "{error}"
        );
        let error = check("language", FieldType::OneOf(LANGUAGES), &json!("de")).unwrap_err();
        assert!(error.contains("fr, en, es, nl"), "{error}");
        let error = check("zip_code", FieldType::Text(Some(5)), &json!("1234567")).unwrap_err();
        assert!(error.contains("allows 5"), "{error}");
        assert!(check("country", FieldType::Country, &json!("fr")).is_err());
        assert!(check("total", FieldType::Number, &json!("2880.0")).is_ok());
        assert!(check("total", FieldType::Number, &json!("16,39")).is_ok());
        assert!(check("total", FieldType::Number, &json!("12 euros")).is_err());
    }

    #[test]
    fn lines_are_checked_field_by_field() {
        let lines = FieldType::Lines(LINE);
        assert!(
            check(
                "items",
                lines,
                &json!([{ "title": "Audit", "quantity": 2, "unit_price": 450, "vat": 0.2 }])
            )
            .is_ok()
        );
        assert!(
            check("items", lines, &json!([]))
                .unwrap_err()
                .contains("at least one")
        );
        let error = check(
            "items",
            lines,
            &json!([{ "title": "x", "quantity": "two" }]),
        )
        .unwrap_err();
        assert!(error.contains("`items[0].quantity`"), "{error}");
        let error = check("items", lines, &json!([{ "price": 3 }])).unwrap_err();
        assert!(error.contains("items[0].price"), "{error}");
    }

    #[test]
    fn order_urls_must_be_order_pdfs() {
        assert_eq!(
            order_path(&json!("/firms/7/orders/ab-12.pdf")).ok(),
            Some("/firms/7/orders/ab-12.pdf".into())
        );
        assert_eq!(
            order_path(&json!("https://www.facturation.pro/firms/7/orders/x.pdf")).ok(),
            Some("/firms/7/orders/x.pdf".into())
        );
        for bad in [
            "/etc/passwd",
            "/firms/7/orders/../../account.json",
            "/firms/x/orders/a.pdf",
            "/firms/7/invoices/1.pdf",
        ] {
            assert!(order_path(&json!(bad)).is_err(), "{bad}");
        }
    }
}
