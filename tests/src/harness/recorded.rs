//! Checks on a request the emulator recorded, in forms tests can compare directly: its
//! route, its query regardless of the order parameters went out in, its JSON body.

use serde_json::Value;

use crate::emulator::RecordedRequest;

/// Asserts a recorded request's method and path.
pub fn assert_route(request: &RecordedRequest, method: &str, path: &str) {
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        (method, path),
        "{request:#?}"
    );
}

/// The query of a request, sorted: the server promises which parameters, not their order.
pub fn sorted_query(request: &RecordedRequest) -> Vec<(String, String)> {
    let mut query = request.query.clone();
    query.sort();
    query
}

/// Expected query parameters in the form `sorted_query` returns.
pub fn sorted_pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Asserts a write request carried exactly `body`, declared as JSON.
pub fn assert_json_body(request: &RecordedRequest, body: &Value) {
    assert!(
        request
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json")),
        "{request:#?}"
    );
    assert_eq!(request.json_body().as_ref(), Some(body), "{request:#?}");
}
