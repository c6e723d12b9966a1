//! What a list request selects and in which order: the filters, period bounds and sort
//! options each list endpoint documents, declared per resource and applied generically.

use std::cmp::Ordering;

use serde_json::Value;

use super::amount;
use super::clock;
use super::error::ApiError;
use super::query::QueryParams;
use super::state::{Firm, Record};

/// A named subset of records (e.g. `bill_type=paid`).
pub(crate) type Predicate = fn(&Firm, &Record) -> bool;

/// A sort key computed from the record and its firm (e.g. the customer's short name).
pub(crate) type KeyFn = fn(&Firm, &Record) -> Value;

pub(crate) enum Filter {
    /// Exact match of an integer parameter on an integer field.
    Id(&'static str, &'static str),
    /// Like `Id`, where 0 selects records with no value (`category_id=0`).
    OptionalId(&'static str, &'static str),
    /// Case-insensitive partial match on a text (or number) field.
    Contains(&'static str, &'static str),
    /// Exact match on a text (or number) field.
    Equals(&'static str, &'static str),
    /// Case-insensitive partial match on a field of the linked record (a quote's customer).
    Linked {
        param: &'static str,
        link: &'static str,
        collection: &'static str,
        field: &'static str,
    },
    /// Named subsets; `default` applies when the parameter is absent.
    Choice {
        param: &'static str,
        default: Option<Predicate>,
        choices: &'static [(&'static str, Predicate)],
    },
    /// `period_start` / `period_end` (`YYYY-MM` or `YYYY-MM-DD`) on `field`, or on `billed`
    /// when `period_type=billed` and the resource has that alternative.
    Period {
        field: &'static str,
        billed: Option<&'static str>,
    },
}

pub(crate) enum Key {
    Field(&'static str),
    Computed(KeyFn),
}

pub(crate) struct ListSpec {
    pub(crate) filters: &'static [Filter],
    /// `order` values and what they sort on.
    pub(crate) orders: &'static [(&'static str, Key)],
    /// The order without an `order` parameter, and whether it is descending by default.
    pub(crate) default_order: (Key, bool),
}

type Matcher<'a> = Box<dyn Fn(&Firm, &Record) -> bool + 'a>;

impl ListSpec {
    /// The records of `collection` this request selects, in the requested order. Malformed
    /// parameters are refused with 422 rather than ignored, so a typo never silently widens
    /// a list.
    pub(crate) fn select<'f>(
        &self,
        firm: &'f Firm,
        collection: &str,
        params: &QueryParams,
    ) -> Result<Vec<&'f Record>, ApiError> {
        let matchers = self
            .filters
            .iter()
            .map(|filter| filter.matcher(params))
            .collect::<Result<Vec<_>, _>>()?;
        let (key, default_descending) = &self.default_order;
        let key = match params.get("order") {
            None => key,
            Some(raw) => self
                .orders
                .iter()
                .find(|(name, _)| *name == raw)
                .map(|(_, key)| key)
                .ok_or_else(|| {
                    let names: Vec<&str> = self.orders.iter().map(|(name, _)| *name).collect();
                    let message = if names.is_empty() {
                        "is not supported on this list".to_owned()
                    } else {
                        format!("must be one of: {}", names.join(", "))
                    };
                    ApiError::invalid_field("order", message)
                })?,
        };
        let descending = choice(
            params,
            "sort",
            *default_descending,
            &[("asc", false), ("desc", true)],
        )?;
        let mut found: Vec<&Record> = firm
            .records(collection)
            .filter(|record| {
                matchers
                    .iter()
                    .flatten()
                    .all(|matches| matches(firm, record))
            })
            .collect();
        let sort_value = |record: &Record| match key {
            Key::Field(name) => record.fields.get(*name).cloned().unwrap_or(Value::Null),
            Key::Computed(compute) => compute(firm, record),
        };
        // Ties keep id order, in the same direction, so pages are stable.
        found.sort_by(|a, b| {
            let ordering =
                compare_values(&sort_value(a), &sort_value(b)).then_with(|| a.id().cmp(&b.id()));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        Ok(found)
    }
}

