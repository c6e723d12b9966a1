//! Every tool's input schema, probed at its boundaries against the real server. For each
//! constraint `tools/list` states (types, bounds, lengths, patterns, formats, enums, array
//! items, required and unknown properties) the test builds values just inside and just
//! outside it, sends each in an otherwise valid call, and expects the server to refuse
//! exactly the outside ones, before sending anything, and to let the inside ones through.
//! Clients and models trust the schema: one that says less than the server enforces makes
//! them send calls that fail, one that says more hides calls that would work.
//!
//! The probes come from the schemas alone, so a new tool or field is probed without a
//! change here, and a constraint this test cannot probe (a new keyword, pattern or format)
//! fails it instead of slipping through. Every verdict this test expects is checked in the
//! end against Python's `jsonschema` (tests/sdk/json_schema_verdicts.py), an implementation
//! of JSON Schema we did not write.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use facturation_pro_emulator::emulator::EmulatorConfig;
use facturation_pro_emulator::harness::{TestSession, sdk_python, workspace_root};
use serde_json::{Map, Value, json};

/// Keywords that constrain values: each has a generator below and a check in `admits`.
const CONSTRAINTS: &[&str] = &[
    "type",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "enum",
    "minItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
];

/// Keywords that constrain nothing, so there is nothing to probe.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "default",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
];

const JSON_TYPES: &[&str] = &[
    "null", "boolean", "integer", "number", "string", "array", "object",
];

/// The file the upload tools' base arguments name; the test writes it in the downloads folder.
const UPLOAD_FILE: &str = "schema-probe.txt";

/// A property name no tool has, for `additionalProperties: false`.
const UNKNOWN_PROPERTY: &str = "zz_not_a_property";

/// Valid values no schema keyword can describe: a file that exists, base64 the server can
/// decode, an order's PDF address. Opaque ones name something that must exist, so only the
/// constraints the schema states are probed, not the absence of others.
const KNOWN_VALUES: &[(&str, &str, bool)] = &[
    ("path", UPLOAD_FILE, true),
    ("content_base64", "cHJvYmU=", false),
    ("order_url", "/firms/1001/orders/probe.pdf", false),
];

/// Upload tools take the file from `path` or as `content_base64` with `filename`; the server
/// needs exactly one of the two, which the schema does not state. The base arguments give
/// the first group, or the group of the property being probed.
const ALTERNATIVES: &[&[&str]] = &[&["path"], &["content_base64", "filename"]];

/// Sample strings for every pattern the schemas use, with a hand-written matcher (the
/// workspace has no regex engine) so that strings made for other keywords can be judged too.
/// A pattern missing here fails the test: add a row with samples on both sides.
struct PatternSamples {
    /// The same language however spelled (`\d` or `[0-9]`).
    patterns: &'static [&'static str],
    matches: fn(&str) -> bool,
    matching: &'static [&'static str],
    not_matching: &'static [&'static str],
}

const PATTERNS: &[PatternSamples] = &[
    PatternSamples {
        patterns: &["^[A-Z]{2}$"],
        matches: |text| capitals(text, 2),
        matching: &["FR", "ZZ"],
        not_matching: &["fr", "F", "FRA", ""],
    },
    PatternSamples {
        patterns: &["^[A-Z]{3}$"],
        matches: |text| capitals(text, 3),
        // ZZZ matches the pattern but is no currency: the pattern promises it is fine.
        matching: &["EUR", "ZZZ"],
        not_matching: &["eur", "EU", "EURO"],
    },
    PatternSamples {
        patterns: &["^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$"],
        matches: period,
        // 2025-02-30 has the shape of a day; the server also checks that the day exists.
        matching: &["2025-10", "2024-02-29", "2025-12-31"],
        not_matching: &[
            "2025",
            "2025-1",
            "2025/10",
            "2025-10-1",
            "2025-13",
            "2025-00",
            "2025-10-32",
        ],
    },
    PatternSamples {
        patterns: &[
            "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$",
        ],
        matches: padded_base64,
        matching: &["", "QQ==", "QUI=", "QUJD", "aGVsbG8gd29ybGQ="],
        not_matching: &["QQ", "QR==", "QUJ=", "Q===", "QU I=", " QQ==", "é"],
    },
    PatternSamples {
        patterns: &["^-?[0-9]+([.,][0-9]+)?$"],
        matches: decimal_text,
        matching: &["1250", "-3.5", "16,39", "0"],
        not_matching: &["", "12 euros", "1.", ".5", "1.2.3", "1e3", " 1", "+1"],
    },
    PatternSamples {
        patterns: &[r"^(https?://[^/]+)?/firms/[0-9]+/orders/[A-Za-z0-9._-]+\.pdf$"],
        matches: order_pdf_url,
        // `a..b.pdf` is one file name, no way up: the pattern allows it.
        matching: &[
            "/firms/1001/orders/probe.pdf",
            "https://www.facturation.pro/firms/7/orders/ab-12_x.pdf",
            "/firms/1001/orders/a..b.pdf",
        ],
        not_matching: &[
            "/etc/passwd",
            "/firms/x/orders/a.pdf",
            "/firms/7/invoices/1.pdf",
            "/firms/7/orders/../x.pdf",
            "/firms/7/orders/.pdf",
            "ftp://example.test/firms/7/orders/a.pdf",
        ],
    },
];

/// `YYYY-MM` or `YYYY-MM-DD` with a month from 01 to 12 and a day from 01 to 31.
fn period(text: &str) -> bool {
    let number = |part: &str| part.parse::<u32>().ok();
    let in_range = |part: &str, last: u32| number(part).is_some_and(|n| (1..=last).contains(&n));
    (shaped(text, "dddd-dd") && in_range(&text[5..7], 12))
        || (shaped(text, "dddd-dd-dd") && in_range(&text[5..7], 12) && in_range(&text[8..], 31))
}

