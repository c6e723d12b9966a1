//! Redirect URIs: which ones an application may register, whether a requested one matches a
//! registered one (Doorkeeper's `URIChecker`), and how an answer is added to one.
//!
//! Matching is exact string equality, with one exception from RFC 8252 §7.3 that Doorkeeper
//! implements: when both URIs name a loopback IP address (`127.0.0.0/8`, `[::1]`), the port
//! may differ, so a native app can listen on whatever port is free. Every other component
//! (userinfo included) must still be equal. `localhost` is a name, not an IP address, so
//! it gets no such freedom in Doorkeeper, nor here.

use std::net::{IpAddr, Ipv6Addr};

/// A URI of the form `scheme://authority/path?query#fragment`, split without decoding.
#[derive(Debug, PartialEq, Eq)]
struct Split<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(uri: &str) -> Option<Split<'_>> {
    let (scheme, rest) = uri.split_once("://")?;
    if !valid_scheme_name(scheme) {
        return None;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, host_and_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_and_port)) => (Some(userinfo), host_and_port),
        None => (None, authority),
    };
    let (host, port) = if host_and_port.starts_with('[') {
        let end = host_and_port.find(']')?;
        let after = &host_and_port[end + 1..];
        let port = after.strip_prefix(':');
        if !after.is_empty() && port.is_none() {
            return None;
        }
        (&host_and_port[..=end], port)
    } else {
        match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        }
    };
    if port.is_some_and(|port| !port.bytes().all(|byte| byte.is_ascii_digit())) {
        return None;
    }
    Some(Split {
        scheme,
        userinfo,
        host,
        port,
        path,
        query,
        fragment,
    })
}

