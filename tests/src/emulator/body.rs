//! Reading JSON request bodies. The API only takes JSON objects (no root element), sent with
//! a JSON content type.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The body as a JSON object, or the error the service gives for a wrong content type (415),
/// unparsable JSON or a JSON value that is not an object (400).
pub(crate) fn json_object(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    // Parameters such as `; charset=utf-8` do not matter, only the media type does.
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Send the body as JSON with 'Content-Type: application/json' (got '{content_type}')"
            ),
        ));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request(
            "The JSON body must be an object of fields, without a root element",
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "Malformed JSON body: {error}"
        ))),
    }
}