/// Standard base64 in groups of four, padded, the last symbol before padding free of
/// stray bits.
fn padded_base64(text: &str) -> bool {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    let symbols = &bytes[..bytes.len() - padding];
    let last_free = match padding {
        0 => true,
        // The last symbol keeps 4 (one =) or 2 (two =) of its 6 bits.
        1 => symbols.last().is_some_and(|b| {
            ALPHABET
                .iter()
                .position(|a| a == b)
                .unwrap_or(1)
                .is_multiple_of(4)
        }),
        2 => symbols.last().is_some_and(|b| {
            ALPHABET
                .iter()
                .position(|a| a == b)
                .unwrap_or(1)
                .is_multiple_of(16)
        }),
        _ => false,
    };
    last_free && symbols.iter().all(|b| ALPHABET.contains(b))
}

/// `^-?[0-9]+([.,][0-9]+)?$`
fn decimal_text(text: &str) -> bool {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once(['.', ',']) {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

/// `^(https?://[^/]+)?/firms/[0-9]+/orders/[A-Za-z0-9._-]+\.pdf$`
fn order_pdf_url(text: &str) -> bool {
    let path = match text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    {
        Some(rest) => match rest.find('/') {
            Some(host_end) if host_end > 0 => &rest[host_end..],
            _ => return false,
        },
        None => text,
    };
    let Some((firm, file)) = path
        .strip_prefix("/firms/")
        .and_then(|rest| rest.split_once("/orders/"))
    else {
        return false;
    };
    let name = file.strip_suffix(".pdf").unwrap_or("");
    !firm.is_empty()
        && firm.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn capitals(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// `text` has the shape of `template`, where `d` stands for an ASCII digit (as `\d` does in
/// ECMAScript regular expressions) and any other character for itself.
fn shaped(text: &str, template: &str) -> bool {
    text.len() == template.len()
        && text.bytes().zip(template.bytes()).all(|(b, t)| match t {
            b'd' => b.is_ascii_digit(),
            other => b == other,
        })
}

fn pattern_samples(pattern: &Value) -> Result<&'static PatternSamples, String> {
    let pattern = pattern
        .as_str()
        .ok_or_else(|| format!("`pattern` must be a string, got {pattern}"))?;
    PATTERNS
        .iter()
        .find(|row| row.patterns.contains(&pattern))
        .ok_or_else(|| {
            format!("pattern {pattern:?} has no samples: add a row to PATTERNS in this test")
        })
}

/// Inside and outside samples of each `format` the schemas use.
fn format_samples(
    format: &Value,
) -> Result<(&'static [&'static str], &'static [&'static str]), String> {
    match format.as_str() {
        Some("date") => Ok((
            &["2024-02-29", "2023-12-31"],
            &["2023-02-29", "2024-13-01", "2024-04-31", "2024-2-29"],
        )),
        _ => Err(format!("format {format} is unknown to this test: teach it")),
    }
}

fn format_holds(format: &Value, text: &str) -> Result<bool, String> {
    match format.as_str() {
        Some("date") => Ok(is_full_date(text)),
        _ => Err(format!("format {format} is unknown to this test: teach it")),
    }
}

/// RFC 3339 `full-date`, as JSON Schema's `date` format: YYYY-MM-DD naming a real day.
fn is_full_date(text: &str) -> bool {
    if !shaped(text, "dddd-dd-dd") {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn as_schema(schema: &Value) -> Result<&Map<String, Value>, String> {
    let map = schema
        .as_object()
        .ok_or_else(|| format!("a schema must be an object, got {schema}"))?;
    for key in map.keys() {
        if !CONSTRAINTS.contains(&key.as_str()) && !ANNOTATIONS.contains(&key.as_str()) {
            return Err(format!(
                "schema keyword `{key}` is unknown to this test: teach it to probe `{key}`"
            ));
        }
    }
    Ok(map)
}

/// The JSON types a schema states (none when it states no `type`).
fn stated_types(schema: &Map<String, Value>) -> Result<Vec<&'static str>, String> {
    let names: Vec<&Value> = match schema.get("type") {
        None => return Ok(Vec::new()),
        Some(Value::Array(names)) => names.iter().collect(),
        Some(name) => vec![name],
    };
    names
        .into_iter()
        .map(|name| {
            JSON_TYPES
                .iter()
                .copied()
                .find(|known| name.as_str() == Some(known))
                .ok_or_else(|| format!("unknown type {name}"))
        })
        .collect()
}

/// Whether a schema of these types admits values of JSON type `ty` (integers are numbers).
fn type_admitted(types: &[&str], ty: &str) -> bool {
    types.contains(&ty) || (ty == "integer" && types.contains(&"number"))
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.as_f64().is_some_and(|x| x.fract() == 0.0),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn number(constraint: &Value) -> Result<f64, String> {
    constraint
        .as_f64()
        .ok_or_else(|| format!("a bound must be a number, got {constraint}"))
}

fn count(constraint: &Value) -> Result<usize, String> {
    constraint
        .as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| format!("a length must be a non-negative integer, got {constraint}"))
}

/// `x` as JSON: an integer when it is one, so that integer-typed bounds stay integers.
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// Whether `value` satisfies `schema`: the verdict every probe is judged by. Only the
/// keywords the generator knows are accepted, so the two cannot drift apart.
fn admits(schema: &Value, value: &Value) -> Result<bool, String> {
    let map = as_schema(schema)?;
    let mut verdict = true;
    for (key, constraint) in map {
        let number_holds = |holds: fn(f64, f64) -> bool| -> Result<bool, String> {
            let bound = number(constraint)?;
            Ok(value.as_f64().is_none_or(|x| holds(x, bound)))
        };
        let chars = value.as_str().map(|text| text.chars().count());
        let holds = match key.as_str() {
            "type" => stated_types(map)?.iter().any(|ty| has_type(value, ty)),
            "minimum" => number_holds(|x, bound| x >= bound)?,
            "maximum" => number_holds(|x, bound| x <= bound)?,
            "exclusiveMinimum" => number_holds(|x, bound| x > bound)?,
            "exclusiveMaximum" => number_holds(|x, bound| x < bound)?,
            "minLength" => {
                let least = count(constraint)?;
                chars.is_none_or(|n| n >= least)
            }
            "maxLength" => {
                let most = count(constraint)?;
                chars.is_none_or(|n| n <= most)
            }
            "pattern" => {
                let samples = pattern_samples(constraint)?;
                value.as_str().is_none_or(samples.matches)
            }
            "format" => match value.as_str() {
                Some(text) => format_holds(constraint, text)?,
                None => true,
            },
            "enum" => constraint
                .as_array()
                .ok_or("`enum` must be a list")?
                .contains(value),
            "minItems" => {
                let least = count(constraint)?;
                value.as_array().is_none_or(|items| items.len() >= least)
            }
            "items" => match value.as_array() {
                Some(items) => {
                    let mut all = true;
                    for item in items {
                        all &= admits(constraint, item)?;
                    }
                    all
                }
                None => true,
            },
            "properties" => match value.as_object() {
                Some(object) => {
                    let properties = constraint.as_object().ok_or("`properties` must map")?;
                    let mut all = true;
                    for (name, property) in properties {
                        if let Some(given) = object.get(name) {
                            all &= admits(property, given)?;
                        }
                    }
                    all
                }
                None => true,
            },
            "required" => match value.as_object() {
                Some(object) => required_names(map)?
                    .iter()
                    .all(|name| object.contains_key(*name)),
                None => true,
            },
            "additionalProperties" => match (constraint, value.as_object()) {
                (Value::Bool(true), _) | (_, None) => true,
                (Value::Bool(false), Some(object)) => {
                    let properties = map.get("properties").and_then(Value::as_object);
                    object
                        .keys()
                        .all(|name| properties.is_some_and(|known| known.contains_key(name)))
                }
                _ => {
                    return Err("`additionalProperties` as a schema is unknown to this test".into());
                }
            },
            _ => true,
        };
        verdict &= holds;
    }
    Ok(verdict)
}

fn required_names(schema: &Map<String, Value>) -> Result<Vec<&str>, String> {
    match schema.get("required") {
        None => Ok(Vec::new()),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| {
                name.as_str()
                    .ok_or_else(|| format!("bad required name {name}"))
            })
            .collect(),
        Some(other) => Err(format!("`required` must be a list, got {other}")),
    }
}

fn properties(schema: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    match schema.get("properties") {
        None => Ok(Map::new()),
        Some(Value::Object(properties)) => Ok(properties.clone()),
        Some(other) => Err(format!("`properties` must be an object, got {other}")),
    }
}

/// A valid value for property `name`: a small one the schema allows (1 for a number with no
/// minimum, the first enum value, a pattern's first sample), or one from the tables above
/// when validity depends on more than the schema can say.
fn valid_value(name: &str, schema: &Value) -> Result<Value, String> {
    if let Some((_, value, _)) = KNOWN_VALUES.iter().find(|(known, ..)| *known == name) {
        return Ok(json!(value));
    }
    let map = as_schema(schema)?;
    if let Some(values) = map.get("enum") {
        return values
            .as_array()
            .and_then(|values| values.first())
            .cloned()
            .ok_or_else(|| format!("`{name}` has an empty enum"));
    }
    let types = stated_types(map)?;
    match types.first().copied() {
        Some("integer" | "number") => {
            let mut x = match (map.get("minimum"), map.get("exclusiveMinimum")) {
                (Some(bound), _) => number(bound)?,
                (None, Some(bound)) => number(bound)?.floor() + 1.0,
                (None, None) => 1.0,
            };
            if let Some(bound) = map.get("maximum") {
                x = x.min(number(bound)?);
            }
            Ok(number_value(x))
        }
        Some("string") => {
            if let Some(pattern) = map.get("pattern") {
                return Ok(json!(pattern_samples(pattern)?.matching[0]));
            }
            if let Some(format) = map.get("format") {
                return Ok(json!(format_samples(format)?.0[0]));
            }
            let least = map.get("minLength").map(count).transpose()?.unwrap_or(0);
            let most = map.get("maxLength").map(count).transpose()?;
            let length = 5.max(least).min(most.unwrap_or(usize::MAX));
            Ok(json!(
                "probe".chars().cycle().take(length).collect::<String>()
            ))
        }
        Some("boolean") => Ok(json!(false)),
        Some("null") => Ok(Value::Null),
        Some("array") => {
            let least = map.get("minItems").map(count).transpose()?.unwrap_or(0);
            if least == 0 {
                return Ok(json!([]));
            }
            let items = map
                .get("items")
                .ok_or_else(|| format!("`{name}` needs items but states no `items`"))?;
            Ok(Value::Array(vec![valid_value("", items)?; least]))
        }
        Some("object") => Ok(Value::Object(base_object(map, None)?)),
        _ => Err(format!(
            "`{name}` states no type to build a valid value from"
        )),
    }
}

/// The smallest valid object: its required properties, plus one of the alternatives the
/// server needs (the one holding `probing`, if any).
fn base_object(
    schema: &Map<String, Value>,
    probing: Option<&str>,
) -> Result<Map<String, Value>, String> {
    let properties = properties(schema)?;
    let mut object = Map::new();
    let mut give = |name: &str| -> Result<(), String> {
        let property = properties
            .get(name)
            .ok_or_else(|| format!("`{name}` is required but has no schema"))?;
        object.insert(name.to_string(), valid_value(name, property)?);
        Ok(())
    };
    for name in required_names(schema)? {
        give(name)?;
    }
    if ALTERNATIVES
        .iter()
        .all(|group| group.iter().all(|name| properties.contains_key(*name)))
    {
        let group = ALTERNATIVES
            .iter()
            .find(|group| probing.is_some_and(|name| group.contains(&name)))
            .unwrap_or(&ALTERNATIVES[0]);
        for name in group.iter() {
            give(name)?;
        }
    }
    Ok(object)
}

/// One generated value: where it sits, which constraint it tests, and on which side of it
/// the generator meant it to fall. The verdict that counts is `admits` on the whole
/// arguments; the intent is there to check the generator itself.
#[derive(Clone, Debug)]
struct Probe {
    /// `customer_id`, `items[].vat`; empty for the arguments object as a whole.
    location: String,
    keyword: &'static str,
    label: String,
    value: Value,
    inside: bool,
}

fn probe(keyword: &'static str, label: impl Into<String>, value: Value, inside: bool) -> Probe {
    Probe {
        location: String::new(),
        keyword,
        label: label.into(),
        value,
        inside,
    }
}

fn join(outer: &str, inner: &str) -> String {
    match (outer.is_empty(), inner.is_empty()) {
        (true, _) => inner.to_string(),
        (_, true) => outer.to_string(),
        _ if inner.starts_with('[') => format!("{outer}{inner}"),
        _ => format!("{outer}.{inner}"),
    }
}

/// Probes for one constraint: values just inside it, then values just outside it.
fn both_sides(
    keyword: &'static str,
    label: impl Into<String>,
    inside: Vec<Value>,
    outside: Vec<Value>,
) -> Vec<Probe> {
    let label = label.into();
    let inside = inside.into_iter().map(|value| (value, true));
    let outside = outside.into_iter().map(|value| (value, false));
    inside
        .chain(outside)
        .map(|(value, side)| probe(keyword, label.clone(), value, side))
        .collect()
}

/// The keyword as the `'static` name probes carry (`as_schema` let only known ones through).
fn keyword_name(key: &str) -> &'static str {
    CONSTRAINTS
        .iter()
        .chain(ANNOTATIONS)
        .copied()
        .find(|known| *known == key)
        .unwrap_or("unknown")
}

