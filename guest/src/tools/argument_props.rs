//! Property tests of the argument checks (`arguments::place`), against the input schemas
//! the catalogue publishes: arguments generated from a tool's schema are accepted, and
//! arguments with one thing wrong are refused before any request, naming what is wrong.

use base64::prelude::{BASE64_STANDARD, Engine as _};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::arguments::{Refusal, place};
use super::definitions::TOOL_DEFINITIONS;
use facturation_pro_catalog::TOOLS;

/// Index into the catalogue, with the tool's parsed input schema.
fn schema(tool: usize) -> Value {
    let definition: Value = serde_json::from_str(TOOL_DEFINITIONS[tool]).expect("JSON");
    definition["inputSchema"].clone()
}

/// A calendar date; days stop at 28 so every month has them.
fn date() -> BoxedStrategy<String> {
    (1000u32..=9999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed()
}

/// A string the schema admits. Patterns are matched by name: a new pattern fails here
/// until it has a generator, rather than being fuzzed with values it was never meant for.
fn string_for(schema: &Value) -> BoxedStrategy<Value> {
    if schema["format"] == "date" {
        return date().prop_map(Value::from).boxed();
    }
    let text = match schema["pattern"].as_str() {
        None => {
            let max = schema["maxLength"].as_u64().unwrap_or(40).min(40) as usize;
            prop::collection::vec(any::<char>(), 0..=max)
                .prop_map(|chars| chars.into_iter().collect::<String>())
                .boxed()
        }
        Some("^[A-Z]{2}$") => "[A-Z]{2}".boxed(),
        Some("^[A-Z]{3}$") => "[A-Z]{3}".boxed(),
        Some("^-?[0-9]+([.,][0-9]+)?$") => "-?[0-9]{1,15}([.,][0-9]{1,6})?".boxed(),
        // The pattern admits days 29 to 31 in every month; the executor wants the day to
        // exist, which a pattern cannot say, so only days every month has are generated.
        Some(pattern) if pattern.starts_with("^[0-9]{4}-(0[1-9]|1[0-2])") => prop_oneof![
            date(),
            (1000u32..=9999, 1u32..=12).prop_map(|(y, m)| format!("{y:04}-{m:02}")),
        ]
        .boxed(),
        Some(pattern) if pattern.starts_with("^([A-Za-z0-9+/]{4})*") => {
            prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|bytes| BASE64_STANDARD.encode(bytes))
                .boxed()
        }
        Some(pattern) if pattern.contains("/orders/") => {
            "(https?://[a-z.]{1,12})?/firms/[0-9]{1,6}/orders/[A-Za-z0-9_-][A-Za-z0-9._-]{0,10}\\.pdf"
                .boxed()
        }
        Some(pattern) => panic!("no generator for the pattern {pattern}"),
    };
    text.prop_map(Value::from).boxed()
}

/// A value the property schema admits.
fn value_for(schema: &Value) -> BoxedStrategy<Value> {
    if let Some(choices) = schema["enum"].as_array() {
        return prop::sample::select(choices.clone()).boxed();
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(ty) => vec![ty.clone()],
        Value::Array(types) => types
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        other => panic!("no type in {other}"),
    };
    let options: Vec<BoxedStrategy<Value>> = types
        .iter()
        .map(|ty| match ty.as_str() {
            "null" => Just(Value::Null).boxed(),
            "boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "integer" => {
                let min = schema["minimum"].as_i64();
                let max = schema["maximum"].as_i64();
                match (min, max) {
                    (Some(min), Some(max)) => (min..=max).prop_map(Value::from).boxed(),
                    (Some(min), None) if min >= 0 => {
                        (min as u64..=u64::MAX).prop_map(Value::from).boxed()
                    }
                    (None, None) => any::<i64>().prop_map(Value::from).boxed(),
                    other => panic!("no generator for integer bounds {other:?}"),
                }
            }
            "number" => (-1e300f64..1e300).prop_map(Value::from).boxed(),
            "string" => string_for(schema),
            "array" => {
                let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
                prop::collection::vec(value_for(&schema["items"]), min..min + 3)
                    .prop_map(Value::from)
                    .boxed()
            }
            "object" => object_for(schema),
            other => panic!("no generator for type {other}"),
        })
        .collect();
    prop::strategy::Union::new(options).boxed()
}

/// An object with every required property and a random choice of the others.
fn object_for(schema: &Value) -> BoxedStrategy<Value> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let members: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
        .iter()
        .map(|(name, property)| {
            let name = name.clone();
            let value = value_for(property);
            if required.contains(&name.as_str()) {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                prop::option::of(value.prop_map(move |v| (name.clone(), v))).boxed()
            }
        })
        .collect();
    members
        .prop_map(|members| Value::Object(members.into_iter().flatten().collect()))
        .boxed()
}

