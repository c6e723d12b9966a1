//! For the harness's own tests: one HTTP/1.1 exchange with the emulator over any byte
//! stream (a socket, a TLS session, a proxy's tunnel), keeping the connection open so that
//! the next exchange can reuse it.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::TEST_USER_AGENT;

/// Sends `GET {path}` with the emulator's default credentials; returns the status and body.
pub(crate) fn get(stream: &mut (impl Read + Write), path: &str) -> (u16, String) {
    let credentials = STANDARD.encode("demo-api-id:demo-api-key");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {credentials}\r\n\
         User-Agent: {TEST_USER_AGENT}\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    stream.flush().expect("send the request");
    read_response(stream)
}

/// Reads one response whose length is given by `Content-Length` (the emulator's are).
pub(crate) fn read_response(stream: &mut impl Read) -> (u16, String) {
    let head = read_head(stream);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, value)| value.trim().parse().expect("a length"));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read the body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The response head up to its blank line, read a byte at a time so that nothing after it
/// is consumed.
pub(crate) fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        stream
            .read_exact(&mut byte)
            .expect("read the response head");
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}
