//! Discovery: the protected resource's metadata (RFC 9728), which names this server as the
//! MCP endpoint's authorization server, and the authorization server's own (RFC 8414),
//! also served at the OpenID discovery path that some clients try first.

use bytes::Bytes;
use http::Response;
use serde_json::json;

use super::reply::json;
use super::{READ_SCOPE, RemoteSettings, WRITE_SCOPE};

pub fn protected_resource(settings: &RemoteSettings) -> Response<Bytes> {
    json(
        200,
        &json!({
            "resource": settings.public_url,
            "authorization_servers": [settings.issuer],
            "scopes_supported": [READ_SCOPE, WRITE_SCOPE],
            "bearer_methods_supported": ["header"],
            "resource_name": "Facturation.PRO",
        }),
    )
}

/// Where a client finds the resource metadata: in every 401's `WWW-Authenticate`.
pub fn protected_resource_url(settings: &RemoteSettings) -> String {
    settings.endpoint("/.well-known/oauth-protected-resource/mcp")
}

pub fn authorization_server(settings: &RemoteSettings) -> Response<Bytes> {
    json(
        200,
        &json!({
            "issuer": settings.issuer,
            "authorization_endpoint": settings.endpoint("/oauth2/authorize"),
            "token_endpoint": settings.endpoint("/oauth2/token"),
            "registration_endpoint": settings.endpoint("/oauth2/register"),
            "revocation_endpoint": settings.endpoint("/oauth2/revoke"),
            "scopes_supported": [READ_SCOPE, WRITE_SCOPE],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            // Public clients only: a native or hosted MCP client proves itself with PKCE.
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": true,
        }),
    )
}
