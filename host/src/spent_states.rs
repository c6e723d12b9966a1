//! One use per confirmation. The component seals each question's `requestState` so that it
//! confirms one call and expires, but it keeps nothing between requests, so it cannot tell
//! a state's first use from its second: a client that sends the same answer twice (a retry
//! after a lost response, a replayed message) would make it send the e-mail or issue the
//! credit note twice. The host sees every request, so it remembers the states redeemed, and
//! a call carrying one already redeemed reaches the component without that state and its
//! answers: the component then asks the user again instead of acting.
//!
//! The decision is made on the parsed message, and the component receives that parse
//! written out again, never the client's bytes: a spelling of the JSON that one parser reads
//! differently from another (escaped key names, duplicate keys, odd whitespace) cannot carry
//! a state past this guard and into the component.
//!
//! Only states whose seal verifies with the component's key are remembered, each until its
//! own expiry (after which the component refuses it anyway). The memory is bounded; when it
//! is full of unexpired states, new confirmations are refused with a clear message rather
//! than old states forgotten, since forgetting one would let it act a second time. The
//! remote connector keeps them in its store instead, so that they outlive a restart.
//!
//! A state is claimed before the call runs, so two copies sent at once cannot both act. The
//! claim is given back only when the component clearly did nothing with it (it refused the
//! state, or asked again); after anything else, including a crash or a cancellation, the
//! state stays spent, since the call may have acted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::locking::lock;
use crate::oauth::now_secs;
use crate::store::Store;

/// How many unexpired states are remembered at most. Real confirmations come from a person,
/// a few a minute; the bound keeps a client that mints states in a loop from growing the
/// host's memory without end (each entry is a few hundred bytes).
const MAX_REMEMBERED: usize = 10_000;

/// Seconds a state is remembered past the expiry sealed in it, for clocks that disagree a
/// little between the component's view and the host's.
const EXPIRY_MARGIN_SECS: u64 = 60;

/// The largest body the component reads (guest/src/mcp/http.rs refuses anything longer).
const COMPONENT_BODY_LIMIT: usize = 32 << 20;

/// JSON-RPC error code for a confirmation refused because the memory of spent states is
/// full: a server-side condition, not a fault of the request.
const BUSY: i64 = -32000;

pub struct SpentStates {
    /// Redeemed states, with the time (seconds since the epoch) until which they matter.
    redeemed: Mutex<HashMap<String, u64>>,
    /// Where the remote connector keeps them instead.
    store: Option<Arc<Store>>,
}

/// A state this request is the first to use, to [`SpentStates::settle`] once it is answered.
pub struct Claim(String);

/// The expiry sealed in `state`, when `key` made its seal; None for anything else (the
/// component refuses those itself, so they need no remembering).
fn sealed_expiry(key: &[u8], state: &str) -> Option<u64> {
    let (payload, tag) = state.split_once('.')?;
    let payload = BASE64_URL_SAFE_NO_PAD.decode(payload).ok()?;
    let tag = BASE64_URL_SAFE_NO_PAD.decode(tag).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(&payload);
    mac.verify_slice(&tag).ok()?;
    serde_json::from_slice::<Value>(&payload).ok()?["expires"].as_u64()
}

/// What to do with one incoming message.
pub enum Redeemed {
    /// Run it: the body to give the component, and the claim made, if any.
    Run(Bytes, Option<Claim>),
    /// Answer this JSON-RPC error without running anything.
    Refuse(Bytes),
}

impl SpentStates {
    /// `store`: the remote connector's, which then keeps the states; None keeps them in
    /// memory.
    pub fn new(store: Option<Arc<Store>>) -> Self {
        Self {
            redeemed: Mutex::default(),
            store,
        }
    }

    /// Decides on one message. Anything that parses as JSON goes to the component as this
    /// parse writes it, so the guard and the component judge the very same message; what
    /// does not parse goes as it is, for the component's parse error.
    /// `key` is the one the instance seals with: FACTURATION_STATE_KEY as the component
    /// receives it, or in the remote mode the user's own.
    pub fn redeem(&self, body: Bytes, key: &[u8]) -> Redeemed {
        // The component refuses a body this large unread, whatever it holds; written out
        // again without its padding it could slip under that limit.
        if body.len() > COMPONENT_BODY_LIMIT {
            return Redeemed::Run(body, None);
        }
        let Ok(mut message) = serde_json::from_slice::<Value>(&body) else {
            return Redeemed::Run(body, None);
        };
        let mut claim = None;
        if message["method"] == "tools/call"
            && let Some(state) = message["params"]["requestState"].as_str()
            && let Some(expires) = sealed_expiry(key, state)
        {
            match self.first_use(state, expires) {
                Use::First => claim = Some(Claim(state.to_string())),
                Use::Again => {
                    let params = message["params"]
                        .as_object_mut()
                        .expect("a params object holds the state");
                    params.remove("requestState");
                    params.remove("inputResponses");
                }
                Use::Full => return Redeemed::Refuse(busy(&message["id"], FULL)),
                Use::Unknown => return Redeemed::Refuse(busy(&message["id"], UNKNOWN)),
            }
        }
        Redeemed::Run(Bytes::from(message.to_string()), claim)
    }