/// A tool of the catalogue and arguments its schema admits.
fn valid_call() -> impl Strategy<Value = (usize, Map<String, Value>)> {
    valid_call_where(|_| true)
}

/// The same, among the tools whose schema passes `keep`.
fn valid_call_where(
    keep: fn(&Value) -> bool,
) -> impl Strategy<Value = (usize, Map<String, Value>)> {
    let tools: Vec<usize> = (0..TOOLS.len())
        .filter(|tool| keep(&schema(*tool)))
        .collect();
    prop::sample::select(tools).prop_flat_map(|tool| {
        object_for(&schema(tool)).prop_map(move |args| match args {
            Value::Object(args) => (tool, args),
            _ => unreachable!(),
        })
    })
}

/// Values that are wrong for most arguments, the kind a confused or hostile client sends.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.5)),
        Just(json!("NaN")),
        Just(json!("Infinity")),
        Just(json!("-1")),
        Just(json!("1e999")),
        Just(json!("")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{}])),
        Just(json!(true)),
        "[\\x00-\\x1f\\x7f]{1,8}".prop_map(Value::from),
        ".{0,300}".prop_map(Value::from),
    ]
}

/// Whether `value`'s JSON type is one the property schema lists (an integer is a number).
fn type_admitted(schema: &Value, value: &Value) -> bool {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(ty) => vec![ty.as_str()],
        Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    types.iter().any(|ty| match *ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    })
}

/// The refusal's message, which must name `argument` in backquotes.
fn names(
    result: Result<super::arguments::Placed, Refusal>,
    argument: &str,
) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => Err(TestCaseError::fail(format!("`{argument}` was accepted"))),
        Err(Refusal::NoFirm) => Err(TestCaseError::fail("refused for want of a firm")),
        Err(Refusal::Invalid(message)) => {
            prop_assert!(
                message.contains(&format!("`{argument}")),
                "{} does not name `{}`",
                message,
                argument
            );
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(10_000) })]

    /// What the published schema admits, the executor accepts; without a configured firm,
    /// a firm-scoped call without `firm_id` is the one refusal.
    #[test]
    fn arguments_from_the_schema_are_accepted((tool, args) in valid_call(), firm in 1u64..=u64::MAX) {
        let spec = &TOOLS[tool];
        let accepted = place(spec, args.clone(), Some(firm));
        prop_assert!(accepted.is_ok(), "{} refused {}: {}", spec.name, Value::Object(args.clone()),
            match accepted { Err(Refusal::Invalid(m)) => m, _ => "no firm".into() });
        let needs_firm = spec.path_params().any(|p| p == "firm_id") && !args.contains_key("firm_id");
        match place(spec, args, None) {
            Err(Refusal::NoFirm) => prop_assert!(needs_firm),
            Ok(_) => prop_assert!(!needs_firm),
            Err(Refusal::Invalid(message)) => prop_assert!(false, "{}", message),
        }
    }

    /// An unknown key is refused by its name.
    #[test]
    fn an_extra_key_is_refused_by_name((tool, mut args) in valid_call(), key in ".{0,20}", value in hostile_value()) {
        let properties = &schema(tool)["properties"];
        prop_assume!(properties.get(&key).is_none());
        args.insert(key.clone(), value);
        names(place(&TOOLS[tool], args, Some(1)), &key)?;
    }

    /// A missing required argument is refused by its name.
    #[test]
    fn a_missing_required_key_is_refused_by_name(
        (tool, mut args) in valid_call_where(|schema| schema["required"].as_array().is_some_and(|r| !r.is_empty())), pick in any::<prop::sample::Index>()) {
        let schema = schema(tool);
        let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let missing = required[pick.index(required.len())];
        args.remove(missing);
        names(place(&TOOLS[tool], args, Some(1)), missing)?;
    }

    /// One argument replaced by a hostile value: accepted or refused by that argument's
    /// name, and always refused when its JSON type is not one the schema lists, or when
    /// it is an id that is not a positive integer.
    #[test]
    fn a_wrong_value_is_refused_by_name(
        (tool, mut args) in valid_call_where(|schema| schema["properties"].as_object().is_some_and(|p| !p.is_empty())), pick in any::<prop::sample::Index>(), value in hostile_value()) {
        let schema = schema(tool);
        let properties = schema["properties"].as_object().expect("properties");
        let (name, property) = properties.iter().nth(pick.index(properties.len())).expect("in range");
        let must_refuse = !type_admitted(property, &value)
            || (property["minimum"] == 1 && !value.is_null() && value.as_u64().is_none_or(|id| id < 1));
        args.insert(name.clone(), value);
        match place(&TOOLS[tool], args, Some(1)) {
            Ok(_) => prop_assert!(!must_refuse, "`{}` of {} was accepted", name, TOOLS[tool].name),
            refused => names(refused, name)?,
        }
    }
}
