//! Reads back the `multipart/form-data` bodies the server sends for file uploads. Strict on
//! purpose: the upload tests compare the exact bytes of each part, so a body whose framing
//! is off (no boundary, text before the first delimiter, no closing delimiter, an epilogue,
//! a part without `Content-Disposition: form-data`) fails the test instead of being guessed.

use crate::emulator::RecordedRequest;

/// One part of a `multipart/form-data` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormPart {
    /// The `name` parameter of its `Content-Disposition`.
    pub name: String,
    /// The `filename` parameter, when the part is a file.
    pub filename: Option<String>,
    /// Its own `Content-Type` header, if it has one.
    pub content_type: Option<String>,
    /// Its content, byte for byte.
    pub bytes: Vec<u8>,
}

/// The parts of a recorded `multipart/form-data` request, in order.
pub fn form_parts(request: &RecordedRequest) -> Vec<FormPart> {
    let content_type = request.header("content-type").expect("a Content-Type");
    assert!(
        content_type.starts_with("multipart/form-data;"),
        "not a multipart form: {content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    assert!(!boundary.is_empty(), "an empty boundary: {content_type}");
    let delimiter = format!("\r\n--{boundary}");
    // Every delimiter but the first follows a line break; adding one in front lets the
    // same search find them all.
    let mut body = b"\r\n".to_vec();
    body.extend_from_slice(&request.body);
    let mut rest = body
        .strip_prefix(delimiter.as_bytes())
        .expect("the body opens with the delimiter");
    let mut parts = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(b"--") {
            assert!(
                after.is_empty() || after == b"\r\n",
                "something follows the closing delimiter: {:?}",
                String::from_utf8_lossy(after)
            );
            break;
        }
        let part = rest
            .strip_prefix(b"\r\n")
            .expect("a line break after the delimiter");
        let end = find(part, delimiter.as_bytes()).expect("a delimiter after each part");
        parts.push(parse_part(&part[..end]));
        rest = &part[end + delimiter.len()..];
    }
    assert!(!parts.is_empty(), "no parts in the multipart body");
    parts
}

/// The single `upload_file` part every upload tool sends: its file name and bytes.
pub fn upload_part(request: &RecordedRequest) -> (String, Vec<u8>) {
    let parts = form_parts(request);
    assert_eq!(parts.len(), 1, "exactly one part: {parts:?}");
    let part = parts.into_iter().next().unwrap();
    assert_eq!(part.name, "upload_file", "{part:?}");
    (part.filename.expect("a file name"), part.bytes)
}

/// One part between two delimiters: its headers, a blank line, its content.
fn parse_part(part: &[u8]) -> FormPart {
    let split = find(part, b"\r\n\r\n").expect("the end of the part's headers");
    let headers = std::str::from_utf8(&part[..split]).expect("UTF-8 part headers");
    let header = |wanted: &str| {
        headers.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case(wanted).then(|| value.trim())
        })
    };
    let disposition = header("content-disposition").expect("a Content-Disposition");
    let params = disposition_params(disposition);
    let param = |wanted: &str| {
        params
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.clone())
    };
    FormPart {
        name: param("name").expect("a part name"),
        filename: param("filename"),
        content_type: header("content-type").map(str::to_owned),
        bytes: part[split + 4..].to_vec(),
    }
}

/// The parameters of a `form-data; name="…"; filename="…"` disposition. Values must be
/// quoted, as the server writes them; a `;` inside quotes belongs to the value.
fn disposition_params(disposition: &str) -> Vec<(String, String)> {
    let mut rest = disposition
        .strip_prefix("form-data")
        .unwrap_or_else(|| panic!("not a form-data disposition: {disposition}"));
    let mut params = Vec::new();
    while !rest.trim_start().is_empty() {
        let after = rest
            .trim_start()
            .strip_prefix(';')
            .unwrap_or_else(|| panic!("expected `;` in {disposition}"));
        let (name, value) = after
            .split_once('=')
            .unwrap_or_else(|| panic!("a parameter without a value in {disposition}"));
        let value = value
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("an unquoted parameter value in {disposition}"));
        let (value, after) = value
            .split_once('"')
            .unwrap_or_else(|| panic!("an unterminated quoted value in {disposition}"));
        params.push((name.trim().to_owned(), value.to_owned()));
        rest = after;
    }
    params
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::{FormPart, form_parts, upload_part};
    use crate::emulator::RecordedRequest;

    const CONTENT_TYPE: &str = "multipart/form-data; boundary=b0undary";

    fn request(content_type: &str, body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/firms/1001/invoices/1/upload.json".into(),
            query: Vec::new(),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.to_vec(),
            status: 201,
            received_at: Instant::now(),
            connection: Default::default(),
        }
    }

    /// One file part whose content looks like framing, the way the server writes it.
    fn file_body() -> Vec<u8> {
        let mut body = b"--b0undary\r\nContent-Disposition: form-data; name=\"upload_file\"; \
            filename=\"a;b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            .to_vec();
        body.extend_from_slice(b"%PDF\r\n--b0und\r\n\r\n\xff\x00");
        body.extend_from_slice(b"\r\n--b0undary--\r\n");
        body
    }

    #[test]
    fn reads_every_part_byte_for_byte() {
        let mut body =
            b"--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi".to_vec();
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&file_body());
        assert_eq!(
            form_parts(&request(CONTENT_TYPE, &body)),
            [
                FormPart {
                    name: "note".into(),
                    filename: None,
                    content_type: None,
                    bytes: b"hi".to_vec(),
                },
                FormPart {
                    name: "upload_file".into(),
                    filename: Some("a;b.pdf".into()),
                    content_type: Some("application/pdf".into()),
                    bytes: b"%PDF\r\n--b0und\r\n\r\n\xff\x00".to_vec(),
                },
            ]
        );
        assert_eq!(
            upload_part(&request(CONTENT_TYPE, &file_body())),
            (
                "a;b.pdf".to_string(),
                b"%PDF\r\n--b0und\r\n\r\n\xff\x00".to_vec()
            )
        );
    }

    #[test]
    #[should_panic(expected = "not a multipart form")]
    fn refuses_another_content_type() {
        form_parts(&request("application/octet-stream", &file_body()));
    }

    #[test]
    #[should_panic(expected = "the body opens with the delimiter")]
    fn refuses_a_preamble() {
        let mut body = b"preamble\r\n".to_vec();
        body.extend_from_slice(&file_body());
        form_parts(&request(CONTENT_TYPE, &body));
    }

    #[test]
    #[should_panic(expected = "a delimiter after each part")]
    fn refuses_a_body_without_its_closing_delimiter() {
        let body = file_body();
        form_parts(&request(CONTENT_TYPE, &body[..body.len() - 16]));
    }

    #[test]
    #[should_panic(expected = "something follows the closing delimiter")]
    fn refuses_an_epilogue() {
        let mut body = file_body();
        body.extend_from_slice(b"epilogue");
        form_parts(&request(CONTENT_TYPE, &body));
    }

    #[test]
    #[should_panic(expected = "an unquoted parameter value")]
    fn refuses_unquoted_parameters() {
        let body = String::from_utf8_lossy(&file_body())
            .replace("name=\"upload_file\"", "name=upload_file");
        form_parts(&request(CONTENT_TYPE, body.as_bytes()));
    }
}