fn texts(samples: &[&str]) -> Vec<Value> {
    samples.iter().map(|text| json!(text)).collect()
}

/// Values for a schema, each `base` (a valid value) with one thing changed: inside and
/// outside every constraint the schema states, and inside where it states none (an integer
/// with no minimum must take 0 and -1, a string with no maxLength a long one).
fn probes(name: &str, schema: &Value, base: &Value) -> Result<Vec<Probe>, String> {
    let map = as_schema(schema)?;
    let types = stated_types(map)?;
    // One past an integer bound is 1 away; numbers get a fraction.
    let step = if types.contains(&"number") { 0.5 } else { 1.0 };
    // Two-byte characters: JSON Schema counts characters, not bytes.
    let chars = |n: usize| json!("é".repeat(n));
    let mut out = Vec::new();
    for (key, constraint) in map {
        let keyword = keyword_name(key);
        let label = match constraint {
            Value::String(text) => format!("{key} {text}"),
            other => format!("{key} {other}"),
        };
        match keyword {
            "type" => out.extend(type_probes(&types, base)),
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = number(constraint)?;
                // Where the value just inside and the one just outside lie, from the bound.
                let (inside, outside) = match keyword {
                    "minimum" => (0.0, -step),
                    "maximum" => (0.0, step),
                    "exclusiveMinimum" => (step, 0.0),
                    _ => (-step, 0.0),
                };
                out.extend(both_sides(
                    keyword,
                    label,
                    vec![number_value(bound + inside)],
                    vec![number_value(bound + outside)],
                ));
            }
            "minLength" => {
                let n = count(constraint)?;
                let short = n.checked_sub(1).map(chars).into_iter().collect();
                out.extend(both_sides(keyword, label, vec![chars(n)], short));
            }
            "maxLength" => {
                let n = count(constraint)?;
                out.extend(both_sides(
                    keyword,
                    label,
                    vec![chars(n)],
                    vec![chars(n + 1)],
                ));
            }
            "pattern" => {
                let samples = pattern_samples(constraint)?;
                out.extend(both_sides(
                    keyword,
                    label,
                    texts(samples.matching),
                    texts(samples.not_matching),
                ));
            }
            "format" => {
                let (inside, outside) = format_samples(constraint)?;
                out.extend(both_sides(keyword, label, texts(inside), texts(outside)));
            }
            "enum" => out.extend(both_sides(
                keyword,
                "enum",
                constraint
                    .as_array()
                    .ok_or("`enum` must be a list")?
                    .clone(),
                enum_misses(constraint)?,
            )),
            "minItems" => {
                let n = count(constraint)?;
                let item = item_base(map, base)?;
                let short = n
                    .checked_sub(1)
                    .map(|fewer| Value::Array(vec![item.clone(); fewer]));
                out.extend(both_sides(
                    keyword,
                    label,
                    vec![Value::Array(vec![item.clone(); n])],
                    short.into_iter().collect(),
                ));
            }
            "items" => {
                let item = item_base(map, base)?;
                let least = map.get("minItems").map(count).transpose()?.unwrap_or(0);
                for inner in probes("", constraint, &item)? {
                    // The probed item first, then valid ones up to minItems.
                    let mut array = vec![inner.value];
                    array.resize(least.max(1), item.clone());
                    out.push(Probe {
                        location: join("[]", &inner.location),
                        keyword,
                        value: Value::Array(array),
                        ..inner
                    });
                }
            }
            // The object keywords are probed together below; annotations need nothing.
            _ => {}
        }
    }
    if ["properties", "required", "additionalProperties"]
        .iter()
        .any(|key| map.contains_key(*key))
    {
        out.extend(object_probes(map)?);
    }
    let opaque = KNOWN_VALUES
        .iter()
        .any(|(known, _, opaque)| *opaque && *known == name);
    if !opaque && !map.contains_key("enum") {
        out.extend(unstated_bounds(map, &types));
    }
    Ok(out)
}

