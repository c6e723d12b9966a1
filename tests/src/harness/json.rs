//! Reading the JSON the tools return and building the JSON they are given: decimals as the
//! API writes them, record ids, arguments less the ones that go into the path.

use serde_json::Value;

/// A decimal as the API writes it (`"700.0"`) or as a JSON number.
pub fn decimal(value: &Value) -> f64 {
    match value {
        Value::Number(number) => number.as_f64().unwrap(),
        Value::String(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("not a decimal: {text:?}")),
        other => panic!("expected a decimal, got {other}"),
    }
}

/// The `id` of a record.
pub fn id_of(record: &Value) -> u64 {
    record["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {record}"))
}

/// The ids of a list of records, in the order given.
pub fn ids(records: &Value) -> Vec<u64> {
    records
        .as_array()
        .unwrap_or_else(|| panic!("expected a list of records, got {records}"))
        .iter()
        .map(id_of)
        .collect()
}

/// The arguments without the ones that go into the path, i.e. the body a write should send.
pub fn without(args: &Value, keys: &[&str]) -> Value {
    let mut object = args.as_object().expect("arguments are an object").clone();
    for key in keys {
        object.remove(*key);
    }
    Value::Object(object)
}
