//! Where a redirect leads, and whether we may go there. A `Location` is resolved against
//! the URL just requested as RFC 3986 section 5 says (absolute, `//host`, `/path`,
//! `relative/path` with dot segments removed, `?query`), then its scheme, host and
//! effective port must be those of the configured base URL. Anything else is refused before
//! a byte is sent: without our host in front (`wasmtime serve`, a container runtime), the
//! component itself adds the API credentials, so following a redirect elsewhere would hand
//! them to whoever the Location names.
//!
//! The next request is then built from the configured origin and the resolved path, never
//! from the Location's own spelling of the host, so that no parser disagreement (between
//! this code and the HTTP stack below) can send it anywhere else.
//!
//! Hand-written rather than the `url` crate: the component only needs reference resolution
//! and an origin check, and `url` (with its IDNA tables) would grow the .wasm for that.

use std::fmt;

/// A longer Location is refused unread: no shortcut of the API needs one, and an
/// error quoting it must stay readable.
const MAX_LOCATION_BYTES: usize = 2048;
/// How much of a refused Location an error message quotes.
const QUOTED_CHARS: usize = 120;

/// Why a redirect was not followed; the text names where it pointed.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The Location cannot be read as a URI reference at all.
    Malformed {
        location: String,
        reason: &'static str,
    },
    /// It resolves to somewhere other than the base URL's scheme, host and port.
    Elsewhere { target: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed { location, reason } => {
                write!(f, "a Location that {reason} ({location})")
            }
            Refusal::Elsewhere { target } => f.write_str(target),
        }
    }
}

/// The URL to request next when the API answers the request for `current` with a
/// redirect to `location`, provided it stays on `base_url`'s origin.
pub fn follow(base_url: &str, current: &str, location: &str) -> Result<String, Refusal> {
    let malformed = |reason| Refusal::Malformed {
        location: quote(location),
        reason,
    };
    if location.len() > MAX_LOCATION_BYTES {
        return Err(malformed("is too long"));
    }
    if let Some(reason) = invalid_characters(location) {
        return Err(malformed(reason));
    }
    let base = Reference::split(base_url);
    // The configuration only admits http(s) URLs, which parse; were one not to, nothing
    // could match it.
    let (Some(base_scheme), Some(base_authority)) = (base.scheme, base.authority) else {
        return Err(malformed("cannot be checked against the base URL"));
    };
    let Some(origin) = Origin::of(base_scheme, base_authority) else {
        return Err(malformed("cannot be checked against the base URL"));
    };
    let target = resolve(&Reference::split(current), &Reference::split(location));
    let Some(scheme) = target.scheme.as_deref() else {
        return Err(malformed("is not a URL"));
    };
    let Some(authority) = target.authority else {
        return Err(Refusal::Elsewhere {
            target: format!("{scheme}: without a host ({})", quote(location)),
        });
    };
    let elsewhere = || Refusal::Elsewhere {
        target: format!("{scheme}://{}", host_named_by(authority)),
    };
    if authority.contains('@') {
        // Credentials in a redirect are never ours to send, whatever the host.
        return Err(elsewhere());
    }
    match Origin::of(scheme, authority) {
        Some(found) if found == origin => {}
        _ => return Err(elsewhere()),
    }
    let path = if target.path.is_empty() {
        "/"
    } else {
        &target.path
    };
    let query = target
        .query
        .map_or_else(String::new, |query| format!("?{query}"));
    Ok(format!("{base_scheme}://{base_authority}{path}{query}"))
}

/// The query of a URL built by [`follow`], if it has one.
pub fn query_of(url: &str) -> &str {
    url.split_once('?').map_or("", |(_, query)| query)
}