/// Inside: every type the schema allows (the base value when it has that type). Outside: a
/// value of each type it does not, as close to the base as the type allows.
fn type_probes(types: &[&str], base: &Value) -> Vec<Probe> {
    let mut out = Vec::new();
    for ty in JSON_TYPES.iter().copied() {
        let label = format!("type {ty}");
        if type_admitted(types, ty) {
            let mut samples = vec![if has_type(base, ty) {
                base.clone()
            } else {
                match ty {
                    "null" => Value::Null,
                    "boolean" => json!(true),
                    "integer" => json!(1),
                    "number" => json!(1.5),
                    "string" => json!("text"),
                    "array" => json!([]),
                    _ => json!({}),
                }
            }];
            match ty {
                "boolean" => samples.extend([json!(true), json!(false)]),
                "number" => samples.push(json!(1.5)),
                _ => {}
            }
            let mut unique: Vec<Value> = Vec::new();
            for sample in samples {
                if !unique.contains(&sample) {
                    unique.push(sample);
                }
            }
            out.extend(both_sides("type", label, unique, Vec::new()));
        } else {
            let sample = match ty {
                "null" => Value::Null,
                "boolean" => json!(true),
                "integer" => json!(1),
                "number" => json!(1.5),
                // A number or flag written as text: the nearest miss.
                "string" => match base {
                    Value::Number(_) | Value::Bool(_) => json!(base.to_string()),
                    _ => json!("text"),
                },
                "array" => json!([base]),
                _ => json!({}),
            };
            out.extend(both_sides("type", label, Vec::new(), vec![sample]));
        }
    }
    out
}

