//! Asking the user before a tool does something that cannot be taken back (deleting,
//! issuing a credit note, sending an email, finalising an invoice), when the client can show
//! the user a form. Without that capability, or with FACTURATION_CONFIRM=0, tools act on the
//! model's word, as the client's own approval of tool calls allows.
//!
//! The server keeps nothing between requests, so the question travels as an `input_required`
//! result with a `requestState` that the client sends back with the user's answer. That state
//! is sealed with HMAC-SHA256 over the tool, a digest of its arguments, an expiry and a
//! nonce: a client cannot forge one, reuse one for another call, or keep one past its
//! expiry. Using one twice for the same call is what the component alone cannot see; our
//! host remembers the states redeemed (host/src/spent_states.rs).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use facturation_pro_catalog::spec::ToolSpec;

/// How long the user has to answer.
pub(crate) const ANSWER_WITHIN_SECS: u64 = 10 * 60;

/// The key of the one question we ask, in `inputRequests` and `inputResponses`.
const QUESTION: &str = "confirm";

/// FACTURATION_CONFIRM: on unless set to 0.
pub fn enabled_from_env() -> Result<bool, String> {
    match std::env::var("FACTURATION_CONFIRM")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("" | "1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(other) => Err(format!("FACTURATION_CONFIRM must be 1 or 0, got {other:?}")),
    }
}

/// The secret that seals request states: FACTURATION_STATE_KEY (our host generates one per
/// process), or else one derived from the API credentials a standalone deployment holds. Any
/// replica of the same deployment derives the same key, which is what lets a retry land on
/// another replica.
pub struct SealKey(Vec<u8>);

impl SealKey {
    pub fn from_env(credentials: Option<&(String, String)>) -> Option<SealKey> {
        if let Some(key) = std::env::var("FACTURATION_STATE_KEY")
            .ok()
            .filter(|key| !key.trim().is_empty())
        {
            return Some(SealKey(key.into_bytes()));
        }
        let (id, key) = credentials?;
        let mut digest = Sha256::new();
        digest.update(b"facturation-pro-mcp request state\0");
        digest.update(id.as_bytes());
        digest.update(b"\0");
        digest.update(key.as_bytes());
        Some(SealKey(digest.finalize().to_vec()))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload);
        mac
    }
}

/// What to do with a call that needs the user's agreement.
pub enum Decision {
    Go,
    /// Ask (again): the questions, and the state to send back with the answers.
    Ask {
        input_requests: Value,
        request_state: String,
    },
    /// The user said no, or could not be asked: the message says which.
    Stop(String),
    /// The state sent back is not one we issued for this call.
    Forged(String),
}

/// Decides from what the client sent back, if anything. `warning` says what cannot be
/// undone (from [`ToolSpec::irreversible`]).
pub fn decide(
    spec: &ToolSpec,
    warning: &str,
    arguments: &Map<String, Value>,
    key: Option<&SealKey>,
    input_responses: Option<&Map<String, Value>>,
    request_state: Option<&str>,
) -> Decision {
    let Some(key) = key else {
        return Decision::Stop(
            "Not done: this deployment cannot ask for confirmation because it has no \
             FACTURATION_STATE_KEY; set one, or FACTURATION_CONFIRM=0 to act without asking. \
             Nothing was sent."
                .into(),
        );
    };
    let now = now_secs();
    let Some(state) = request_state else {
        return ask(spec, warning, arguments, key, now);
    };
    match verify(state, spec, arguments, key, now) {
        Verified::Valid => {}
        // The user took too long: ask again rather than fail.
        Verified::Expired => return ask(spec, warning, arguments, key, now),
        Verified::Invalid(reason) => {
            return Decision::Forged(format!(
                "requestState rejected: {reason}. Nothing was done; call {} again without it.",
                spec.name
            ));
        }
    }
    let Some(answer) = input_responses.and_then(|responses| responses.get(QUESTION)) else {
        return ask(spec, warning, arguments, key, now);
    };
    match answer["action"].as_str() {
        Some("accept") if answer["content"]["confirm"] == true => Decision::Go,
        Some("accept") => stop("the user did not tick \"Go ahead\""),
        Some("decline") => stop("the user declined"),
        Some("cancel") => stop("the user dismissed the question"),
        _ => stop(&format!("the client's answer was not understood: {answer}")),
    }
}

