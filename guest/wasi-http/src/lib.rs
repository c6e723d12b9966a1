//! A component's side of `wasi:http`, over the Bytecode Alliance's own bindings (`wasip2`):
//! the request it is handed and the answer it gives back, and the requests it sends out.
//! Blocking throughout: each instance serves one request, so there is nothing to do while
//! waiting. The guest and the sandbox probe (tests/probe) both use it; each exports its
//! handler itself (`wasip2::http::proxy::export!`).

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, Method as WasiMethod, OutgoingBody,
    OutgoingRequest, OutgoingResponse, ResponseOutparam, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};

/// The most asked of a stream in one read.
const READ_CHUNK: u64 = 64 << 10;

/// The method, path with query and headers of the request handed to the component (names in
/// lower case; values that are not text are left out).
pub struct RequestHead {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// Takes the request apart: its head, and a reader of its body.
pub fn take_request(request: IncomingRequest) -> (RequestHead, BodyReader) {
    let method = match request.method() {
        WasiMethod::Get => "GET".into(),
        WasiMethod::Head => "HEAD".into(),
        WasiMethod::Post => "POST".into(),
        WasiMethod::Put => "PUT".into(),
        WasiMethod::Delete => "DELETE".into(),
        WasiMethod::Connect => "CONNECT".into(),
        WasiMethod::Options => "OPTIONS".into(),
        WasiMethod::Trace => "TRACE".into(),
        WasiMethod::Patch => "PATCH".into(),
        WasiMethod::Other(other) => other,
    };
    let path = request.path_with_query().unwrap_or_else(|| "/".into());
    let headers = text_headers(&request.headers());
    let body = BodyReader::of(request.consume().ok());
    (
        RequestHead {
            method,
            path,
            headers,
        },
        body,
    )
}

/// Sends the answer. A client that went away meanwhile is not our concern: errors past the
/// point of answering are dropped, never a crash.
pub fn respond(out: ResponseOutparam, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let fields = Fields::new();
    for (name, value) in headers {
        // Our own header names and values, all valid.
        let _ = fields.append(name, value.as_bytes());
    }
    let response = OutgoingResponse::new(fields);
    let _ = response.set_status_code(status);
    let Ok(outgoing) = response.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    let _ = write_body(&outgoing, body);
    let _ = OutgoingBody::finish(outgoing, None);
}

/// An API request, ready to go out.
pub struct Outgoing<'a> {
    pub method: &'a str,
    /// Absolute: scheme, authority, path and any query.
    pub url: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<&'a [u8]>,
}

/// Why a request got no answer.
pub enum SendError {
    /// What the runtime (our host's gate, or another) reported.
    Code(ErrorCode),
    /// The request could not even be made: a URL or header the runtime refused. Nothing
    /// was sent.
    Unusable(String),
    /// The request was handed over but its answer could not be taken: the API may have
    /// seen it.
    Broken(String),
}

/// The API's answer: status and headers at once, the body on demand.
pub struct Incoming {
    pub status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: BodyReader,
}

impl Incoming {
    /// A header's value, as text when it is (`None` when absent or not text).
    pub fn header(&self, name: &str) -> Option<String> {
        self.raw_header(name)
            .and_then(|value| String::from_utf8(value.to_vec()).ok())
    }