/// Values an enum does not list, as near the listed ones as can be.
fn enum_misses(constraint: &Value) -> Result<Vec<Value>, String> {
    let listed = constraint.as_array().ok_or("`enum` must be a list")?;
    // `null` in an enum is how an update says a field may be cleared; the misses are made
    // from the other values (and `null` itself is probed by the type's own cases).
    let values: Vec<Value> = listed.iter().filter(|v| !v.is_null()).cloned().collect();
    if let Some(texts) = values.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
        // A listed value in other letters is close, and still not listed.
        let near = texts.first().map(|first| first.to_uppercase());
        Ok(["not-a-listed-value".to_string()]
            .into_iter()
            .chain(near)
            .filter(|miss| !texts.contains(&miss.as_str()))
            .map(Value::from)
            .collect())
    } else if let Some(codes) = values.iter().map(Value::as_i64).collect::<Option<Vec<_>>>() {
        Ok(vec![json!(codes.iter().max().map_or(0, |max| max + 1))])
    } else {
        Err(format!(
            "an enum mixing types is unknown to this test: {constraint}"
        ))
    }
}

/// The base array's first item, or a valid item.
fn item_base(schema: &Map<String, Value>, base: &Value) -> Result<Value, String> {
    if let Some(first) = base.as_array().and_then(|items| items.first()) {
        return Ok(first.clone());
    }
    match schema.get("items") {
        Some(items) => valid_value("", items),
        None => Ok(json!("item")),
    }
}

/// Every property probed inside a valid object, each required one given and left out, and
/// only known properties versus an unknown one added.
fn object_probes(schema: &Map<String, Value>) -> Result<Vec<Probe>, String> {
    let base = base_object(schema, None)?;
    let mut out = both_sides(
        "properties",
        "the minimal valid arguments",
        vec![Value::Object(base.clone())],
        Vec::new(),
    );
    for (name, property) in properties(schema)? {
        let object = base_object(schema, Some(&name))?;
        let own = match object.get(&name) {
            Some(value) => value.clone(),
            None => valid_value(&name, &property)?,
        };
        for inner in probes(&name, &property, &own)? {
            let mut probed = object.clone();
            probed.insert(name.clone(), inner.value);
            out.push(Probe {
                location: join(&name, &inner.location),
                keyword: "properties",
                value: Value::Object(probed),
                ..inner
            });
        }
    }
    for name in required_names(schema)? {
        let mut without = base.clone();
        without.remove(name);
        let given = Value::Object(base.clone());
        for probe in both_sides("required", "required", vec![given], vec![without.into()]) {
            out.push(Probe {
                location: name.to_string(),
                ..probe
            });
        }
    }
    if schema.get("additionalProperties") == Some(&json!(false)) {
        let mut unknown = base.clone();
        unknown.insert(UNKNOWN_PROPERTY.into(), json!("probe"));
        for probe in both_sides(
            "additionalProperties",
            "additionalProperties false",
            vec![Value::Object(base)],
            vec![Value::Object(unknown)],
        ) {
            out.push(Probe {
                location: if probe.inside { "" } else { UNKNOWN_PROPERTY }.into(),
                ..probe
            });
        }
    }
    Ok(out)
}

/// A schema that states no bound allows any value: probe, inside, the ones a hidden bound
/// would most likely refuse.
fn unstated_bounds(schema: &Map<String, Value>, types: &[&str]) -> Vec<Probe> {
    let states = |key: &str| schema.contains_key(key);
    let mut out = Vec::new();
    let mut inside = |label: &str, values: Vec<Value>| {
        out.extend(both_sides("type", label, values, Vec::new()));
    };
    if type_admitted(types, "integer") {
        if !states("minimum") && !states("exclusiveMinimum") {
            inside("no minimum stated", vec![json!(0), json!(-1)]);
        }
        if !states("maximum") && !states("exclusiveMaximum") {
            inside("no maximum stated", vec![json!(1_000_000_000)]);
        }
    }
    if types.contains(&"string") && !states("pattern") && !states("format") {
        if !states("minLength") {
            inside("no minLength stated", vec![json!("")]);
        }
        if !states("maxLength") {
            inside("no maxLength stated", vec![json!("é".repeat(300))]);
        }
    }
    if types.contains(&"array") && !states("minItems") {
        inside("no minItems stated", vec![json!([])]);
    }
    out
}

