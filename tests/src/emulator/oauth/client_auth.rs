//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3), as
//! Doorkeeper does it: HTTP Basic (`client_secret_basic`), `client_id` + `client_secret` in
//! the form (`client_secret_post`), or `client_id` alone for a public client (`none`).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use super::super::auth::basic_credentials;
use super::super::query::QueryParams;
use super::config::OAuthApplication;
use super::error::OAuthError;

/// Who the client says it is.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    pub(crate) client_id: String,
    pub(crate) secret: Option<String>,
}

/// The credentials a request presents, if any. Using two methods at once is refused
/// (`invalid_request`); a Basic header naming another client than the form's `client_id`
/// presents no usable credentials, which the caller turns into `invalid_client`.
pub(crate) fn presented(
    headers: &HeaderMap,
    form: &QueryParams,
) -> Result<Option<Credentials>, OAuthError> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");

    let basic_attempt = header.is_some_and(|value| has_scheme(value, "basic"));
    if basic_attempt && form_secret.is_some() {
        return Err(OAuthError::multiple_client_auth_methods());
    }
    if let Some(header) = header.filter(|_| basic_attempt) {
        return Ok(basic_credentials(header)
            .filter(|(id, _)| !id.trim().is_empty())
            .filter(|(id, _)| form_id.is_none_or(|form_id| form_id == id))
            .map(|(client_id, secret)| Credentials {
                client_id,
                secret: Some(secret).filter(|secret| !secret.is_empty()),
            }));
    }
    // A bearer token authorizes the endpoint, not the client, so it does not stop a public
    // client from naming itself; any other scheme is an authentication attempt of its own.
    let foreign_header = header.is_some_and(|value| !has_scheme(value, "bearer"));
    match (form_id, form_secret) {
        (Some(client_id), Some(secret)) => Ok(Some(Credentials {
            client_id: client_id.to_owned(),
            secret: Some(secret.to_owned()),
        })),
        (Some(client_id), None) if !foreign_header => Ok(Some(Credentials {
            client_id: client_id.to_owned(),
            secret: None,
        })),
        _ => Ok(None),
    }
}

fn has_scheme(header: &str, scheme: &str) -> bool {
    header
        .split_once(' ')
        .is_some_and(|(name, rest)| name.eq_ignore_ascii_case(scheme) && !rest.trim().is_empty())
}

/// The registered application the credentials prove, if they do: a confidential one needs
/// its secret; a public one must come without a secret.
pub(crate) fn authenticate<'a>(
    applications: &'a [OAuthApplication],
    credentials: Option<&Credentials>,
) -> Option<&'a OAuthApplication> {
    let credentials = credentials?;
    let application = applications
        .iter()
        .find(|application| application.client_id == credentials.client_id)?;
    (application.client_secret == credentials.secret).then_some(application)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;
    use axum::http::header::AUTHORIZATION;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::{OAuthApplication, authenticate, presented};
    use crate::emulator::query::QueryParams;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode(format!("{id}:{secret}"));
        headers.insert(AUTHORIZATION, format!("Basic {encoded}").parse().unwrap());
        headers
    }

    fn form(text: &str) -> QueryParams {
        QueryParams::new(Some(text))
    }

    #[test]
    fn reads_each_method() {
        let none = HeaderMap::new();
        let post = presented(&none, &form("client_id=app&client_secret=s3"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (post.client_id.as_str(), post.secret.as_deref()),
            ("app", Some("s3"))
        );
        let public = presented(&none, &form("client_id=app")).unwrap().unwrap();
        assert_eq!((public.client_id.as_str(), public.secret), ("app", None));
        let header = presented(&basic("app", "s3"), &form("")).unwrap().unwrap();
        assert_eq!(
            (header.client_id.as_str(), header.secret.as_deref()),
            ("app", Some("s3"))
        );
        assert!(presented(&none, &form("grant_type=x")).unwrap().is_none());
    }

    #[test]
    fn refuses_mixed_or_conflicting_methods() {
        let both = presented(&basic("app", "s3"), &form("client_id=app&client_secret=s3"));
        assert_eq!(both.unwrap_err().name(), "invalid_request");
        let other_client = presented(&basic("app", "s3"), &form("client_id=other")).unwrap();
        assert!(other_client.is_none());
    }

    #[test]
    fn confidential_needs_its_secret_and_public_none() {
        let applications = [
            OAuthApplication::confidential("conf", "s3", "http://127.0.0.1/cb"),
            OAuthApplication::public("pub", "http://127.0.0.1/cb"),
        ];
        let none = HeaderMap::new();
        let check = |text: &str| {
            let credentials = presented(&none, &form(text)).unwrap();
            authenticate(&applications, credentials.as_ref()).map(|app| app.client_id.clone())
        };
        assert_eq!(
            check("client_id=conf&client_secret=s3").as_deref(),
            Some("conf")
        );
        assert_eq!(check("client_id=conf&client_secret=wrong"), None);
        assert_eq!(check("client_id=conf"), None);
        assert_eq!(check("client_id=pub").as_deref(), Some("pub"));
        assert_eq!(check("client_id=pub&client_secret=anything"), None);
        assert_eq!(check("client_id=unknown"), None);
    }
}