    /// Gives the claimed state back when `response` (the component's answer) shows that it
    /// confirmed nothing: a JSON-RPC error (a state refused, a call refused before it ran) or
    /// another question.
    pub fn settle(&self, claim: Claim, response: &[u8]) {
        let answer: Value = serde_json::from_slice(response).unwrap_or_default();
        let nothing_done =
            answer.get("error").is_some() || answer["result"]["resultType"] == "input_required";
        if !nothing_done {
            return;
        }
        match &self.store {
            // Kept as spent if the store fails: asking the user again is the safe side.
            Some(store) => {
                if let Err(error) = store.release_state(&claim.0) {
                    eprintln!("facturation-pro-mcp: the store failed: {error:#}");
                }
            }
            None => {
                lock(&self.redeemed).remove(&claim.0);
            }
        }
    }

    /// Records `state` as used, unless it was already or there is no room.
    fn first_use(&self, state: &str, expires: u64) -> Use {
        if let Some(store) = &self.store {
            return match store.claim_state(state, expires.saturating_add(EXPIRY_MARGIN_SECS)) {
                Ok(true) => Use::First,
                Ok(false) => Use::Again,
                Err(error) => {
                    // Unable to tell a first use from a second: nothing may act.
                    eprintln!("facturation-pro-mcp: the store failed: {error:#}");
                    Use::Unknown
                }
            };
        }
        let mut redeemed = lock(&self.redeemed);
        let now = now_secs();
        if redeemed.contains_key(state) {
            return Use::Again;
        }
        if redeemed.len() >= MAX_REMEMBERED {
            redeemed.retain(|_, until| *until > now);
            if redeemed.len() >= MAX_REMEMBERED {
                return Use::Full;
            }
        }
        redeemed.insert(
            state.to_string(),
            expires.saturating_add(EXPIRY_MARGIN_SECS),
        );
        Use::First
    }
}

enum Use {
    First,
    Again,
    Full,
    /// The store could not say.
    Unknown,
}

const FULL: &str = "Not done: too many confirmations were answered in the last minutes for \
                    this server to remember them all, and it will not forget one that could \
                    then act twice. Nothing was sent; ask again in a few minutes.";
const UNKNOWN: &str = "Not done: the server cannot check right now whether this answer was \
                       already used, and will not risk acting twice. Nothing was sent; try \
                       again in a moment.";