fn stop(reason: &str) -> Decision {
    Decision::Stop(format!("Not done: {reason}. Nothing was sent."))
}

fn ask(
    spec: &ToolSpec,
    warning: &str,
    arguments: &Map<String, Value>,
    key: &SealKey,
    now: u64,
) -> Decision {
    let question = json!({
        "method": "elicitation/create",
        "params": {
            "mode": "form",
            "message": question(spec, warning, arguments),
            "requestedSchema": {
                "type": "object",
                "properties": {
                    "confirm": { "type": "boolean", "title": "Go ahead", "description": warning },
                },
                "required": ["confirm"],
            },
        },
    });
    Decision::Ask {
        input_requests: json!({ QUESTION: question }),
        request_state: seal(spec, arguments, key, now + ANSWER_WITHIN_SECS),
    }
}

fn seal(spec: &ToolSpec, arguments: &Map<String, Value>, key: &SealKey, expires: u64) -> String {
    seal_call(spec.name, arguments, key, expires)
}

/// `payload.mac`, both base64url: the payload names the call (a tool's name), the digest of
/// its arguments, the expiry and a nonce, so the state confirms this call and nothing else,
/// and no two questions share one. The conformance fixtures seal their states here too, so
/// the suite's tampered-state check exercises this very seal.
pub(crate) fn seal_call(
    call: &str,
    arguments: &Map<String, Value>,
    key: &SealKey,
    expires: u64,
) -> String {
    let mut nonce = [0u8; 16];
    // Without randomness the state would still be sealed, only not unique: asking again
    // within the same second would give the same state, which the host remembers as used.
    let _ = getrandom::fill(&mut nonce);
    let payload = json!({
        "tool": call,
        "arguments": arguments_digest(arguments),
        "expires": expires,
        "nonce": BASE64_URL_SAFE_NO_PAD.encode(nonce),
    })
    .to_string();
    let tag = key.mac(payload.as_bytes()).finalize().into_bytes();
    format!(
        "{}.{}",
        BASE64_URL_SAFE_NO_PAD.encode(payload),
        BASE64_URL_SAFE_NO_PAD.encode(tag)
    )
}