/// All probes of one tool's arguments, each a complete arguments object. Different
/// probes may build the same arguments (a property's valid value is the base's own); the
/// caller sends each only once.
fn argument_probes(input_schema: &Value) -> Result<Vec<Probe>, String> {
    let base = Value::Object(base_object(as_schema(input_schema)?, None)?);
    // MCP arguments are an object; other JSON is a protocol error, not a schema question.
    Ok(probes("", input_schema, &base)?
        .into_iter()
        .filter(|probe| probe.value.is_object())
        .collect())
}

/// Every property's location in a schema, array items' properties included, and whether
/// its schema constrains anything (then it must be probed on both sides).
fn locations(schema: &Value, prefix: &str, out: &mut Vec<(String, bool)>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(items) = map.get("items") {
        locations(items, &join(prefix, "[]"), out);
    }
    for (name, property) in map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let location = join(prefix, name);
        let constrained = property
            .as_object()
            .is_some_and(|map| map.keys().any(|key| CONSTRAINTS.contains(&key.as_str())));
        out.push((location.clone(), constrained));
        locations(property, &location, out);
    }
}

/// `text` cut to `most` characters.
fn clip(text: &str, most: usize) -> String {
    if text.chars().count() > most {
        format!("{}…", text.chars().take(most).collect::<String>())
    } else {
        text.to_string()
    }
}

/// A value short enough to read in a list.
fn show(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() > 24 => {
            let head: String = text.chars().take(6).collect();
            format!("\"{head}…\" ({} chars)", text.chars().count())
        }
        _ => clip(&value.to_string(), 80),
    }
}

/// The value at `location` in `arguments`, for the report (the first item for `[]`).
fn value_at(arguments: &Value, location: &str) -> Value {
    let mut value = arguments;
    for part in location.split('.').filter(|part| !part.is_empty()) {
        let (key, items) = match part.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (part, false),
        };
        value = match value.get(key) {
            Some(inner) => inner,
            None => return json!("(left out)"),
        };
        if items {
            value = match value.get(0) {
                Some(inner) => inner,
                None => return json!([]),
            };
        }
    }
    value.clone()
}

/// How the server answered a call.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    /// Refused before sending anything: invalid arguments, or no firm to work on.
    Refused(String),
    /// Let through: a result, or an error from the API.
    Accepted,
    /// A JSON-RPC error instead of a tool result.
    ProtocolError(Value),
}

fn classify(response: &Value) -> Answer {
    if let Some(error) = response.get("error") {
        return Answer::ProtocolError(error.clone());
    }
    let result = &response["result"];
    let text = result["content"][0]["text"].as_str().unwrap_or("");
    let refused = (text.starts_with("Invalid arguments for ")
        && text.ends_with("Nothing was sent."))
        || text.starts_with("No firm selected");
    if result["isError"] == true && refused {
        // The reason alone, for the report.
        let reason = text
            .split_once(": ")
            .map_or(text, |(_, reason)| reason)
            .trim_end_matches(" Nothing was sent.");
        Answer::Refused(reason.to_string())
    } else {
        Answer::Accepted
    }
}

struct Mismatch {
    tool: String,
    location: String,
    label: String,
    value: Value,
    inside: bool,
    answer: Answer,
}

