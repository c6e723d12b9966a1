//! Legacy sessions of `serve --http`: a 2025-11-25 (or older) client's `initialize` opens
//! one, named by an unguessable `Mcp-Session-Id`; the client sends that id with every later
//! request, so the host can add what the handshake settled (crate::legacy) and take the
//! answers to the questions it put to that client, and to no other.
//!
//! The store is bounded: at most `max` sessions, each forgotten after `idle` without a
//! request, or at once when the client ends it with DELETE.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::legacy::{Handshake, answer_key};
use crate::locking::lock;

/// The header that names a session, both ways.
pub const SESSION_HEADER: &str = "mcp-session-id";

/// Random bytes in a session id: as hard to guess as the key that seals confirmations.
const ID_BYTES: usize = 32;

/// The largest handshake kept (capabilities and client info): real ones are a few hundred
/// bytes, and this bounds the store's memory at `max` times this.
pub const MAX_HANDSHAKE_BYTES: usize = 64 << 10;

/// Why a session was not opened.
pub enum NotOpened {
    /// As many sessions as allowed are open.
    Full,
    /// The randomness for its id was not to be had.
    NoRandomness,
}

/// One legacy client's session.
pub struct Session {
    pub handshake: Handshake,
    /// The user who opened it, in the remote mode: nobody else may use it.
    pub owner: Option<String>,
    last_used: Mutex<Instant>,
    /// Questions put to this client that await its answer, by `answer_key` of their id.
    /// None once the session has ended: no question is asked any more.
    questions: Mutex<Option<HashMap<String, oneshot::Sender<Value>>>>,
}

impl Session {
    /// Files a question about to be asked; its answer comes through the receiver, which
    /// fails when the session ends. None when it already has.
    pub fn expect_answer(&self, id: &str) -> Option<oneshot::Receiver<Value>> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.questions)
            .as_mut()?
            .insert(answer_key(&Value::from(id)), sender);
        Some(receiver)
    }

    /// Forgets a question that will not be answered (its call stopped waiting).
    pub fn forget(&self, id: &str) {
        if let Some(questions) = lock(&self.questions).as_mut() {
            questions.remove(&answer_key(&Value::from(id)));
        }
    }

    /// Hands a client's JSON-RPC response to the question it answers. False when no
    /// question of this session awaits that id: the response then changes nothing.
    pub fn deliver(&self, response: Value) -> bool {
        let waiting = lock(&self.questions)
            .as_mut()
            .and_then(|questions| questions.remove(&answer_key(&response["id"])));
        match waiting {
            Some(sender) => sender.send(response).is_ok(),
            None => false,
        }
    }

    fn awaits_answers(&self) -> bool {
        lock(&self.questions)
            .as_ref()
            .is_some_and(|questions| !questions.is_empty())
    }

    /// Ends the session: the calls waiting for an answer go on as if the user had
    /// dismissed the question.
    fn close(&self) {
        lock(&self.questions).take();
    }
}

/// The sessions open now.
pub struct Sessions {
    open: Mutex<HashMap<String, Arc<Session>>>,
    max: usize,
    idle: Duration,
    /// Room to take an answer when the in-flight cap is reached: the calls holding the
    /// permits may be the very ones waiting for these answers.
    answers: Arc<Semaphore>,
}

impl Sessions {
    pub fn new(max: usize, idle: Duration, max_in_flight: usize) -> Sessions {
        Sessions {
            open: Mutex::new(HashMap::new()),
            max,
            idle,
            answers: Arc::new(Semaphore::new(max_in_flight)),
        }
    }