pub(crate) enum Verified {
    Valid,
    Expired,
    Invalid(&'static str),
}

fn verify(
    state: &str,
    spec: &ToolSpec,
    arguments: &Map<String, Value>,
    key: &SealKey,
    now: u64,
) -> Verified {
    verify_call(state, spec.name, arguments, key, now)
}

/// Whether `state` is one [`seal_call`] made for this call with this key, and still valid.
pub(crate) fn verify_call(
    state: &str,
    call: &str,
    arguments: &Map<String, Value>,
    key: &SealKey,
    now: u64,
) -> Verified {
    let Some((payload, tag)) = state.split_once('.') else {
        return Verified::Invalid("it is not a state this server issued");
    };
    let (Ok(payload), Ok(tag)) = (
        BASE64_URL_SAFE_NO_PAD.decode(payload),
        BASE64_URL_SAFE_NO_PAD.decode(tag),
    ) else {
        return Verified::Invalid("it is not a state this server issued");
    };
    // `verify_slice` compares in constant time.
    if key.mac(&payload).verify_slice(&tag).is_err() {
        return Verified::Invalid("its seal does not verify");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&payload) else {
        return Verified::Invalid("it is not a state this server issued");
    };
    if payload["tool"] != call || payload["arguments"] != arguments_digest(arguments) {
        return Verified::Invalid("it was issued for another call");
    }
    match payload["expires"].as_u64() {
        Some(expires) if expires > now => Verified::Valid,
        Some(_) => Verified::Expired,
        None => Verified::Invalid("it is not a state this server issued"),
    }
}

/// SHA-256 of the arguments' JSON text. A client retrying sends the very same arguments, and
/// serde_json writes a map's keys in one order, so equal arguments give equal digests.
fn arguments_digest(arguments: &Map<String, Value>) -> String {
    let text = Value::Object(arguments.clone()).to_string();
    BASE64_URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// "Facturation.PRO: Delete a customer (customer 180012, firm 1001)? Its quotes are deleted
/// with it. This cannot be undone."
fn question(spec: &ToolSpec, warning: &str, arguments: &Map<String, Value>) -> String {
    let details: Vec<String> = arguments
        .iter()
        .filter(|(name, _)| name.ends_with("_id") || ["to", "subject"].contains(&name.as_str()))
        .map(|(name, value)| {
            let label = name.trim_end_matches("_id").replace('_', " ");
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            format!("{label} {value}")
        })
        .collect();
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    format!("Facturation.PRO: {}{details}? {warning}", spec.title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use facturation_pro_catalog::TOOLS;
    use facturation_pro_catalog::spec::CANNOT_BE_UNDONE;

    fn delete_customer() -> &'static ToolSpec {
        TOOLS
            .iter()
            .find(|spec| spec.name == "delete_customer")
            .unwrap()
    }

    fn args(id: u64) -> Map<String, Value> {
        json!({ "customer_id": id, "firm_id": 1 })
            .as_object()
            .unwrap()
            .clone()
    }

    fn accepted() -> Map<String, Value> {
        json!({ "confirm": { "action": "accept", "content": { "confirm": true } } })
            .as_object()
            .unwrap()
            .clone()
    }

    fn state_for(key: &SealKey, id: u64) -> String {
        match decide(
            delete_customer(),
            CANNOT_BE_UNDONE,
            &args(id),
            Some(key),
            None,
            None,
        ) {
            Decision::Ask { request_state, .. } => request_state,
            _ => panic!("expected a question"),
        }
    }

    #[test]
    fn an_accepted_answer_with_its_own_state_goes_ahead() {
        let key = SealKey(b"k".to_vec());
        let state = state_for(&key, 7);
        assert!(matches!(
            decide(
                delete_customer(),
                CANNOT_BE_UNDONE,
                &args(7),
                Some(&key),
                Some(&accepted()),
                Some(&state)
            ),
            Decision::Go
        ));
    }

    #[test]
    fn a_state_for_another_call_another_key_or_altered_confirms_nothing() {
        let key = SealKey(b"k".to_vec());
        let state = state_for(&key, 7);
        let other_call = decide(
            delete_customer(),
            CANNOT_BE_UNDONE,
            &args(8),
            Some(&key),
            Some(&accepted()),
            Some(&state),
        );
        assert!(matches!(other_call, Decision::Forged(reason) if reason.contains("another call")));
        let other_key = SealKey(b"other".to_vec());
        let forged = decide(
            delete_customer(),
            CANNOT_BE_UNDONE,
            &args(7),
            Some(&other_key),
            Some(&accepted()),
            Some(&state),
        );
        assert!(matches!(forged, Decision::Forged(_)));
        let mut altered = state.clone();
        altered.insert(3, 'x');
        assert!(matches!(
            decide(
                delete_customer(),
                CANNOT_BE_UNDONE,
                &args(7),
                Some(&key),
                Some(&accepted()),
                Some(&altered)
            ),
            Decision::Forged(_)
        ));
    }

    #[test]
    fn an_expired_state_asks_again() {
        let key = SealKey(b"k".to_vec());
        let old = seal(delete_customer(), &args(7), &key, now_secs() - 1);
        assert!(matches!(
            decide(
                delete_customer(),
                CANNOT_BE_UNDONE,
                &args(7),
                Some(&key),
                Some(&accepted()),
                Some(&old)
            ),
            Decision::Ask { .. }
        ));
    }

    #[test]
    fn declining_or_no_key_stops() {
        let key = SealKey(b"k".to_vec());
        let state = state_for(&key, 7);
        let declined = json!({ "confirm": { "action": "decline" } })
            .as_object()
            .unwrap()
            .clone();
        assert!(matches!(
            decide(delete_customer(), CANNOT_BE_UNDONE, &args(7), Some(&key), Some(&declined), Some(&state)),
            Decision::Stop(reason) if reason.contains("declined")
        ));
        assert!(matches!(
            decide(delete_customer(), CANNOT_BE_UNDONE, &args(7), None, None, None),
            Decision::Stop(reason) if reason.contains("FACTURATION_STATE_KEY")
        ));
    }
}
