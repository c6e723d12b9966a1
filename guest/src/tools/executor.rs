//! The one executor every table-driven tool shares: check the arguments against the spec,
//! place them in the path, query or body, call the API, and shape the answer.

use serde_json::{Map, Value, json};

use super::schema::DATE_PATTERN;
use super::spec::{FieldType, Output, ToolSpec};
use crate::api::{ApiClient, ApiError, ApiRequest};

/// Why a call produced no result: bad arguments (caught before any request) or the API.
pub enum CallFailure {
    Argument(String),
    Api(ApiError),
}

impl From<ApiError> for CallFailure {
    fn from(error: ApiError) -> Self {
        CallFailure::Api(error)
    }
}

pub fn execute(
    spec: &ToolSpec,
    mut args: Map<String, Value>,
    client: &ApiClient,
) -> Result<Value, CallFailure> {
    let path_ids = resolve_path_ids(spec, &mut args, client)?;
    let mut path = spec.path.to_string();
    for (name, id) in &path_ids {
        path = path.replace(&format!("{{{name}}}"), &id.to_string());
    }

    let mut query = Vec::new();
    let mut body = Map::new();
    for (name, value) in args {
        if let Some(param) = spec.query.iter().find(|param| param.name == name) {
            check_value(&name, param.ty, &value).map_err(CallFailure::Argument)?;
            query.push((name, query_text(&value)));
        } else if let Some(field) = spec
            .body
            .iter()
            .find(|field| field.writable && field.name == name)
        {
            // null clears a field, which the API accepts for any writable field.
            if !value.is_null() {
                check_value(&name, field.ty, &value).map_err(CallFailure::Argument)?;
            }
            body.insert(name, value);
        } else {
            return Err(CallFailure::Argument(unknown_argument(spec, &name)));
        }
    }
    if let Some(missing) = spec
        .required_body
        .iter()
        .find(|name| !body.contains_key(**name))
    {
        return Err(CallFailure::Argument(format!(
            "missing required argument `{missing}`"
        )));
    }

    let has_body = !spec.body.is_empty();
    let request = ApiRequest {
        method: spec.method,
        path,
        query,
        body: has_body.then_some(Value::Object(body)),
    };
    let response = client.send(&request)?;
    let json = response.json()?;
    match &spec.output {
        Output::Record(_) => match json {
            Some(record @ Value::Object(_)) => Ok(record),
            other => {
                Err(ApiError::BadResponse(format!("expected a JSON object, got {other:?}")).into())
            }
        },
        Output::Page { key, .. } => match json {
            Some(records @ Value::Array(_)) => {
                Ok(json!({ *key: records, "pagination": response.pagination }))
            }
            other => {
                Err(ApiError::BadResponse(format!("expected a JSON list, got {other:?}")).into())
            }
        },
        Output::Done { verb } => {
            let (id_name, id) = path_ids.last().expect("every Done tool addresses a record");
            Ok(json!({ *id_name: id, *verb: true }))
        }
    }
}

/// Takes the path's ids out of the arguments; `firm_id` falls back to the configured firm.
fn resolve_path_ids(
    spec: &ToolSpec,
    args: &mut Map<String, Value>,
    client: &ApiClient,
) -> Result<Vec<(&'static str, u64)>, CallFailure> {
    let mut ids = Vec::new();
    for name in spec.path_params() {
        let id = match args.remove(name) {
            Some(value) => Some(positive_id(name, &value).map_err(CallFailure::Argument)?),
            None if name == "firm_id" => client.config().default_firm_id,
            None => {
                return Err(CallFailure::Argument(format!(
                    "missing required argument `{name}`"
                )));
            }
        };
        ids.push((name, id.ok_or(CallFailure::Api(ApiError::NoFirm))?));
    }
    // Tools outside a firm still accept no `firm_id`; say so instead of ignoring it.
    if !spec.is_firm_scoped() && args.contains_key("firm_id") {
        return Err(CallFailure::Argument(unknown_argument(spec, "firm_id")));
    }
    Ok(ids)
}