    /// Opens a session for `handshake`; returns its id.
    pub fn open(&self, handshake: Handshake, owner: Option<String>) -> Result<String, NotOpened> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| NotOpened::NoRandomness)?;
        let id: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let now = Instant::now();
        let mut open = lock(&self.open);
        if open.len() >= self.max {
            open.retain(|_, session| !self.expired(session, now));
        }
        if open.len() >= self.max {
            return Err(NotOpened::Full);
        }
        let session = Session {
            handshake,
            owner,
            last_used: Mutex::new(now),
            questions: Mutex::new(Some(HashMap::new())),
        };
        open.insert(id.clone(), Arc::new(session));
        Ok(id)
    }

    /// The session `id` names, if it is open, now counted as used; an expired one is
    /// forgotten.
    pub fn find(&self, id: &str) -> Option<Arc<Session>> {
        let now = Instant::now();
        let mut open = lock(&self.open);
        let session = open.get(id)?.clone();
        if self.expired(&session, now) {
            open.remove(id);
            session.close();
            return None;
        }
        *lock(&session.last_used) = now;
        Some(session)
    }

    /// Ends the session `id` names; false when none was open.
    pub fn end(&self, id: &str) -> bool {
        let ended = lock(&self.open).remove(id);
        ended.inspect(|session| session.close()).is_some()
    }

    /// A permit to read the body of a request of session `id` while the in-flight cap is
    /// reached: only for a session with a question waiting, whose answer this may be.
    pub fn answer_permit(&self, id: &str) -> Option<OwnedSemaphorePermit> {
        let waiting = lock(&self.open)
            .get(id)
            .is_some_and(|session| session.awaits_answers());
        waiting
            .then(|| self.answers.clone().try_acquire_owned().ok())
            .flatten()
    }

    fn expired(&self, session: &Session, now: Instant) -> bool {
        now.duration_since(*lock(&session.last_used)) > self.idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn handshake() -> Handshake {
        let request = json!({ "method": "initialize", "params": { "capabilities": {} } });
        Handshake::settled(&request, br#"{"result":{"protocolVersion":"2025-11-25"}}"#).unwrap()
    }

    #[test]
    fn the_cap_holds_until_a_session_ends_or_expires() {
        let sessions = Sessions::new(2, Duration::from_millis(50), 1);
        let first = sessions.open(handshake(), None).ok().unwrap();
        let second = sessions.open(handshake(), None).ok().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 2 * ID_BYTES);
        assert!(matches!(
            sessions.open(handshake(), None),
            Err(NotOpened::Full)
        ));
        assert!(sessions.end(&first));
        assert!(sessions.find(&first).is_none() && !sessions.end(&first));
        let third = sessions.open(handshake(), None).ok().unwrap();
        std::thread::sleep(Duration::from_millis(80));
        assert!(sessions.find(&second).is_none(), "expired");
        // Expired sessions make room.
        assert!(sessions.open(handshake(), None).is_ok());
        assert!(sessions.find(&third).is_none());
    }

    #[test]
    fn answers_reach_only_their_own_question_of_their_own_session() {
        let sessions = Sessions::new(4, Duration::from_secs(60), 1);
        let mine = sessions
            .find(&sessions.open(handshake(), None).ok().unwrap())
            .unwrap();
        let theirs = sessions
            .find(&sessions.open(handshake(), None).ok().unwrap())
            .unwrap();
        let mut waiting = mine.expect_answer("server-7").unwrap();
        let answer = json!({ "jsonrpc": "2.0", "id": "server-7", "result": {} });
        assert!(
            !theirs.deliver(answer.clone()),
            "another session's question"
        );
        assert!(
            !mine.deliver(json!({ "id": 7, "result": {} })),
            "a number is another id"
        );
        assert!(waiting.try_recv().is_err());
        assert!(mine.deliver(answer.clone()));
        assert_eq!(waiting.try_recv().unwrap(), answer);
        assert!(!mine.deliver(answer), "answered once");
    }

    #[test]
    fn ending_a_session_dismisses_its_questions() {
        let sessions = Sessions::new(4, Duration::from_secs(60), 1);
        let id = sessions.open(handshake(), None).ok().unwrap();
        let session = sessions.find(&id).unwrap();
        let waiting = session.expect_answer("server-1").unwrap();
        assert!(sessions.answer_permit(&id).is_some());
        sessions.end(&id);
        assert!(waiting.blocking_recv().is_err());
        assert!(session.expect_answer("server-2").is_none());
        assert!(sessions.answer_permit(&id).is_none());
    }
}
