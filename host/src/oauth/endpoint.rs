//! The token endpoint (`/oauth/token`: redeem a code, refresh) and revocation
//! (`/oauth/revoke`), called by the host itself with form bodies. Errors carry the
//! server's `error` and `error_description`, never a token.

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

use super::{OAuthSettings, Tokens, now_secs};

/// Why a refresh failed: the grant is gone (sign in again), or something else went wrong.
pub enum RefreshFailure {
    InvalidGrant,
    Other(anyhow::Error),
}

/// Redeems an authorization code.
pub async fn redeem_code(
    settings: &OAuthSettings,
    client_id: &str,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Tokens> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let (status, body) = post(settings, client_id, "token", &form).await?;
    if status != 200 {
        bail!("the sign-in was refused: {}", describe_error(status, &body));
    }
    tokens_from(&body, client_id)
}

/// Trades the refresh token for new tokens (Doorkeeper rotates the refresh token as well).
pub async fn refresh(
    settings: &OAuthSettings,
    current: &Tokens,
) -> std::result::Result<Tokens, RefreshFailure> {
    let Some(refresh_token) = current.refresh_token.as_deref() else {
        return Err(RefreshFailure::InvalidGrant);
    };
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let (status, body) = post(settings, &current.client_id, "token", &form)
        .await
        .map_err(RefreshFailure::Other)?;
    if status == 200 {
        return refreshed(current, &body).map_err(RefreshFailure::Other);
    }
    if body["error"] == "invalid_grant" {
        return Err(RefreshFailure::InvalidGrant);
    }
    Err(RefreshFailure::Other(anyhow!(
        "refreshing the sign-in failed: {}",
        describe_error(status, &body)
    )))
}

/// Revokes a token (access or refresh). RFC 7009 answers 200 even for unknown tokens.
pub async fn revoke(settings: &OAuthSettings, client_id: &str, token: &str) -> Result<()> {
    let (status, body) = post(settings, client_id, "revoke", &[("token", token)]).await?;
    if status != 200 {
        bail!("revoking failed: {}", describe_error(status, &body));
    }
    Ok(())
}

/// The tokens after a refresh answered `body`. Doorkeeper sends a new refresh token every
/// time, but RFC 6749 (section 6) lets a server keep the old one and leave an unchanged
/// scope out: then the current ones still hold, and dropping them would sign the user out
/// at the next refresh.
fn refreshed(current: &Tokens, body: &Value) -> Result<Tokens> {
    let mut tokens = tokens_from(body, &current.client_id)?;
    if tokens.refresh_token.is_none() {
        tokens.refresh_token.clone_from(&current.refresh_token);
    }
    if tokens.scope.is_empty() {
        tokens.scope.clone_from(&current.scope);
    }
    Ok(tokens)
}

fn tokens_from(body: &Value, client_id: &str) -> Result<Tokens> {
    let access_token = body["access_token"]
        .as_str()
        .context("the token endpoint's answer has no access_token")?;
    let lifetime = body["expires_in"].as_u64().unwrap_or(7200);
    Ok(Tokens {
        access_token: access_token.to_string(),
        refresh_token: body["refresh_token"].as_str().map(str::to_string),
        expires_at: now_secs() + lifetime,
        scope: body["scope"].as_str().unwrap_or("").to_string(),
        client_id: client_id.to_string(),
    })
}

fn describe_error(status: u16, body: &Value) -> String {
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(error), Some(description)) => format!("{error}: {description} (HTTP {status})"),
        (Some(error), None) => format!("{error} (HTTP {status})"),
        _ => format!("HTTP {status}"),
    }
}

/// POSTs a form, adding the client's credentials, and reads the JSON answer.
async fn post(
    settings: &OAuthSettings,
    client_id: &str,
    route: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Value)> {
    let body = {
        let mut encoder = form_urlencoded::Serializer::new(String::new());
        encoder
            .extend_pairs(form)
            .append_pair("client_id", client_id);
        if let Some(secret) = &settings.client_secret {
            encoder.append_pair("client_secret", secret);
        }
        Bytes::from(encoder.finish())
    };
    let url = settings.endpoint(route);
    let request = http::Request::post(&url)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(Full::new(body))?;
    let (status, bytes) = settings
        .client
        .exchange(request)
        .await
        .map_err(|error| anyhow!("could not reach {url}: {error}"))?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn current() -> Tokens {
        Tokens {
            access_token: "old access".into(),
            refresh_token: Some("old refresh".into()),
            expires_at: 0,
            scope: "read_write".into(),
            client_id: "app".into(),
        }
    }

    #[test]
    fn a_refresh_answer_that_rotates_replaces_both_tokens() {
        let body = json!({ "access_token": "new access", "refresh_token": "new refresh",
                           "expires_in": 60, "scope": "read" });
        let tokens = refreshed(&current(), &body).unwrap();
        assert_eq!(tokens.access_token, "new access");
        assert_eq!(tokens.refresh_token.as_deref(), Some("new refresh"));
        assert_eq!(tokens.scope, "read");
        assert_eq!(tokens.client_id, "app");
        assert!(tokens.expires_at >= now_secs() + 59);
    }

    #[test]
    fn a_refresh_answer_without_refresh_token_or_scope_keeps_the_current_ones() {
        let body = json!({ "access_token": "new access", "expires_in": 60 });
        let tokens = refreshed(&current(), &body).unwrap();
        assert_eq!(tokens.access_token, "new access");
        assert_eq!(tokens.refresh_token.as_deref(), Some("old refresh"));
        assert_eq!(tokens.scope, "read_write");
    }
}
