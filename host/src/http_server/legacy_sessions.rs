//! What a legacy (handshake-era) client's session changes about a request, once the host
//! has read it:
//! - `initialize` opens a session, named in the answer's `Mcp-Session-Id`;
//! - a request naming a session gets what its handshake settled as `_meta`, and one naming
//!   an unknown or ended session gets a 404, as the 2025-11-25 transport prescribes;
//! - DELETE ends the session;
//! - a tool call whose first answer asks the client something becomes a *held call*: the
//!   answer is an SSE stream carrying the questions as requests of ours, the client POSTs
//!   its responses with the same session id, and the call's final answer ends the stream.
//!
//! A request without a session id, or one that names its revision in `_meta` (2026-07-28),
//! goes to the component as it came: each request on its own.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Response, StatusCode};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::event_stream::{Body, EventStream, full, message_event};
use super::limits::busy_message;
use super::request::{INVALID_REQUEST, Room, Shared, busy, refusal};
use super::sessions::{MAX_HANDSHAKE_BYTES, NotOpened, SESSION_HEADER, Session};
use crate::component::{Crash, Runner};
use crate::legacy::{self, Conversation, Handshake};
use crate::remote::bearer::Caller;

/// How long a held call waits for each answer: as long as the component's confirmation
/// states stay valid, after which an answer could confirm nothing anyway.
const QUESTION_PATIENCE: Duration = Duration::from_secs(10 * 60);

/// Answers a request whose body has been read; `room` is its room in flight, which a
/// held call keeps until its final answer.
/// `caller` is the request's user in the remote mode.
pub async fn respond(
    shared: &Shared,
    parts: Parts,
    body: Bytes,
    room: Room,
    caller: Option<Arc<Caller>>,
) -> Response<Body> {
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .filter(Value::is_object);
    let permit = match room {
        Room::InFlight(permit) => permit,
        Room::AnswerOnly(permit) if is_response(message.as_ref()) => permit,
        Room::AnswerOnly(_) => return busy(&busy_message(shared.limits.max_in_flight)),
    };
    let session_id = parts
        .headers
        .get(SESSION_HEADER)
        .map(|id| id.to_str().unwrap_or_default().to_string());
    let legacy_message = message.filter(|message| !legacy::is_modern(message));
    if let Some(message) = legacy_message.as_ref().filter(|m| legacy::is_handshake(m))
        && parts.method == Method::POST
    {
        return initialize(shared, parts, body, message, caller).await;
    }
    let Some(session_id) = session_id else {
        return run(&shared.runner, parts, body, caller).await;
    };
    // A 2026-07-28 request has no session to belong to.
    if legacy_message.is_none() && parts.method == Method::POST {
        return run(&shared.runner, parts, body, caller).await;
    }
    // In the remote mode a session is its opener's: to anyone else it does not exist.
    let owner = caller.as_ref().map(|caller| caller.user.id.clone());
    if shared
        .sessions
        .find(&session_id)
        .is_some_and(|session| session.owner != owner)
    {
        return unknown_session();
    }
    if parts.method == Method::DELETE {
        return match shared.sessions.end(&session_id) {
            true => empty(StatusCode::NO_CONTENT),
            false => unknown_session(),
        };
    }
    let Some(session) = shared.sessions.find(&session_id) else {
        return unknown_session();
    };
    let Some(mut message) = legacy_message else {
        return run(&shared.runner, parts, body, caller).await;
    };
    if is_response(Some(&message)) {
        // The client's response to a question of ours: for this session's waiting call
        // only, so that no one else's answer can confirm it.
        return match session.deliver(message) {
            true => empty(StatusCode::ACCEPTED),
            false => refusal(
                400,
                INVALID_REQUEST,
                "no question of this session awaits an answer with that id",
            ),
        };
    }
    session.handshake.add_meta(&mut message);
    let body = Bytes::from(message.to_string());
    let first = shared
        .runner
        .handle_as(http::Request::from_parts(parts, body), caller.clone())
        .await;
    match first {
        Ok(first)
            if message["method"] == "tools/call"
                && session.handshake.answers_questions()
                && legacy::asks(first.body()) =>
        {
            hold(
                shared.runner.clone(),
                session,
                message,
                first,
                permit,
                caller,
            )
        }
        first => component_answer(first),
    }
}