/// Mismatches grouped by the constraint probed and the two verdicts, then by tool, so that
/// one cause reads as one entry listing where it shows.
fn report(mismatches: &[Mismatch]) -> String {
    type Group<'a> = Vec<(&'a str, Vec<(&'a str, String)>)>;
    let mut groups: BTreeMap<(&str, &str, String), (Group, Option<&str>)> = BTreeMap::new();
    for m in mismatches {
        let expected = if m.inside { "inside" } else { "outside" };
        let got = match &m.answer {
            Answer::Refused(_) => "REFUSED".to_string(),
            Answer::Accepted => "ACCEPTED".to_string(),
            Answer::ProtocolError(error) => format!("a JSON-RPC error {error}"),
        };
        let (tools, example) = groups.entry((&m.label, expected, got)).or_default();
        if let (None, Answer::Refused(text)) = (&example, &m.answer) {
            *example = Some(text);
        }
        let entry = (m.location.as_str(), show(&m.value));
        match tools.iter_mut().find(|(tool, _)| *tool == m.tool) {
            Some((_, entries)) => entries.push(entry),
            None => tools.push((&m.tool, vec![entry])),
        }
    }
    let mut text = String::new();
    for ((label, expected, got), (tools, example)) in groups {
        let cases: usize = tools.iter().map(|(_, entries)| entries.len()).sum();
        text.push_str(&format!(
            "\n{label}: the schema says {expected}, the server {got} ({cases} cases)\n"
        ));
        if let Some(example) = example {
            text.push_str(&format!("  e.g. {}\n", clip(example, 160)));
        }
        for (tool, entries) in tools {
            let first = &entries[0].1;
            let line = if entries.iter().all(|(_, value)| value == first) {
                let names: Vec<&str> = entries.iter().map(|(location, _)| *location).collect();
                format!("{} = {first}", names.join(", "))
            } else {
                let pairs: Vec<String> = entries
                    .iter()
                    .map(|(location, value)| format!("{location} = {value}"))
                    .collect();
                pairs.join(", ")
            };
            text.push_str(&format!("    {tool}: {line}\n"));
        }
    }
    text
}

/// Every tool's schema, all pages of it.
fn list_tools(session: &mut TestSession) -> Vec<Value> {
    let mut tools = Vec::new();
    let mut params = json!({});
    loop {
        let response = session.server.request("tools/list", params);
        let result = &response["result"];
        tools.extend(
            result["tools"]
                .as_array()
                .expect("a tools list")
                .iter()
                .cloned(),
        );
        match result.get("nextCursor").and_then(Value::as_str) {
            Some(cursor) => params = json!({ "cursor": cursor }),
            None => return tools,
        }
    }
}

/// What the calls found, gathered so that one run reports everything at once.
#[derive(Default)]
struct Findings {
    calls: usize,
    /// What this test cannot probe: an unknown keyword, pattern or format, a property left
    /// unprobed on one side.
    problems: Vec<String>,
    mismatches: Vec<Mismatch>,
    /// Refusals after which the emulator had received a request all the same.
    sent_anyway: Vec<String>,
    /// Every call sent, with the schema and this test's verdict, for a second opinion.
    judged: Vec<Judged>,
}

/// One call's arguments, the schema they were judged against, and this test's verdict.
struct Judged {
    tool: String,
    schema: Value,
    arguments: Value,
    inside: bool,
}

impl Findings {
    /// Every probe of one tool, each distinct arguments object sent once, in order.
    fn probe_tool(&mut self, session: &mut TestSession, tool: &Value) {
        let name = tool["name"].as_str().expect("a tool name");
        let schema = &tool["inputSchema"];
        let probes = match argument_probes(schema) {
            Ok(probes) => probes,
            Err(problem) => return self.problems.push(format!("{name}: {problem}")),
        };
        // Each property must be probed on both sides of what its schema states.
        let mut sides: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut sent: BTreeSet<String> = BTreeSet::new();
        for probe in probes {
            let inside = match admits(schema, &probe.value) {
                Ok(inside) => inside,
                Err(problem) => {
                    self.problems
                        .push(format!("{name}.{}: {problem}", probe.location));
                    continue;
                }
            };
            let side = sides.entry(probe.location.clone()).or_default();
            if inside {
                side.0 += 1;
            } else {
                side.1 += 1;
            }
            if !sent.insert(probe.value.to_string()) {
                continue;
            }
            session.emulator.clear_requests();
            let response = session.server.request(
                "tools/call",
                json!({ "name": name, "arguments": probe.value }),
            );
            self.calls += 1;
            self.judged.push(Judged {
                tool: name.to_string(),
                schema: schema.clone(),
                arguments: probe.value.clone(),
                inside,
            });
            let answer = classify(&response);
            let value = value_at(&probe.value, &probe.location);
            let requests = session.emulator.requests();
            if matches!(answer, Answer::Refused(_)) && !requests.is_empty() {
                let routes: Vec<String> = requests
                    .iter()
                    .map(|request| format!("{} {}", request.method, request.path))
                    .collect();
                self.sent_anyway.push(format!(
                    "{name}.{} = {}: refused, yet the API received {routes:?}",
                    probe.location,
                    show(&value)
                ));
            }
            let agrees = match answer {
                Answer::Refused(_) => !inside,
                Answer::Accepted => inside,
                Answer::ProtocolError(_) => false,
            };
            if !agrees {
                self.mismatches.push(Mismatch {
                    tool: name.to_string(),
                    location: probe.location,
                    label: probe.label,
                    value,
                    inside,
                    answer,
                });
            }
        }
        let mut expected = Vec::new();
        locations(schema, "", &mut expected);
        for (location, constrained) in expected {
            let (inside, outside) = sides.get(&location).copied().unwrap_or_default();
            if inside == 0 || (constrained && outside == 0) {
                self.problems.push(format!(
                    "{name}.{location}: probed {inside} times inside and {outside} outside its schema"
                ));
            }
        }
    }

    /// Everything found, readable; empty when the schemas and the server agree.
    fn failure(&self) -> String {
        let mut failure = String::new();
        if !self.problems.is_empty() {
            failure.push_str(&format!(
                "\nThe schemas state what this test cannot probe:\n    {}\n",
                self.problems.join("\n    ")
            ));
        }
        if !self.sent_anyway.is_empty() {
            failure.push_str(&format!(
                "\nRefused calls that still reached the API:\n    {}\n",
                self.sent_anyway.join("\n    ")
            ));
        }
        if !self.mismatches.is_empty() {
            failure.push_str(&format!(
                "\n{} of {} calls disagree with the schema (location = value):\n{}",
                self.mismatches.len(),
                self.calls,
                report(&self.mismatches)
            ));
        }
        failure
    }
}

#[test]
fn every_input_schema_states_exactly_what_the_server_enforces() {
    // Thousands of calls: lift the vendor's quotas in the emulator and the host's pacing.
    let config = EmulatorConfig {
        rate_limit_per_5min: u32::MAX,
        rate_limit_per_day: u32::MAX,
        ..EmulatorConfig::default()
    };
    // No confirmation questions (the client declares no elicitation either), no audit log.
    let mut session = TestSession::with(config, |setup| {
        setup
            .with_env("FACTURATION_CONFIRM", "0")
            .with_env("FACTURATION_REQUESTS_PER_5MIN", "1000000")
            .with_env("FACTURATION_REQUESTS_PER_DAY", "1000000")
            .with_env("FACTURATION_AUDIT_LOG", "off")
    });
    std::fs::create_dir_all(session.downloads()).unwrap();
    std::fs::write(session.downloads().join(UPLOAD_FILE), "probe\n").unwrap();

    let started = Instant::now();
    let tools = list_tools(&mut session);
    assert!(
        tools.len() > 50,
        "tools/list shows only {} tools",
        tools.len()
    );
    let mut findings = Findings::default();
    for tool in &tools {
        findings.probe_tool(&mut session, tool);
    }
    eprintln!(
        "schema boundaries: {} tools, {} calls in {:.1?}",
        tools.len(),
        findings.calls,
        started.elapsed()
    );
    let failure = findings.failure();
    assert!(failure.is_empty(), "{failure}");
    second_opinion(&findings.judged);
}

/// The verdicts this test expected the server to reach, checked against an independent
/// JSON Schema implementation (Python's `jsonschema`, Draft 2020-12 with format checks):
/// if the two disagree, this test's own reading of the schemas is wrong somewhere.
fn second_opinion(judged: &[Judged]) {
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let cases_path = scratch.path().join("cases.jsonl");
    let cases: String = judged
        .iter()
        .map(|case| {
            format!(
                "{}\n",
                json!({ "schema": case.schema, "instance": case.arguments })
            )
        })
        .collect();
    std::fs::write(&cases_path, cases).expect("write the cases");
    let script = workspace_root().join("tests/sdk/json_schema_verdicts.py");
    let output = std::process::Command::new(sdk_python())
        .arg(script)
        .arg(&cases_path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the jsonschema validator");
    assert!(
        output.status.success(),
        "jsonschema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<bool> =
        serde_json::from_slice(&output.stdout).expect("a JSON list of verdicts");
    assert_eq!(verdicts.len(), judged.len());
    let disagreements: Vec<String> = judged
        .iter()
        .zip(verdicts)
        .filter(|(case, verdict)| case.inside != *verdict)
        .map(|(case, verdict)| {
            format!(
                "{} {}: this test says {}, jsonschema says {}",
                case.tool,
                clip(&case.arguments.to_string(), 160),
                if case.inside { "inside" } else { "outside" },
                if verdict { "inside" } else { "outside" },
            )
        })
        .collect();
    assert!(
        disagreements.is_empty(),
        "{} of {} verdicts differ from jsonschema's:\n    {}",
        disagreements.len(),
        judged.len(),
        disagreements.join("\n    ")
    );
}

/// The generator checked on its own, without a server: both sides of every constraint it
/// knows, agreeing with `admits`, and a loud failure for what it does not know.
#[test]
fn the_generator_probes_both_sides_of_every_constraint_and_rejects_unknown_ones() {
    let schemas = [
        ("type", json!({ "type": "integer" })),
        ("minimum", json!({ "type": "integer", "minimum": 1 })),
        ("maximum", json!({ "type": "integer", "maximum": 100 })),
        (
            "exclusiveMinimum",
            json!({ "type": "number", "exclusiveMinimum": 0 }),
        ),
        (
            "exclusiveMaximum",
            json!({ "type": "number", "exclusiveMaximum": 10 }),
        ),
        ("minLength", json!({ "type": "string", "minLength": 2 })),
        ("maxLength", json!({ "type": "string", "maxLength": 5 })),
        (
            "pattern",
            json!({ "type": "string", "pattern": "^[A-Z]{2}$" }),
        ),
        ("format", json!({ "type": "string", "format": "date" })),
        ("enum", json!({ "type": "string", "enum": ["fr", "en"] })),
        ("enum", json!({ "type": "integer", "enum": [1, 2, 9] })),
        (
            "minItems",
            json!({ "type": "array", "minItems": 1, "items": { "type": "integer" } }),
        ),
        (
            "items",
            json!({ "type": "array", "items": { "type": "integer" } }),
        ),
        (
            "properties",
            json!({ "type": "object", "properties": { "n": { "type": "integer" } } }),
        ),
        (
            "required",
            json!({ "type": "object", "properties": { "n": { "type": "integer" } }, "required": ["n"] }),
        ),
        (
            "additionalProperties",
            json!({ "type": "object", "properties": {}, "additionalProperties": false }),
        ),
    ];
    for keyword in CONSTRAINTS {
        assert!(
            schemas.iter().any(|(known, _)| known == keyword),
            "`{keyword}` has no sample schema here"
        );
    }
    for (keyword, schema) in &schemas {
        let base = valid_value("p", schema).unwrap();
        assert_eq!(admits(schema, &base), Ok(true), "{schema}: base {base}");
        let probes = probes("p", schema, &base).unwrap();
        let mine: Vec<&Probe> = probes.iter().filter(|p| p.keyword == *keyword).collect();
        assert!(
            mine.iter().any(|p| p.inside) && mine.iter().any(|p| !p.inside),
            "{keyword}: {mine:#?}"
        );
        for probe in &probes {
            assert_eq!(
                admits(schema, &probe.value),
                Ok(probe.inside),
                "{schema}: {probe:?}"
            );
        }
    }
    // Lengths count characters: a five-character string of two-byte ones is at maxLength 5.
    let schema = json!({ "type": "string", "maxLength": 5 });
    assert_eq!(admits(&schema, &json!("ééééé")), Ok(true));
    assert_eq!(admits(&schema, &json!("éééééé")), Ok(false));

    // Annotations constrain nothing and pass; a constraint unknown here fails, however deep.
    let annotated = json!({ "type": "string", "description": "d", "title": "t", "default": "x" });
    assert!(probes("p", &annotated, &json!("x")).is_ok());
    for (unknown, schema, value) in [
        (
            "maxItems",
            json!({ "type": "array", "items": { "type": "integer" }, "maxItems": 3 }),
            json!([1]),
        ),
        (
            "multipleOf",
            json!({ "type": "object", "properties": { "n": { "type": "integer", "multipleOf": 2 } } }),
            json!({ "n": 2 }),
        ),
        (
            "const",
            json!({ "type": "array", "items": { "const": 1 } }),
            json!([1]),
        ),
        (
            "^x$",
            json!({ "type": "string", "pattern": "^x$" }),
            json!("x"),
        ),
        (
            "email",
            json!({ "type": "string", "format": "email" }),
            json!("a@b.c"),
        ),
    ] {
        let input = json!({ "type": "object", "properties": { "p": schema } });
        let error = argument_probes(&input).unwrap_err();
        assert!(error.contains(unknown), "{unknown}: {error}");
        let error = admits(&input, &json!({ "p": value })).unwrap_err();
        assert!(error.contains(unknown), "{unknown}: {error}");
    }

    // The pattern table's samples agree with its matchers, on both sides.
    let mut seen = BTreeSet::new();
    for row in PATTERNS {
        let name = row.patterns.join(" | ");
        assert!(row.patterns.iter().all(|p| seen.insert(*p)), "{name} twice");
        assert!(
            !row.matching.is_empty() && !row.not_matching.is_empty(),
            "{name}"
        );
        for text in row.matching {
            assert!((row.matches)(text), "{name} must match {text:?}");
        }
        for text in row.not_matching {
            assert!(!(row.matches)(text), "{name} must not match {text:?}");
        }
    }
}
