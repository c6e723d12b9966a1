//! Every MCP request of the remote mode carries an access token this server issued for its
//! public URL; the request then runs as that token's user, with their Facturation.PRO
//! account. Anything else gets 401 with the `WWW-Authenticate` challenge that sends the
//! client to the resource metadata, and from there through sign-in.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, header};
use serde_json::json;

use super::metadata::protected_resource_url;
use super::upstream::UpstreamAccess;
use super::{READ_SCOPE, Remote, WRITE_SCOPE};
use crate::store::User;

/// Who an MCP request runs for.
pub struct Caller {
    pub user: User,
    /// The token's scope has no `write`: only reading tools, only GET to the API.
    pub read_only: bool,
    pub upstream: UpstreamAccess,
    /// The request's `Idempotency-Key`, hashed with the user's id: a retry of a call carries
    /// the same, and its writes are then not made twice.
    pub retry_key: Option<String>,
}

/// The header by which a client names a call, the same on each retry of it.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The caller behind the request's access token, or the 401 to answer.
pub fn authenticate(
    remote: &Arc<Remote>,
    headers: &HeaderMap,
) -> Result<Arc<Caller>, Box<Response<Bytes>>> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = presented else {
        return Err(Box::new(unauthorized(
            remote,
            None,
            "an access token is required: sign in through this server's OAuth",
        )));
    };
    let grant = match remote.store.access_grant(token) {
        Ok(Some(grant)) if grant.resource == remote.settings.public_url => grant,
        Ok(_) => {
            return Err(Box::new(unauthorized(
                remote,
                Some("invalid_token"),
                "the access token is unknown, expired, revoked or for another server",
            )));
        }
        Err(error) => {
            eprintln!("facturation-pro-mcp: the store failed: {error:#}");
            return Err(Box::new(super::reply::oauth_error(
                503,
                "temporarily_unavailable",
                "the store failed",
            )));
        }
    };
    let user = match remote.store.user(&grant.user_id) {
        Ok(Some(user)) => user,
        _ => {
            return Err(Box::new(unauthorized(
                remote,
                Some("invalid_token"),
                "the access token's user is gone",
            )));
        }
    };
    // The client's name for this call, the same on each retry of it: with the user's id, so
    // that one user's keys never meet another's.
    let retry_key = headers.get(IDEMPOTENCY_KEY).map(|key| {
        crate::store::hash(&format!(
            "{}\n{}",
            user.id,
            String::from_utf8_lossy(key.as_bytes())
        ))
    });
    Ok(Arc::new(Caller {
        read_only: !grant.scope.split(' ').any(|s| s == WRITE_SCOPE),
        upstream: UpstreamAccess::new(remote.clone(), &user.id),
        retry_key,
        user,
    }))
}

/// 401 with the challenge (RFC 6750 section 3, RFC 9728 section 5.1): where the resource
/// metadata is, the scopes to ask for, and why a presented token failed.
pub fn unauthorized(remote: &Remote, error: Option<&str>, message: &str) -> Response<Bytes> {
    let mut challenge = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{READ_SCOPE} {WRITE_SCOPE}\"",
        protected_resource_url(&remote.settings)
    );
    if let Some(error) = error {
        challenge.push_str(&format!(", error=\"{error}\""));
    }
    let body =
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32600, "message": message } });
    Response::builder()
        .status(401)
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).expect("a valid challenge"),
        )
        .body(Bytes::from(body.to_string()))
        .expect("a valid response")
}