fn valid_scheme_name(scheme: &str) -> bool {
    scheme.starts_with(|first: char| first.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn is_http(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

fn is_loopback_ip(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'));
    match bare {
        Some(inner) => inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

/// Whether a requested redirect URI is well formed: a scheme (not `localhost:`, which is a
/// host mistaken for a scheme), a host for http(s), no fragment. Custom schemes of native
/// apps (`com.example.app:/callback`) are valid too, matched only exactly.
pub(crate) fn valid(uri: &str) -> bool {
    if let Some(parts) = split(uri) {
        return parts.fragment.is_none()
            && !parts.scheme.eq_ignore_ascii_case("localhost")
            && !(is_http(parts.scheme) && parts.host.is_empty());
    }
    match uri.split_once(':') {
        Some((scheme, rest)) => {
            valid_scheme_name(scheme)
                && !scheme.eq_ignore_ascii_case("localhost")
                && !is_http(scheme)
                && rest.starts_with('/')
                && !uri.contains('#')
        }
        None => false,
    }
}

/// Whether an application may register `uri`: valid, and https unless it stays on this
/// machine (Doorkeeper's `force_ssl_in_redirect_uri` with the usual exception for native
/// apps' loopback redirects). The error completes "redirect URI ... ".
pub(crate) fn registrable(uri: &str) -> Result<(), &'static str> {
    if !valid(uri) {
        return Err("must be a valid absolute URI without a fragment");
    }
    match split(uri) {
        Some(parts)
            if parts.scheme.eq_ignore_ascii_case("http")
                && !is_loopback_ip(parts.host)
                && !parts.host.eq_ignore_ascii_case("localhost") =>
        {
            Err("must be an HTTPS/SSL URI (plain http only for 127.0.0.1, [::1] or localhost)")
        }
        _ => Ok(()),
    }
}

/// Whether `requested` matches the registered `registered`.
pub(crate) fn matches(requested: &str, registered: &str) -> bool {
    if requested == registered {
        return true;
    }
    let (Some(requested), Some(registered)) = (split(requested), split(registered)) else {
        return false;
    };
    is_loopback_ip(requested.host)
        && is_loopback_ip(registered.host)
        && Split {
            port: None,
            ..requested
        } == Split {
            port: None,
            ..registered
        }
}

/// Whether `requested` is valid and matches one of `registered`.
pub(crate) fn allowed(requested: &str, registered: &[String]) -> bool {
    valid(requested) && registered.iter().any(|uri| matches(requested, uri))
}

/// `uri` with `params` added to its query (replacing parameters of the same name, keeping
/// the others), values form-encoded; empty values are left out, as Doorkeeper does.
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (uri, None),
    };
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !params.iter().any(|(replaced, _)| *replaced == name) {
            serializer.append_pair(&name, &value);
        }
    }
    for (name, value) in params.iter().filter(|(_, value)| !value.is_empty()) {
        serializer.append_pair(name, value);
    }
    let mut out = format!("{path}?{}", serializer.finish());
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{allowed, matches, registrable, valid, with_query};

    #[test]
    fn loopback_ip_redirects_accept_any_port() {
        let registered = "http://127.0.0.1/callback";
        assert!(matches("http://127.0.0.1:49152/callback", registered));
        assert!(matches("http://127.0.0.1/callback", registered));
        assert!(matches(
            "http://127.0.0.1:5555/callback",
            "http://127.0.0.1:8080/callback"
        ));
        assert!(matches("http://[::1]:5555/cb", "http://[::1]/cb"));
        // The whole 127.0.0.0/8 block is loopback, but the hosts must still be equal.
        assert!(!matches("http://127.0.0.2:5555/callback", registered));
    }

    #[test]
    fn only_the_port_may_vary() {
        let registered = "http://127.0.0.1/callback";
        assert!(!matches("http://127.0.0.1:5555/callback2", registered));
        assert!(!matches("http://127.0.0.1:5555/callback?x=1", registered));
        assert!(!matches("https://127.0.0.1:5555/callback", registered));
        assert!(!matches(
            "http://attacker@127.0.0.1:5555/callback",
            registered
        ));
        // An empty path is not `/`.
        assert!(!matches("http://127.0.0.1:5555", "http://127.0.0.1/"));
    }

    #[test]
    fn other_hosts_must_match_exactly() {
        assert!(matches("https://app.example/cb", "https://app.example/cb"));
        assert!(!matches(
            "https://app.example:8443/cb",
            "https://app.example/cb"
        ));
        // `localhost` is a name, not a loopback IP: no port freedom (as in Doorkeeper).
        assert!(!matches("http://localhost:5555/cb", "http://localhost/cb"));
        assert!(matches("http://localhost/cb", "http://localhost/cb"));
        assert!(!matches("http://127.0.0.1:5555/cb", "http://localhost/cb"));
    }

    #[test]
    fn checks_requested_uris() {
        assert!(valid("http://127.0.0.1:5555/callback"));
        assert!(valid("com.example.app:/oauth/callback"));
        assert!(!valid("http://127.0.0.1/callback#top"));
        assert!(!valid("localhost:8080"));
        assert!(!valid("http:///callback"));
        assert!(!valid("/callback"));
        assert!(!valid("http://127.0.0.1:port/callback"));
        let registered = vec!["http://127.0.0.1/callback".to_owned()];
        assert!(allowed("http://127.0.0.1:1234/callback", &registered));
        assert!(!allowed("http://127.0.0.1:1234/callback#x", &registered));
        assert!(!allowed("http://127.0.0.1:1234/callback", &[]));
    }

    #[test]
    fn plain_http_is_registrable_only_on_this_machine() {
        assert!(registrable("http://127.0.0.1/callback").is_ok());
        assert!(registrable("http://[::1]:8080/callback").is_ok());
        assert!(registrable("http://localhost/callback").is_ok());
        assert!(registrable("https://app.example/callback").is_ok());
        assert!(registrable("com.example.app:/callback").is_ok());
        assert!(registrable("http://app.example/callback").is_err());
        assert!(registrable("https://app.example/callback#x").is_err());
    }

    #[test]
    fn adds_parameters_to_the_query() {
        assert_eq!(
            with_query(
                "http://127.0.0.1:5555/cb",
                &[("code", "abc"), ("state", "a b&c")]
            ),
            "http://127.0.0.1:5555/cb?code=abc&state=a+b%26c"
        );
        assert_eq!(
            with_query(
                "https://app.example/cb?tenant=7&code=old",
                &[("code", "new")]
            ),
            "https://app.example/cb?tenant=7&code=new"
        );
        assert_eq!(
            with_query("https://app.example/cb", &[("code", "x"), ("state", "")]),
            "https://app.example/cb?code=x"
        );
    }
}