    /// A header's value as bytes, whatever they are.
    pub fn raw_header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }

    /// The whole body; an error when the stream broke before its end.
    pub fn body(self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        let mut reader = self.body;
        while let Some(chunk) = reader.chunk()? {
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Sends `request` and waits for the head of the answer.
pub fn send(request: &Outgoing) -> Result<Incoming, SendError> {
    let unusable = |what: &str| SendError::Unusable(format!("cannot send the request: {what}"));
    let fields = Fields::new();
    for (name, value) in &request.headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|error| unusable(&format!("the {name} header was refused ({error:?})")))?;
    }
    let (scheme, authority, path_with_query) =
        split_url(request.url).ok_or_else(|| unusable("the URL is not absolute"))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        "GET" => WasiMethod::Get,
        "POST" => WasiMethod::Post,
        "PATCH" => WasiMethod::Patch,
        "DELETE" => WasiMethod::Delete,
        other => WasiMethod::Other(other.to_string()),
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    outgoing
        .set_method(&method)
        .and_then(|()| outgoing.set_scheme(Some(&scheme)))
        .and_then(|()| outgoing.set_authority(Some(authority)))
        .and_then(|()| outgoing.set_path_with_query(Some(&path_with_query)))
        .map_err(|()| unusable("the URL was refused"))?;
    let body = outgoing.body().map_err(|()| unusable("no body to write"))?;
    let future = outgoing_handler::handle(outgoing, None).map_err(SendError::Code)?;
    // The body streams out while the runtime sends: a large upload never sits whole in two
    // places at once. A server may answer (a refusal, say) before it has read the whole
    // body and close it: its answer is then what counts, so it is still awaited.
    let written = match request.body {
        Some(bytes) => write_body(&body, bytes),
        None => Ok(()),
    };
    match written {
        Ok(()) => OutgoingBody::finish(body, None).map_err(SendError::Code)?,
        // Dropped unfinished (and before waiting): the runtime learns the body ended short.
        Err(_) => drop(body),
    }
    let answer = loop {
        match future.get() {
            Some(answer) => break answer,
            None => future.subscribe().block(),
        }
    };
    let response = match answer {
        Ok(Ok(response)) => response,
        // The runtime's own word on what became of the request beats a body cut short,
        // which is only its consequence.
        Ok(Err(code)) => return Err(SendError::Code(code)),
        Err(()) => return Err(SendError::Broken("the answer was already taken".into())),
    };
    Ok(Incoming {
        status: response.status(),
        headers: response.headers().entries(),
        body: BodyReader::of(response.consume().ok()),
    })
}

/// A body being read. The stream is a child of the body and goes first.
pub struct BodyReader {
    stream: Option<InputStream>,
    _body: Option<IncomingBody>,
}

impl BodyReader {
    fn of(body: Option<IncomingBody>) -> Self {
        let stream = body.as_ref().and_then(|body| body.stream().ok());
        Self {
            stream,
            _body: body,
        }
    }

    /// The next piece of the body, `None` at its end.
    pub fn chunk(&mut self) -> Result<Option<Vec<u8>>, String> {
        let Some(stream) = &self.stream else {
            return Ok(None);
        };
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => Ok(Some(chunk)),
            Err(StreamError::Closed) => Ok(None),
            Err(StreamError::LastOperationFailed(error)) => Err(error.to_debug_string()),
        }
    }
}

/// Writes `bytes` as fast as the runtime takes them, then waits for them to be flushed.
fn write_body(body: &OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    let failed = |error: StreamError| format!("the body could not be written: {error:?}");
    let stream = body
        .write()
        .map_err(|()| "the body cannot be written".to_string())?;
    let ready = stream.subscribe();
    let mut rest = bytes;
    while !rest.is_empty() {
        ready.block();
        let room = stream.check_write().map_err(failed)?;
        let (now, later) = rest.split_at(rest.len().min(room as usize));
        stream.write(now).map_err(failed)?;
        rest = later;
    }
    stream.flush().map_err(failed)?;
    ready.block();
    stream.check_write().map_err(failed)?;
    Ok(())
}

fn text_headers(fields: &Fields) -> Vec<(String, String)> {
    fields
        .entries()
        .into_iter()
        .filter_map(|(name, value)| {
            Some((name.to_ascii_lowercase(), String::from_utf8(value).ok()?))
        })
        .collect()
}

/// `scheme://authority/path?query` as its three parts for the request (the path with its
/// query, which starts with `/` even when the URL has no path).
fn split_url(url: &str) -> Option<(&str, &str, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if scheme.is_empty() || authority.is_empty() {
        return None;
    }
    let path = match path.strip_prefix('/') {
        Some(_) => path.to_string(),
        None => format!("/{path}"),
    };
    Some((scheme, authority, path))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        assert_eq!(
            split_url("https://www.facturation.pro/firms/1.json?page=2"),
            Some((
                "https",
                "www.facturation.pro",
                "/firms/1.json?page=2".into()
            ))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080"),
            Some(("http", "127.0.0.1:8080", "/".into()))
        );
        assert_eq!(
            split_url("http://[::1]:80?x=1"),
            Some(("http", "[::1]:80", "/?x=1".into()))
        );
        assert_eq!(split_url("/firms/1.json"), None);
        assert_eq!(split_url("https:///path"), None);
    }
}
