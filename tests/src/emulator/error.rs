//! Error responses. The vendor puts error details in an `errors` member: a plain message for
//! most failures, and a map from field name to messages for validation failures (422).

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Validation messages per field, as sent in a 422 body.
pub(crate) type FieldErrors = BTreeMap<String, Vec<String>>;

/// Adds one message for `field` to a set of validation errors.
pub(crate) fn push_error(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    errors: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            errors: Value::String(message.into()),
        }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The missing-record answer, worded like the vendor's own 404.
    pub(crate) fn record_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "The record could not be found")
    }

    pub(crate) fn invalid(errors: FieldErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: json!(errors),
        }
    }

    /// A 422 about one field (or `base` for the record as a whole).
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        push_error(&mut errors, field, message);
        Self::invalid(errors)
    }
}

#[cfg(test)]
impl ApiError {
    /// The per-field messages of a 422 (empty for other errors).
    pub(crate) fn field_errors(self) -> FieldErrors {
        serde_json::from_value(self.errors).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "errors": self.errors }))).into_response()
    }
}