/// Why `text` is not a URI reference by RFC 3986's grammar, if it is not: only unreserved,
/// reserved and well-formed `%XX` are allowed. This refuses the spellings other parsers
/// disagree on: backslashes, spaces, tabs and line breaks, other controls, non-ASCII.
fn invalid_characters(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        let allowed = byte.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&byte)
            || byte == b'%'
                && bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit);
        if !allowed {
            return Some(match byte {
                b'\\' => "holds a backslash",
                b'%' => "holds a broken %-escape",
                b' ' | b'\t' | b'\r' | b'\n' => "holds white space",
                _ => "holds characters a URL cannot carry",
            });
        }
    }
    None
}

/// A URI reference's parts (RFC 3986 appendix B); the fragment is dropped, as it never
/// goes out in a request.
#[derive(Debug, PartialEq)]
struct Reference<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

impl<'a> Reference<'a> {
    fn split(text: &'a str) -> Self {
        let text = text.split_once('#').map_or(text, |(before, _)| before);
        let (text, query) = match text.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (text, None),
        };
        // A scheme is whatever comes before the first `:`, if no `/` comes first, and is
        // then checked against the grammar (a first segment like `a:b` makes no scheme).
        let (scheme, rest) = match text.split_once(':') {
            Some((scheme, rest)) if !scheme.contains('/') && is_scheme(scheme) => {
                (Some(scheme), rest)
            }
            _ => (None, text),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => {
                let end = after.find('/').unwrap_or(after.len());
                (Some(&after[..end]), &after[end..])
            }
            None => (None, rest),
        };
        Self {
            scheme,
            authority,
            path,
            query,
        }
    }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// A resolved target: owned, since paths are rebuilt.
struct Target<'a> {
    scheme: Option<String>,
    authority: Option<&'a str>,
    path: String,
    query: Option<&'a str>,
}

/// RFC 3986 section 5.2.2, the strict form (a Location such as `https:host` keeps its
/// scheme and so has no host, rather than being read as a relative path).
fn resolve<'a>(base: &Reference<'a>, reference: &Reference<'a>) -> Target<'a> {
    let scheme = reference.scheme.or(base.scheme).map(str::to_string);
    if reference.scheme.is_some() || reference.authority.is_some() {
        return Target {
            scheme,
            authority: reference.authority,
            path: remove_dot_segments(&decode_unreserved(reference.path)),
            query: reference.query,
        };
    }
    let (path, query) = if reference.path.is_empty() {
        (base.path.to_string(), reference.query.or(base.query))
    } else if reference.path.starts_with('/') {
        (
            remove_dot_segments(&decode_unreserved(reference.path)),
            reference.query,
        )
    } else {
        (
            remove_dot_segments(&merge(base, &decode_unreserved(reference.path))),
            reference.query,
        )
    };
    Target {
        scheme,
        authority: base.authority,
        path,
        query,
    }
}

/// Section 5.2.3: a relative path replaces the last segment of the base's path.
fn merge(base: &Reference, relative: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{relative}");
    }
    match base.path.rfind('/') {
        Some(end) => format!("{}{relative}", &base.path[..=end]),
        None => relative.to_string(),
    }
}