/// A legacy `initialize`: answered by the component, then remembered under a new session.
async fn initialize(
    shared: &Shared,
    parts: Parts,
    body: Bytes,
    message: &Value,
    caller: Option<Arc<Caller>>,
) -> Response<Body> {
    let params = &message["params"];
    let remembered =
        params["capabilities"].to_string().len() + params["clientInfo"].to_string().len();
    if remembered > MAX_HANDSHAKE_BYTES {
        return refusal(
            400,
            INVALID_REQUEST,
            &format!(
                "the capabilities and clientInfo of initialize take more than {MAX_HANDSHAKE_BYTES} \
                 bytes; a session cannot keep them"
            ),
        );
    }
    let owner = caller.as_ref().map(|caller| caller.user.id.clone());
    let answer = shared
        .runner
        .handle_as(http::Request::from_parts(parts, body), caller)
        .await;
    let handshake = match &answer {
        Ok(response) => Handshake::settled(message, response.body()),
        Err(_) => None,
    };
    let mut response = component_answer(answer);
    let Some(handshake) = handshake else {
        return response;
    };
    match shared.sessions.open(handshake, owner) {
        Ok(id) => {
            let id = HeaderValue::from_str(&id).expect("hexadecimal digits");
            response.headers_mut().insert(SESSION_HEADER, id);
            response
        }
        Err(NotOpened::Full) => busy(&format!(
            "the server is busy: {} sessions are open (FACTURATION_HTTP_MAX_SESSIONS); end one \
             with DELETE, or try again once an idle one has expired",
            shared.limits.max_sessions
        )),
        Err(NotOpened::NoRandomness) => refusal(
            500,
            INVALID_REQUEST,
            "no randomness for a session id; try again",
        ),
    }
}

/// One request through a fresh instance, as it came.
async fn run(
    runner: &Runner,
    parts: Parts,
    body: Bytes,
    caller: Option<Arc<Caller>>,
) -> Response<Body> {
    component_answer(
        runner
            .handle_as(http::Request::from_parts(parts, body), caller)
            .await,
    )
}

fn component_answer(answer: Result<Response<Bytes>, Crash>) -> Response<Body> {
    match answer {
        Ok(response) => response.map(full),
        Err(crash) => {
            eprintln!("facturation-pro-mcp: {}", crash.0);
            refusal(500, INVALID_REQUEST, &crash.0)
        }
    }
}

/// Whether `message` is a JSON-RPC response (to a question of ours), not a request or a
/// notification.
fn is_response(message: Option<&Value>) -> bool {
    message.is_some_and(|message| message.get("method").is_none())
}

fn unknown_session() -> Response<Body> {
    refusal(
        404,
        INVALID_REQUEST,
        "no such session (it ended, or expired after being idle): send initialize again",
    )
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// Turns the call into a held call: the answer becomes an SSE stream, fed by a task that
/// asks, runs the call again with the answers, and ends with its final answer. The task
/// stops (dropping the instance it waits on) when the client goes away.
fn hold(
    runner: Runner,
    session: Arc<Session>,
    message: Value,
    first: Response<Bytes>,
    permit: OwnedSemaphorePermit,
    caller: Option<Arc<Caller>>,
) -> Response<Body> {
    let (events, stream) = EventStream::new();
    let call = HeldCall {
        runner,
        caller,
        session,
        events,
        id: message["id"].clone(),
    };
    tokio::spawn(async move {
        let follow = async {
            let handshake = &call.session.handshake;
            let last = legacy::follow_questions(&call, handshake, message, Ok(first)).await;
            if let Some(event) = final_event(&call.id, last) {
                let _ = call.events.send(event).await;
            }
        };
        tokio::select! {
            () = follow => {}
            () = call.events.closed() => {}
        }
        drop(permit);
    });
    let mut response = Response::new(Body::Right(stream));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    response
}

/// The call's last answer as the stream's last event(s).
fn final_event(id: &Value, last: Result<Response<Bytes>, Crash>) -> Option<Bytes> {
    match last {
        Ok(response) if response.body().is_empty() => None,
        // Already events (a tool that reports progress): passed on as they are.
        Ok(response) if is_event_stream(&response) => Some(response.into_body()),
        Ok(response) => Some(message_event(response.body())),
        Err(crash) => {
            eprintln!("facturation-pro-mcp: {}", crash.0);
            Some(message_event(&legacy::internal_error(id, &crash.0)))
        }
    }
}

fn is_event_stream(response: &Response<Bytes>) -> bool {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|kind| kind.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/event-stream"))
}

/// A legacy tool call held open while its session's client answers.
struct HeldCall {
    runner: Runner,
    caller: Option<Arc<Caller>>,
    session: Arc<Session>,
    /// The call's SSE stream.
    events: mpsc::Sender<Bytes>,
    id: Value,
}

impl Conversation for HeldCall {
    type Reply = Result<Response<Bytes>, Crash>;

    async fn run(&self, body: Bytes) -> Self::Reply {
        self.runner
            .handle_message_as(&[], body, self.caller.clone())
            .await
    }

    fn text(reply: &Self::Reply) -> Option<&[u8]> {
        reply.as_ref().ok().map(|response| response.body().as_ref())
    }

    /// The question goes out on the call's stream; the answer comes in another POST of the
    /// same session (see [`respond`]), within [`QUESTION_PATIENCE`].
    async fn ask(&self, id: &str, request: Value) -> Option<Value> {
        let answer = self.session.expect_answer(id)?;
        let answered = async {
            let event = message_event(request.to_string().as_bytes());
            self.events.send(event).await.ok()?;
            tokio::time::timeout(QUESTION_PATIENCE, answer)
                .await
                .ok()?
                .ok()
        }
        .await;
        self.session.forget(id);
        answered
    }

    fn failure(&self, message: &str) -> Self::Reply {
        let mut response = Response::new(legacy::internal_error(&self.id, message));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }
}