fn busy(id: &Value, message: &str) -> Bytes {
    let reply =
        json!({ "jsonrpc": "2.0", "id": id, "error": { "code": BUSY, "message": message } });
    Bytes::from(reply.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test key";

    /// A state sealed as the component seals them (guest/src/tools/confirm.rs).
    fn sealed(nonce: &str, expires: u64) -> String {
        let payload = json!({ "tool": "delete_customer", "arguments": "digest",
            "expires": expires, "nonce": nonce })
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
        mac.update(payload.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            BASE64_URL_SAFE_NO_PAD.encode(payload),
            BASE64_URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn state(nonce: &str) -> String {
        sealed(nonce, now_secs() + 600)
    }

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

    fn run(redeemed: Redeemed) -> (Value, Option<Claim>) {
        match redeemed {
            Redeemed::Run(body, claim) => (serde_json::from_slice(&body).unwrap(), claim),
            Redeemed::Refuse(body) => panic!("refused: {}", String::from_utf8_lossy(&body)),
        }
    }

    #[test]
    fn a_state_confirms_once_and_its_second_use_goes_without_the_answer() {
        let spent = SpentStates::new(None);
        let s1 = state("1");
        let (first, claim) = run(spent.redeem(call(&s1), KEY.as_bytes()));
        assert_eq!(first["params"]["requestState"], s1.as_str());
        spent.settle(
            claim.expect("a first use claims"),
            br#"{"result":{"isError":false}}"#,
        );
        let (second, claim) = run(spent.redeem(call(&s1), KEY.as_bytes()));
        assert!(claim.is_none());
        let second = &second["params"];
        assert_eq!(second.get("requestState"), None);
        assert_eq!(second.get("inputResponses"), None);
        assert_eq!(second["name"], "delete_customer");
        assert_eq!(second["arguments"], json!({ "customer_id": 7 }));
        // Another state is its own first use.
        assert!(
            run(spent.redeem(call(&state("2")), KEY.as_bytes()))
                .1
                .is_some()
        );
    }

    #[test]
    fn other_spellings_of_the_same_message_are_the_same_message() {
        let spent = SpentStates::new(None);
        let s1 = state("1");
        let plain = String::from_utf8(call(&s1).to_vec()).unwrap();
        let escaped = plain
            .replace("\"requestState\"", r#""request\u0053tate""#)
            .replace("\"tools/call\"", r#""tools\/call""#);
        let duplicated = plain.replacen('{', r#"{"method":"ping","#, 1);
        assert!(
            run(spent.redeem(Bytes::from(escaped), KEY.as_bytes()))
                .1
                .is_some()
        );
        for again in [plain, duplicated] {
            let (passed, claim) = run(spent.redeem(Bytes::from(again), KEY.as_bytes()));
            assert!(claim.is_none());
            assert_eq!(passed["params"].get("requestState"), None, "{passed}");
        }
    }

    #[test]
    fn a_state_that_confirmed_nothing_is_given_back() {
        let spent = SpentStates::new(None);
        let s1 = state("1");
        for nothing_done in [
            r#"{"error":{"code":-32602,"message":"requestState rejected"}}"#,
            r#"{"result":{"resultType":"input_required","requestState":"s2"}}"#,
        ] {
            let (_, claim) = run(spent.redeem(call(&s1), KEY.as_bytes()));
            spent.settle(claim.expect("free again"), nothing_done.as_bytes());
        }
        // A crash or a cancellation settles nothing: the state stays spent.
        assert!(run(spent.redeem(call(&s1), KEY.as_bytes())).1.is_some());
        assert!(run(spent.redeem(call(&s1), KEY.as_bytes())).1.is_none());
    }

    #[test]
    fn states_without_our_seal_are_not_remembered() {
        let spent = SpentStates::new(None);
        let mut forged = state("1");
        forged.push('A');
        for state in [forged.as_str(), "made.up", "x"] {
            for _ in 0..2 {
                let (passed, claim) = run(spent.redeem(call(state), KEY.as_bytes()));
                assert!(claim.is_none());
                // Left for the component to refuse, with its own words.
                assert_eq!(passed["params"]["requestState"], state);
            }
        }
        assert!(lock(&spent.redeemed).is_empty());
    }

    #[test]
    fn requests_without_a_state_pass_untouched() {
        let spent = SpentStates::new(None);
        let s1 = state("1");
        let not_a_call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
                "params": { "requestState": s1 } });
        for _ in 0..2 {
            let (passed, claim) =
                run(spent.redeem(Bytes::from(not_a_call.to_string()), KEY.as_bytes()));
            assert_eq!(passed, not_a_call);
            assert!(claim.is_none());
            let garbage = Bytes::from_static(b"{ not json \"requestState\"");
            match spent.redeem(garbage.clone(), KEY.as_bytes()) {
                Redeemed::Run(body, None) => assert_eq!(body, garbage),
                _ => panic!("unparseable input goes on as it is"),
            }
        }
    }

    #[test]
    fn a_full_memory_refuses_new_confirmations_and_forgets_no_spent_one() {
        let spent = SpentStates::new(None);
        let expires = now_secs() + 600;
        for n in 0..MAX_REMEMBERED {
            assert!(matches!(
                spent.first_use(&format!("state {n}"), expires),
                Use::First
            ));
        }
        let Redeemed::Refuse(body) = spent.redeem(call(&state("new")), KEY.as_bytes()) else {
            panic!("a new state must be refused while the memory is full");
        };
        let reply: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(reply["id"], 1);
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Nothing was sent")
        );
        // The oldest is still remembered.
        assert!(matches!(spent.first_use("state 0", expires), Use::Again));
        // Once states expire, there is room again.
        lock(&spent.redeemed).insert("state 0".into(), 0);
        assert!(
            run(spent.redeem(call(&state("new")), KEY.as_bytes()))
                .1
                .is_some()
        );
    }
}