impl Filter {
    /// The test this filter applies for these parameters, `None` when it does not apply.
    fn matcher<'a>(&'a self, params: &'a QueryParams) -> Result<Option<Matcher<'a>>, ApiError> {
        Ok(match *self {
            Filter::Id(param, field) => integer_param(params, param)?.map(|wanted| {
                Box::new(move |_: &Firm, record: &Record| {
                    record.fields.get(field).and_then(Value::as_i64) == Some(wanted)
                }) as Matcher<'a>
            }),
            Filter::OptionalId(param, field) => integer_param(params, param)?.map(|wanted| {
                let wanted = (wanted != 0).then_some(wanted);
                Box::new(move |_: &Firm, record: &Record| {
                    record.fields.get(field).and_then(Value::as_i64) == wanted
                }) as Matcher<'a>
            }),
            Filter::Contains(param, field) => params.get(param).map(|wanted| {
                let wanted = wanted.to_lowercase();
                Box::new(move |_: &Firm, record: &Record| {
                    as_text(record.fields.get(field))
                        .is_some_and(|value| value.to_lowercase().contains(&wanted))
                }) as Matcher<'a>
            }),
            Filter::Equals(param, field) => params.get(param).map(|wanted| {
                Box::new(move |_: &Firm, record: &Record| {
                    as_text(record.fields.get(field)).is_some_and(|value| value == wanted)
                }) as Matcher<'a>
            }),
            Filter::Linked {
                param,
                link,
                collection,
                field,
            } => params.get(param).map(|wanted| {
                let wanted = wanted.to_lowercase();
                Box::new(move |firm: &Firm, record: &Record| {
                    record
                        .fields
                        .get(link)
                        .and_then(Value::as_u64)
                        .and_then(|id| firm.find(collection, id))
                        .and_then(|linked| as_text(linked.fields.get(field)))
                        .is_some_and(|value| value.to_lowercase().contains(&wanted))
                }) as Matcher<'a>
            }),
            Filter::Choice {
                param,
                default,
                choices,
            } => {
                let predicate = match params.get(param) {
                    None => default,
                    Some(_) => Some(choice(params, param, |_: &Firm, _: &Record| true, choices)?),
                };
                predicate.map(|predicate| Box::new(predicate) as Matcher<'a>)
            }
            Filter::Period { field, billed } => period_matcher(params, field, billed)?,
        })
    }
}

fn period_matcher<'a>(
    params: &'a QueryParams,
    field: &'static str,
    billed: Option<&'static str>,
) -> Result<Option<Matcher<'a>>, ApiError> {
    let field = match (params.get("period_type"), billed) {
        (None, _) => field,
        (Some("billed"), Some(billed)) => billed,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_field(
                "period_type",
                "must be empty or billed",
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::invalid_field(
                "period_type",
                "is not supported on this list",
            ));
        }
    };
    let start = period_bound(params, "period_start", false)?;
    let end = period_bound(params, "period_end", true)?;
    if start.is_none() && end.is_none() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |_: &Firm, record: &Record| {
        let Some(date) = record.fields.get(field).and_then(Value::as_str) else {
            return false;
        };
        start.as_deref().is_none_or(|start| date >= start)
            && end.as_deref().is_none_or(|end| date <= end)
    })))
}

/// A period bound as a full date: a month means its first day (start) or last day (end).
fn period_bound(params: &QueryParams, name: &str, end: bool) -> Result<Option<String>, ApiError> {
    let Some(raw) = params.get(name) else {
        return Ok(None);
    };
    let invalid =
        || ApiError::invalid_field(name, "must be a period written YYYY-MM or YYYY-MM-DD");
    if clock::is_valid_date(raw) {
        return Ok(Some(raw.to_owned()));
    }
    let first_day = format!("{raw}-01");
    if raw.len() != 7 || !clock::is_valid_date(&first_day) {
        return Err(invalid());
    }
    if end {
        clock::end_of_month(&first_day)
            .map(Some)
            .ok_or_else(invalid)
    } else {
        Ok(Some(first_day))
    }
}

/// A field's value as text for matching: strings as they are, numbers written out.
fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Orders two field values: nulls first (as a database does in ascending order), numbers and
/// numeric strings by value, other text case-insensitively.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => match (amount::parse(a), amount::parse(b)) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => {
                let text = |value: &Value| as_text(Some(value)).unwrap_or_default().to_lowercase();
                text(a).cmp(&text(b))
            }
        },
    }
}

/// An integer query parameter, 422 when it is not one.
pub(crate) fn integer_param(params: &QueryParams, name: &str) -> Result<Option<i64>, ApiError> {
    params
        .get(name)
        .map(|raw| {
            raw.parse()
                .map_err(|_| ApiError::invalid_field(name, "must be an integer"))
        })
        .transpose()
}

/// An enumerated parameter: absent gives `default`, an unknown value is refused with 422 so
/// that a typo does not silently change what is listed.
pub(crate) fn choice<T: Copy>(
    params: &QueryParams,
    name: &str,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ApiError> {
    let Some(raw) = params.get(name) else {
        return Ok(default);
    };
    choices
        .iter()
        .find(|(value, _)| *value == raw)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| {
            let allowed: Vec<&str> = choices.iter().map(|(value, _)| *value).collect();
            ApiError::invalid_field(name, format!("must be one of: {}", allowed.join(", ")))
        })
}
