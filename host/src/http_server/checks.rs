//! What the host checks before a request may reach the component: that it is well-formed
//! HTTP the component can be given, and that it carries the bearer token.

use http::request::Parts;

/// Longer request targets are refused: the endpoint's is `/mcp`, and an absurd one is only
/// an attempt to make something downstream choke.
const MAX_URI_BYTES: usize = 4096;

/// Why a request was refused before it reached the component: the status and the message.
pub type Refusal = (u16, String);

/// The request can be handed to the component as it is: one Host (the component's request
/// needs an authority, and HTTP/1.1 requires the header anyway), a path, and header values
/// in printable ASCII, which is all the component reads (it would silently drop others).
pub fn well_formed(parts: &Parts) -> Result<(), Refusal> {
    let uri = &parts.uri;
    if uri.to_string().len() > MAX_URI_BYTES {
        return Err((
            414,
            format!("the request target is longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    if !uri.path().starts_with('/') || uri.path_and_query().is_none() {
        return Err((
            400,
            "the request target must be a path, such as /mcp".into(),
        ));
    }
    let hosts = parts.headers.get_all(http::header::HOST).iter().count();
    if uri.authority().is_none() && hosts == 0 {
        return Err((400, "the request has no Host header".into()));
    }
    if hosts > 1 {
        return Err((400, "the request has more than one Host header".into()));
    }
    for (name, value) in &parts.headers {
        let printable = value
            .as_bytes()
            .iter()
            .all(|byte| *byte == b'\t' || (0x20..0x7f).contains(byte));
        if !printable {
            return Err((
                400,
                format!("the {name} header holds bytes that are not printable ASCII"),
            ));
        }
    }
    Ok(())
}

/// Compares in constant time, so response timing does not reveal how much of a guess was
/// right.
pub fn bearer_matches(header: Option<&http::HeaderValue>, token: &str) -> bool {
    let Some(given) = header
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, given)| given.trim())
    else {
        return false;
    };
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(request: http::request::Builder) -> Parts {
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn requests_the_component_cannot_take_are_refused() {
        let fine = parts(http::Request::post("/mcp").header("host", "localhost:8750"));
        assert!(well_formed(&fine).is_ok());
        let absolute = parts(http::Request::post("http://localhost:8750/mcp"));
        assert!(well_formed(&absolute).is_ok());
        let no_host = parts(http::Request::post("/mcp"));
        assert_eq!(well_formed(&no_host).unwrap_err().0, 400);
        let two_hosts = parts(
            http::Request::post("/mcp")
                .header("host", "a")
                .header("host", "b"),
        );
        assert_eq!(well_formed(&two_hosts).unwrap_err().0, 400);
        let long = format!("/mcp?{}", "a".repeat(MAX_URI_BYTES));
        let long = parts(http::Request::post(long.as_str()).header("host", "a"));
        assert_eq!(well_formed(&long).unwrap_err().0, 414);
        let bytes = parts(http::Request::post("/mcp").header("host", "a").header(
            "origin",
            http::HeaderValue::from_bytes(b"http://\xe9").unwrap(),
        ));
        assert!(well_formed(&bytes).unwrap_err().1.contains("origin"));
    }
}
