//! What can go wrong talking to the API, phrased for the person reading the tool result.

use std::fmt;

use serde_json::Value;

#[derive(Debug)]
pub enum ApiError {
    /// The API answered with an error status; `detail` is its own `errors` text when it sent one.
    Status { status: u16, detail: String },
    /// The request never got an answer: refused by the sandbox, DNS, TLS, timeout...
    Transport(String),
    /// The answer could not be understood.
    BadResponse(String),
    /// A firm-scoped call with no firm configured or given.
    NoFirm,
    /// The API kept answering 429 through every retry.
    RateLimited {
        attempts: u32,
        waited: std::time::Duration,
    },
    /// This server sent as many requests in 24 hours as the API allows in a day.
    DailyQuotaSpent,
    /// A write failed after it may have reached the API; it was not sent again.
    OutcomeUnknown(String),
    /// The client cancelled the call while it waited for the API.
    Cancelled,
    /// A retry of a call (the same Idempotency-Key) whose first attempt made this write; the
    /// host did not send it again. The text says what became of the first one.
    AlreadyMade(String),
}

impl ApiError {
    /// Builds the error for a failed status from the response body: the vendor puts details in
    /// an `errors` field (a string, a list, or field → messages); otherwise we show the text.
    pub fn from_status(status: u16, body: &[u8]) -> Self {
        let detail = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) if object.contains_key("errors") => {
                render_errors(&object["errors"])
            }
            Ok(other) => other.to_string(),
            Err(_) => String::from_utf8_lossy(body)
                .trim()
                .chars()
                .take(500)
                .collect(),
        };
        ApiError::Status { status, detail }
    }
}

fn render_errors(errors: &Value) -> String {
    match errors {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(render_errors)
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(fields) => fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", render_errors(messages)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn status_meaning(status: u16) -> &'static str {
    match status {
        400 => "the request was malformed",
        401 => {
            "the API id or API key was refused (check FACTURATION_API_ID and FACTURATION_API_KEY)"
        }
        403 => {
            "this account is not allowed to do that (wrong firm, missing right, or User-Agent refused)"
        }
        404 => "no such record",
        422 => "the data was refused",
        429 => "the API rate limit was reached (600 requests per 5 minutes, 10,000 per day)",
        500..=599 => "the Facturation.PRO service failed",
        _ => "the request failed",
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Status { status, detail } if detail.is_empty() => {
                write!(f, "Facturation.PRO answered HTTP {status}: {}", status_meaning(*status))
            }
            ApiError::Status { status, detail } => write!(
                f,
                "Facturation.PRO answered HTTP {status}: {}. Details: {detail}",
                status_meaning(*status)
            ),
            ApiError::Transport(reason) => write!(f, "Could not reach Facturation.PRO: {reason}"),
            ApiError::BadResponse(reason) => {
                write!(f, "Facturation.PRO sent a response that could not be read: {reason}")
            }
            ApiError::RateLimited { attempts, waited } => write!(
                f,
                "Facturation.PRO refused {attempts} times with HTTP 429, its rate limit (600 requests per 5 minutes, \
                 10,000 per day), after waiting {:.1} s in all. Nothing was done; try again in a few minutes.",
                waited.as_secs_f64()
            ),
            ApiError::DailyQuotaSpent => f.write_str(
                "This server has sent as many requests in 24 hours as its daily quota allows \
                 (FACTURATION_REQUESTS_PER_DAY, by default the API's 10,000); nothing was sent. Try again later.",
            ),
            ApiError::OutcomeUnknown(reason) => write!(
                f,
                "The outcome is unknown: {reason}. The request may or may not have been carried out, and it \
                 was not sent again so that nothing is done twice. Check with a list_ or get_ tool before \
                 trying again."
            ),
            ApiError::Cancelled => f.write_str("Cancelled by the client before Facturation.PRO answered."),
            ApiError::AlreadyMade(first) => write!(
                f,
                "This call was made before (the same Idempotency-Key): {first}. It was not sent again, so \
                 that nothing is done twice. Check with a list_ or get_ tool, and call again with a new key \
                 only if it is still needed."
            ),
            ApiError::NoFirm => f.write_str(
                "No firm selected: pass `firm_id` or set FACTURATION_FIRM_ID (get_account lists the firms you can use)",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_api_field_errors_verbatim() {
        let body = br#"{"errors":{"company_name":["can't be blank"],"country":["is invalid"]}}"#;
        let text = ApiError::from_status(422, body).to_string();
        assert!(text.contains("HTTP 422"), "{text}");
        assert!(
            text.contains("company_name: can't be blank; country: is invalid"),
            "{text}"
        );
    }

    #[test]
    fn falls_back_to_the_plain_body() {
        let text = ApiError::from_status(429, b"Retry later").to_string();
        assert!(
            text.contains("rate limit") && text.contains("Retry later"),
            "{text}"
        );
    }
}
