//! The log of every request the emulator received, for tests to inspect afterwards.

use std::net::SocketAddr;
use std::time::Instant;

use axum::http::request::Parts;
use serde_json::Value;

use super::connections::Peer;
use super::{auth, oauth, query};

/// One request as the emulator saw it, and the status it answered. The account it was
/// served as is kept beside it: see [`Emulator::requests_with_accounts`](super::Emulator).
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Upper-case method name, e.g. `"GET"`.
    pub method: String,
    /// The path without the query, e.g. `"/firms/1001/customers.json"`.
    pub path: String,
    /// Decoded query pairs, in the order they were sent.
    pub query: Vec<(String, String)>,
    /// Headers in the order they were sent, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status the emulator answered, or 0 while the request is still being handled or
    /// when its connection was cut ([`Fault::CutAfterProcessing`](super::Fault)). For a
    /// [`Fault::Slow`](super::Fault) request, the status is set when the answer is ready,
    /// before the delay.
    pub status: u16,
    /// When the request arrived (before its body was read), to measure the spacing of retries.
    pub received_at: Instant,
    /// The connection it came on, and over which protocol.
    pub connection: RequestConnection,
}

/// Which connection a request came on, so tests can count the connections a client opened
/// and see which requests shared one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestConnection {
    /// 1 for the first connection the emulator accepted, then 2, 3... (0: not recorded).
    pub number: u64,
    /// The client's address and port on that connection.
    pub peer: Option<SocketAddr>,
    /// Whether the connection was TLS.
    pub tls: bool,
    /// `"HTTP/1.1"` or `"HTTP/2.0"`.
    pub http_version: String,
}

impl RecordedRequest {
    /// The first value of a header, whatever the case of `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The first value of a query parameter, empty values included.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `(api_id, api_key)` from a Basic `Authorization` header, if there is one.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        auth::basic_credentials(self.header("authorization")?)
    }

    /// The access token of a `Bearer` `Authorization` header, if there is one.
    pub fn bearer_token(&self) -> Option<&str> {
        oauth::bearer_token(self.header("authorization")?)
    }
}

/// Requests in arrival order. Each gets a ticket when it arrives, so its status can be filled
/// in once answered even if other requests arrived in the meantime.
#[derive(Default)]
pub(crate) struct Recorder {
    next_ticket: u64,
    entries: Vec<Entry>,
}

struct Entry {
    ticket: u64,
    request: RecordedRequest,
    /// The login of the account it was served as. Kept beside the request rather than in
    /// it, so that `RecordedRequest` keeps the fields code outside the emulator builds it with.
    account: Option<String>,
}

impl Recorder {
    pub(crate) fn begin(
        &mut self,
        parts: &Parts,
        peer: Option<&Peer>,
        body: &[u8],
        received_at: Instant,
    ) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let request = RecordedRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: query::decode(parts.uri.query()),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    // Header names are already lower case in `http`.
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: body.to_vec(),
            status: 0,
            received_at,
            connection: RequestConnection {
                number: peer.map_or(0, |peer| peer.number),
                peer: peer.map(|peer| peer.addr),
                tls: peer.is_some_and(|peer| peer.tls),
                http_version: format!("{:?}", parts.version),
            },
        };
        self.entries.push(Entry {
            ticket,
            request,
            account: None,
        });
        ticket
    }

    /// Notes the account the request is served as, once its credentials are checked (before
    /// it is answered, so a request still running shows it).
    pub(crate) fn served_as(&mut self, ticket: u64, login: &str) {
        if let Some(entry) = self.entry(ticket) {
            entry.account = Some(login.to_owned());
        }
    }

    /// Records the answer. Does nothing if the log was cleared while the request ran.
    pub(crate) fn finish(&mut self, ticket: u64, status: u16) {
        if let Some(entry) = self.entry(ticket) {
            entry.request.status = status;
        }
    }

    fn entry(&mut self, ticket: u64) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .rev()
            .find(|entry| entry.ticket == ticket)
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries
            .iter()
            .map(|entry| entry.request.clone())
            .collect()
    }

    pub(crate) fn snapshot_with_accounts(&self) -> Vec<(RecordedRequest, Option<String>)> {
        self.entries
            .iter()
            .map(|entry| (entry.request.clone(), entry.account.clone()))
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