fn positive_id(name: &str, value: &Value) -> Result<u64, String> {
    match value.as_u64() {
        Some(id) if id > 0 => Ok(id),
        _ => Err(format!("`{name}` must be a positive integer, got {value}")),
    }
}

fn unknown_argument(spec: &ToolSpec, name: &str) -> String {
    let mut known: Vec<&str> = spec.path_params().collect();
    known.extend(spec.query.iter().map(|param| param.name));
    known.extend(
        spec.body
            .iter()
            .filter(|field| field.writable)
            .map(|field| field.name),
    );
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

/// Query strings carry text: numbers and booleans as the API expects them (`1`/`0` for flags).
fn query_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => if *flag { "1" } else { "0" }.to_string(),
        other => other.to_string(),
    }
}

/// Checks one argument against its declared type; the message names the field.
fn check_value(name: &str, ty: FieldType, value: &Value) -> Result<(), String> {
    let fail = |expected: &str| Err(format!("`{name}` must be {expected}, got {value}"));
    match ty {
        FieldType::Text(_) | FieldType::DateTime if !value.is_string() => fail("a string"),
        FieldType::Text(Some(max)) => {
            let length = value.as_str().map_or(0, |text| text.chars().count());
            if length > max as usize {
                return Err(format!(
                    "`{name}` is {length} characters long; the API allows {max}"
                ));
            }
            Ok(())
        }
        FieldType::Text(None) | FieldType::DateTime => Ok(()),
        FieldType::Integer if !(value.is_i64() || value.is_u64()) => fail("an integer"),
        FieldType::Number if !value.is_number() => fail("a number"),
        FieldType::Boolean if !value.is_boolean() => fail("true or false"),
        FieldType::Integer | FieldType::Number | FieldType::Boolean => Ok(()),
        FieldType::Date => match value.as_str() {
            Some(text) if is_calendar_date(text) => Ok(()),
            _ => fail(&format!("a date as YYYY-MM-DD (pattern {DATE_PATTERN})")),
        },
        FieldType::Country => match value.as_str() {
            Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) => Ok(()),
            _ => fail("a two-letter country code in capitals, like FR"),
        },
        FieldType::OneOf(choices) => match value.as_str() {
            Some(text) if choices.iter().any(|choice| choice.value == text) => Ok(()),
            _ => {
                let allowed: Vec<&str> = choices.iter().map(|choice| choice.value).collect();
                fail(&format!("one of {}", allowed.join(", ")))
            }
        },
        FieldType::Code(codes) => match value.as_str() {
            Some(text) if codes.contains(&text) => Ok(()),
            _ => fail("a currency code the service supports, like EUR"),
        },
        FieldType::Suggested(_) if !value.is_string() => fail("a string"),
        FieldType::Suggested(_) => Ok(()),
        FieldType::List if !value.is_array() => fail("a list"),
        FieldType::List => Ok(()),
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
    use crate::tools::values::LANGUAGES;

    #[test]
    fn dates_must_exist() {
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("2024-13-01"));
        assert!(!is_calendar_date("24-01-01"));
        assert!(!is_calendar_date("2024/01/01"));
    }

    #[test]
    fn type_errors_name_the_field() {
        let error = check_value("individual", FieldType::Boolean, &json!("yes")).unwrap_err();
        assert!(
            error.contains("`individual`") && error.contains("true or false"),
            "{error}"
        );
        let error = check_value("language", FieldType::OneOf(LANGUAGES), &json!("de")).unwrap_err();
        assert!(error.contains("fr, en, es, nl"), "{error}");
        let error =
            check_value("zip_code", FieldType::Text(Some(5)), &json!("1234567")).unwrap_err();
        assert!(error.contains("allows 5"), "{error}");
        assert!(check_value("country", FieldType::Country, &json!("FR")).is_ok());
        assert!(check_value("country", FieldType::Country, &json!("fr")).is_err());
    }
}
