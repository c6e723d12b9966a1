//! What a failed exchange tells the guest. Two things matter: whether the API may have
//! acted (a failure before the request left is "not sent", which the guest may report
//! plainly; after, a write is never sent again), and, for the failures a user can fix (a
//! proxy, a company CA), which setting to change.

use std::error::Error as StdError;

use wasmtime_wasi_http::Error as HttpError;

use super::connector::ProxyError;

/// An error for a request the host did not send; the guest reports its reason as is and
/// does not retry (see the guest's api client, NOT_SENT).
pub fn not_sent(reason: &str) -> HttpError {
    HttpError::InternalError(Some(format!("not sent: {reason}")))
}

/// Classifies a failure of the pooled client.
pub fn classify(error: &hyper_util::client::legacy::Error, origin: &str) -> HttpError {
    if error.is_connect() {
        before_sending(error, origin)
    } else {
        after_sending(error)
    }
}

/// No connection could be made, so nothing reached the API.
fn before_sending(error: &(dyn StdError + 'static), origin: &str) -> HttpError {
    for cause in causes(error) {
        if let Some(proxy) = cause.downcast_ref::<ProxyError>() {
            return not_sent(&proxy.to_string());
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return not_sent(&match tls {
                rustls::Error::InvalidCertificate(problem) => format!(
                    "the certificate of {origin} is not trusted ({problem:?}); if your network \
                     inspects HTTPS, set FACTURATION_CA_FILE to your company's CA certificate \
                     (PEM)"
                ),
                other => format!("the TLS handshake with {origin} failed: {other}"),
            });
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return HttpError::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return HttpError::ConnectionTimeout,
                _ => {}
            }
        }
        if cause.to_string().starts_with("dns error") {
            return HttpError::DnsError {
                rcode: None,
                info_code: None,
            };
        }
    }
    not_sent(&format!(
        "could not connect to {origin}: {}",
        describe(error)
    ))
}

/// The request may have reached the API: which way the exchange broke.
pub fn after_sending(error: &(dyn StdError + 'static)) -> HttpError {
    let Some(hyper) = causes(error).find_map(|cause| cause.downcast_ref::<hyper::Error>()) else {
        return HttpError::HttpProtocolError;
    };
    if hyper.is_timeout() {
        HttpError::HttpResponseTimeout
    } else if hyper.is_incomplete_message() {
        HttpError::HttpResponseIncomplete
    } else if hyper.is_canceled() || hyper.is_closed() {
        HttpError::ConnectionTerminated
    } else {
        HttpError::HttpProtocolError
    }
}

/// The error and each of its causes. `io::Error` wrapping another error reports that
/// error's own cause as its source, skipping the error itself; it is put back here, since
/// TLS failures arrive that way.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut pending = vec![error];
    std::iter::from_fn(move || {
        let cause = pending.pop()?;
        if let Some(source) = cause.source() {
            pending.push(source);
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
        Some(cause)
    })
}

fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut words: Vec<String> = Vec::new();
    for cause in causes(error) {
        let text = cause.to_string();
        if !words.iter().any(|seen| seen.contains(&text)) {
            words.push(text);
        }
    }
    words.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_failure_inside_an_io_error_is_found() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::other(tls);
        let error = before_sending(&io, "https://api.example");
        let text = error.to_string();
        assert!(text.contains("FACTURATION_CA_FILE"), "{text}");
        assert!(text.contains("not sent"), "{text}");
    }

    #[test]
    fn a_proxy_failure_names_its_setting() {
        let io = std::io::Error::other(ProxyError::Refused {
            setting: "HTTPS_PROXY",
            status: 407,
        });
        let text = before_sending(&io, "https://api.example").to_string();
        assert!(
            text.contains("HTTPS_PROXY") && text.contains("407"),
            "{text}"
        );
    }
}
