//! One use per confirmation. The component seals each question's `requestState` so that it
//! confirms one call and expires, but it keeps nothing between requests, so it cannot tell
//! a state's first use from its second: a client that sends the same answer twice (a retry
//! after a lost response, a replayed message) would make it send the e-mail or issue the
//! credit note twice. The host sees every request, so it remembers the states redeemed, and
//! a call carrying one already redeemed reaches the component without that state and its
//! answers: the component then asks the user again instead of acting.
//!
//! A state is claimed before the call runs, so two copies sent at once cannot both act. The
//! claim is given back only when the component clearly did nothing with it (it refused the
//! state, or asked again); after anything else, including a crash or a cancellation, the
//! state stays spent, since the call may have acted.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use crate::locking::lock;

/// How long a state is remembered: past the component's answer window (10 minutes) a state
/// is refused as expired anyway, so remembering it longer would only cost memory.
const REMEMBER_FOR: Duration = Duration::from_secs(11 * 60);

/// How many states are remembered at most. Real confirmations come from a person, a few a
/// minute; the bound only keeps a client that floods the host with made-up states from
/// growing its memory without end.
const MAX_REMEMBERED: usize = 10_000;

#[derive(Default)]
pub struct SpentStates {
    redeemed: Mutex<HashMap<String, Instant>>,
}

/// A state this request is the first to use, to [`SpentStates::settle`] once it is answered.
pub struct Claim(String);

impl SpentStates {
    /// `body` as the component should see it, and the claim it makes: a `tools/call`
    /// carrying a state no other call has redeemed claims it; one carrying a state already
    /// redeemed goes without that state and its answers.
    pub fn redeem(&self, body: Bytes) -> (Bytes, Option<Claim>) {
        // Most requests carry no state: spare them the parsing.
        if !contains(&body, b"\"requestState\"") {
            return (body, None);
        }
        let Ok(mut message) = serde_json::from_slice::<Value>(&body) else {
            return (body, None);
        };
        if message["method"] != "tools/call" {
            return (body, None);
        }
        let Some(state) = message["params"]["requestState"].as_str() else {
            return (body, None);
        };
        if self.first_use(state) {
            let claim = Claim(state.to_string());
            return (body, Some(claim));
        }
        let params = message["params"]
            .as_object_mut()
            .expect("a params object holds the state");
        params.remove("requestState");
        params.remove("inputResponses");
        (Bytes::from(message.to_string()), None)
    }

    /// Gives the claimed state back when `response` (the component's answer) shows that it
    /// confirmed nothing: a JSON-RPC error (a state refused, a call refused before it ran) or
    /// another question.
    pub fn settle(&self, claim: Claim, response: &[u8]) {
        let answer: Value = serde_json::from_slice(response).unwrap_or_default();
        let nothing_done =
            answer.get("error").is_some() || answer["result"]["resultType"] == "input_required";
        if nothing_done {
            lock(&self.redeemed).remove(&claim.0);
        }
    }

    /// Records `state` as used; whether it was new.
    fn first_use(&self, state: &str) -> bool {
        let mut redeemed = lock(&self.redeemed);
        let now = Instant::now();
        redeemed.retain(|_, at| now.duration_since(*at) < REMEMBER_FOR);
        if redeemed.contains_key(state) {
            return false;
        }
        if redeemed.len() >= MAX_REMEMBERED
            && let Some(oldest) = redeemed
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(state, _)| state.clone())
        {
            redeemed.remove(&oldest);
        }
        redeemed.insert(state.to_string(), now);
        true
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(state: &str) -> Bytes {
        Bytes::from(
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "delete_customer", "arguments": { "customer_id": 7 },
                "inputResponses": { "confirm": { "action": "accept" } },
                "requestState": state,
            } })
            .to_string(),
        )
    }

    fn params(body: &Bytes) -> Value {
        serde_json::from_slice::<Value>(body).unwrap()["params"].clone()
    }

    #[test]
    fn a_state_confirms_once_and_its_second_use_goes_without_the_answer() {
        let spent = SpentStates::default();
        let (first, claim) = spent.redeem(call("s1"));
        assert_eq!(first, call("s1"));
        spent.settle(
            claim.expect("a first use claims"),
            br#"{"result":{"isError":false}}"#,
        );
        let (second, claim) = spent.redeem(call("s1"));
        assert!(claim.is_none());
        let second = params(&second);
        assert_eq!(second.get("requestState"), None);
        assert_eq!(second.get("inputResponses"), None);
        assert_eq!(second["name"], "delete_customer");
        assert_eq!(second["arguments"], json!({ "customer_id": 7 }));
        // Another state is its own first use.
        assert_eq!(spent.redeem(call("s2")).0, call("s2"));
    }

    #[test]
    fn a_state_that_confirmed_nothing_is_given_back() {
        let spent = SpentStates::default();
        for nothing_done in [
            r#"{"error":{"code":-32602,"message":"requestState rejected"}}"#,
            r#"{"result":{"resultType":"input_required","requestState":"s2"}}"#,
        ] {
            let (_, claim) = spent.redeem(call("s1"));
            spent.settle(claim.expect("free again"), nothing_done.as_bytes());
        }
        // A crash or a cancellation settles nothing: the state stays spent.
        let (_, claim) = spent.redeem(call("s1"));
        assert!(claim.is_some());
        let (_, claim) = spent.redeem(call("s1"));
        assert!(claim.is_none());
    }

    #[test]
    fn requests_without_a_state_pass_untouched() {
        let spent = SpentStates::default();
        for body in [
            json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }).to_string(),
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
                    "params": { "requestState": "not a call" } })
            .to_string(),
            "{ not json \"requestState\"".to_string(),
        ] {
            let body = Bytes::from(body);
            for _ in 0..2 {
                let (passed, claim) = spent.redeem(body.clone());
                assert_eq!(passed, body);
                assert!(claim.is_none());
            }
        }
    }

    #[test]
    fn the_memory_is_bounded() {
        let spent = SpentStates::default();
        for n in 0..MAX_REMEMBERED + 5 {
            assert!(spent.first_use(&format!("state {n}")));
        }
        assert_eq!(lock(&spent.redeemed).len(), MAX_REMEMBERED);
        // The newest are still remembered.
        assert!(!spent.first_use(&format!("state {}", MAX_REMEMBERED + 4)));
    }
}