/// Section 5.2.4: `.` and `..` segments removed, never climbing above the root.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    let drop_last_segment = |output: &mut String| output.truncate(output.rfind('/').unwrap_or(0));
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            input = &input[3..];
            drop_last_segment(&mut output);
        } else if input == "/.." {
            input = "/";
            drop_last_segment(&mut output);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..]
                .find('/')
                .map_or(input.len(), |at| at + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

/// Section 6.2.2.2: `%2E`, `%41` and other escaped unreserved characters are the characters
/// themselves, so `%2e%2e` is a `..` segment and is removed like one.
fn decode_unreserved(path: &str) -> String {
    let mut decoded = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('%') {
        decoded.push_str(&rest[..at]);
        let escape = &rest[at..];
        let byte = escape
            .get(1..3)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .filter(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(byte));
        match byte {
            Some(byte) => {
                decoded.push(char::from(byte));
                rest = &escape[3..];
            }
            None => {
                decoded.push('%');
                rest = &escape[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

/// Scheme, host and effective port, compared without regard to case.
#[derive(Debug, PartialEq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// `None` when the authority holds user information or an unreadable host or port.
    fn of(scheme: &str, authority: &str) -> Option<Self> {
        if authority.contains('@') {
            return None;
        }
        let (host, port) = if authority.starts_with('[') {
            // An IPv6 literal: the port, if any, follows the closing bracket.
            let end = authority.find(']')?;
            let rest = &authority[end + 1..];
            let port = match rest {
                "" => None,
                _ => Some(rest.strip_prefix(':')?),
            };
            (&authority[..=end], port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        // An escaped host is refused rather than decoded: the API's host is plain ASCII.
        if host.is_empty() || host.contains('%') {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let port = match port {
            None | Some("") => default_port,
            Some(digits) if digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse().ok()?
            }
            Some(_) => return None,
        };
        Some(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

/// The host (and port) an authority names, for an error message: what follows any `@`.
fn host_named_by(authority: &str) -> &str {
    authority.rsplit('@').next().unwrap_or(authority)
}

/// A Location as an error message quotes it: shortened, with anything unprintable escaped.
fn quote(location: &str) -> String {
    let mut shown: String = location.chars().take(QUOTED_CHARS).collect();
    if shown.len() < location.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://api.example.com";
    const CURRENT: &str = "https://api.example.com/firms/1/customers/2/quotes.json?page=2";

    fn followed(location: &str) -> String {
        follow(BASE, CURRENT, location)
            .unwrap_or_else(|refusal| panic!("{location:?} was refused: {refusal}"))
    }

    fn refused(location: &str) -> Refusal {
        match follow(BASE, CURRENT, location) {
            Ok(url) => panic!("{location:?} was followed to {url}"),
            Err(refusal) => refusal,
        }
    }

    /// The examples of RFC 3986 section 5.4, normal and abnormal, against its own base.
    #[test]
    fn resolves_the_rfc_3986_examples() {
        let base = Reference::split("http://a/b/c/d;p?q");
        let resolved = |reference: &str| {
            let target = resolve(&base, &Reference::split(reference));
            let mut text = format!("{}:", target.scheme.unwrap());
            if let Some(authority) = target.authority {
                text.push_str(&format!("//{authority}"));
            }
            text.push_str(&target.path);
            if let Some(query) = target.query {
                text.push_str(&format!("?{query}"));
            }
            text
        };
        for (reference, expected) in [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("http:g", "http:g"),
        ] {
            assert_eq!(resolved(reference), expected, "{reference}");
        }
    }

    #[test]
    fn same_origin_redirects_are_followed_on_the_configured_origin() {
        for (location, expected) in [
            (
                "/firms/1/quotes.json?customer_id=2",
                "/firms/1/quotes.json?customer_id=2",
            ),
            (
                "../../quotes.json?customer_id=2",
                "/firms/1/quotes.json?customer_id=2",
            ),
            ("quotes-2.json", "/firms/1/customers/2/quotes-2.json"),
            ("?page=3", "/firms/1/customers/2/quotes.json?page=3"),
            ("https://api.example.com/x", "/x"),
            // Case and default-port spellings of the same origin.
            ("HTTPS://API.Example.COM:443/x", "/x"),
            ("https://api.example.com:/x", "/x"),
            ("//api.example.com/x#fragment", "/x"),
            // Escaped dots are dots, and `..` never climbs above the root.
            ("/%2e%2e/%2E%2E/etc/x", "/etc/x"),
            ("/a/%2e%2e%2fb", "/a/..%2fb"),
            ("https://api.example.com", "/"),
        ] {
            assert_eq!(
                followed(location),
                format!("{BASE}{expected}"),
                "{location}"
            );
        }
    }

    #[test]
    fn other_origins_are_refused_naming_the_host() {
        for (location, host) in [
            ("https://evil.example/x", "https://evil.example"),
            ("//evil.example/x", "https://evil.example"),
            ("//EVIL.example", "https://EVIL.example"),
            ("http://api.example.com/x", "http://api.example.com"),
            (
                "https://api.example.com:8443/x",
                "https://api.example.com:8443",
            ),
            (
                "https://api.example.com:443:80/x",
                "https://api.example.com:443:80",
            ),
            (
                "https://api.example.com@evil.example/x",
                "https://evil.example",
            ),
            (
                "https://user:pw@api.example.com/x",
                "https://api.example.com",
            ),
            (
                "https://evil.example#@api.example.com",
                "https://evil.example",
            ),
            (
                "https://evil.example?@api.example.com/",
                "https://evil.example",
            ),
            (
                "https://api.example.com.evil.example/",
                "https://api.example.com.evil.example",
            ),
            ("https://api.example.com./x", "https://api.example.com."),
            ("https://api%2eexample.com/x", "https://api%2eexample.com"),
            ("https://[::1]/x", "https://[::1]"),
            ("https://[::1]:443/x", "https://[::1]:443"),
            ("ftp://api.example.com/x", "ftp://api.example.com"),
            ("https:evil.example", "https: without a host"),
            ("https:/evil.example", "https: without a host"),
            ("file:///etc/passwd", "file://"),
        ] {
            match refused(location) {
                Refusal::Elsewhere { target } => {
                    assert!(target.starts_with(host), "{location}: {target}")
                }
                other => panic!("{location}: {other:?}"),
            }
        }
    }

    #[test]
    fn spellings_other_parsers_read_differently_are_refused() {
        for (location, reason) in [
            ("/\\evil.example/x", "backslash"),
            ("\\\\evil.example", "backslash"),
            ("https:\\\\evil.example", "backslash"),
            ("/x\t//evil.example", "white space"),
            ("/x\n//evil.example", "white space"),
            (" //evil.example", "white space"),
            ("/caf\u{e9}", "cannot carry"),
            ("/x\u{0}", "cannot carry"),
            ("/x%zz", "broken %-escape"),
            ("/x%4", "broken %-escape"),
        ] {
            match refused(location) {
                Refusal::Malformed { reason: given, .. } => {
                    assert!(given.contains(reason), "{location:?}: {given}")
                }
                other => panic!("{location:?}: {other:?}"),
            }
        }
        let long = format!("/{}", "a".repeat(MAX_LOCATION_BYTES));
        let refusal = refused(&long);
        assert!(refusal.to_string().contains("too long"), "{refusal}");
        assert!(refusal.to_string().len() < 300, "quoted whole: {refusal}");
    }

    #[test]
    fn a_base_url_with_a_port_or_an_ipv6_host_is_matched_exactly() {
        let base = "http://127.0.0.1:8080";
        let current = "http://127.0.0.1:8080/account.json";
        assert_eq!(
            follow(base, current, "http://127.0.0.1:8080/a").unwrap(),
            "http://127.0.0.1:8080/a"
        );
        assert!(follow(base, current, "http://127.0.0.1/a").is_err());
        assert!(follow(base, current, "http://127.0.0.1:08080/a").is_ok());
        let base = "http://[::1]:8080";
        let current = "http://[::1]:8080/account.json";
        assert_eq!(
            follow(base, current, "//[::1]:8080/a?b=c").unwrap(),
            "http://[::1]:8080/a?b=c"
        );
        assert!(follow(base, current, "//[::2]:8080/a").is_err());
        assert!(follow(base, current, "//[::1]8080/a").is_err());
    }

    #[test]
    fn the_query_of_a_followed_url_is_found() {
        assert_eq!(query_of("https://a/b?c=d&e=f"), "c=d&e=f");
        assert_eq!(query_of("https://a/b"), "");
    }
}
