//! The emulator's OAuth2 authorization server, over real HTTP: the code flow with PKCE, client
//! authentication, single-use codes, refresh rotation, revocation, expiry, scopes and the
//! API's Bearer check, answered as Doorkeeper answers them. Requests are written by hand
//! (the harness's raw client), and PKCE challenges are computed here, independently of the
//! emulator's own code.

use std::net::SocketAddr;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use facturation_pro_emulator::emulator::{
    Consent, Emulator, EmulatorConfig, OAuthApplication, OAuthConfig, RefreshRotation,
};
use facturation_pro_emulator::harness::http_client::{HttpReply, http_request};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const APP: &str = "mcp-app";
const SECRET: &str = "s3cret-of-the-app";
const PUBLIC_APP: &str = "mcp-public";
const READER_APP: &str = "mcp-reader";
const CALLBACK: &str = "http://127.0.0.1:54321/callback";
const VERIFIER: &str = "a-verifier-of-forty-three-characters-or-more-0123456789";
const USER_AGENT: &str = "oauth-tests (dev@example.test)";

/// Doorkeeper's wording, as a client would show it.
const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does \
                             not match the redirection URI used in the authorization request, \
                             or was issued to another client.";

fn config(oauth: OAuthConfig) -> EmulatorConfig {
    EmulatorConfig {
        oauth,
        ..EmulatorConfig::without_demo_data()
    }
}

fn oauth_config() -> OAuthConfig {
    OAuthConfig {
        applications: vec![
            OAuthApplication::confidential(APP, SECRET, "http://127.0.0.1/callback"),
            OAuthApplication::public(PUBLIC_APP, "http://127.0.0.1/callback"),
            OAuthApplication::confidential(READER_APP, "reader-secret", "http://127.0.0.1/cb")
                .with_scopes(&["read"]),
        ],
        pkce_required: true,
        ..OAuthConfig::default()
    }
}

fn start(oauth: OAuthConfig) -> Emulator {
    Emulator::start(config(oauth)).expect("start the emulator")
}

fn address(emulator: &Emulator) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], emulator.port()))
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

fn get(emulator: &Emulator, path: &str, headers: &[(&str, &str)]) -> HttpReply {
    http_request(address(emulator), "GET", path, headers, b"")
}

fn post_form(
    emulator: &Emulator,
    path: &str,
    headers: &[(&str, &str)],
    pairs: &[(&str, &str)],
) -> HttpReply {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    http_request(
        address(emulator),
        "POST",
        path,
        &all,
        encode(pairs).as_bytes(),
    )
}

/// `GET /oauth/authorize` for the code flow with an S256 challenge of [`VERIFIER`].
fn authorize(emulator: &Emulator, client_id: &str, redirect_uri: &str, scope: &str) -> HttpReply {
    let challenge = challenge(VERIFIER);
    let query = encode(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", "state-42"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    get(emulator, &format!("/oauth/authorize?{query}"), &[])
}

/// The redirect of an authorization answer: where to, and the query parameters added.
fn redirect_of(reply: &HttpReply) -> (String, Vec<(String, String)>) {
    assert_eq!(
        reply.status,
        302,
        "body: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let location = reply.header("location").expect("a Location header");
    let (base, query) = location.split_once('?').expect("a query in the Location");
    let params = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    (base.to_owned(), params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Authorizes `client_id` for `scope` (consent approves by default) and returns the code.
fn code_for(emulator: &Emulator, client_id: &str, scope: &str) -> String {
    let (_, params) = redirect_of(&authorize(emulator, client_id, CALLBACK, scope));
    param(&params, "code").expect("a code").to_owned()
}

/// `grant_type=authorization_code`, authenticating with the form fields.
fn exchange(emulator: &Emulator, code: &str, verifier: &str) -> HttpReply {
    post_form(
        emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
            ("client_id", APP),
            ("client_secret", SECRET),
        ],
    )
}

/// A full sign-in of [`APP`] with `scope`: the token endpoint's JSON answer.
fn sign_in(emulator: &Emulator, scope: &str) -> Value {
    let code = code_for(emulator, APP, scope);
    let reply = exchange(emulator, &code, VERIFIER);
    assert_eq!(
        reply.status,
        200,
        "body: {}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

fn refresh(emulator: &Emulator, refresh_token: &str) -> HttpReply {
    post_form(
        emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", APP),
            ("client_secret", SECRET),
        ],
    )
}

/// `POST /oauth/revoke` of `token`, with `client` (form fields) as the client's credentials.
fn revoke(emulator: &Emulator, token: &str, client: &[(&str, &str)]) -> HttpReply {
    let mut pairs = vec![("token", token)];
    pairs.extend_from_slice(client);
    post_form(emulator, "/oauth/revoke", &[], &pairs)
}

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {value}"))
        .to_owned()
}

fn api_get(emulator: &Emulator, access_token: &str) -> HttpReply {
    let bearer = format!("Bearer {access_token}");
    get(
        emulator,
        "/account.json",
        &[("Authorization", &bearer), ("User-Agent", USER_AGENT)],
    )
}

fn api_create_customer(emulator: &Emulator, access_token: &str) -> HttpReply {
    let bearer = format!("Bearer {access_token}");
    http_request(
        address(emulator),
        "POST",
        "/firms/1001/customers.json",
        &[
            ("Authorization", &bearer),
            ("User-Agent", USER_AGENT),
            ("Content-Type", "application/json"),
        ],
        json!({"company_name": "Boulangerie Martin"})
            .to_string()
            .as_bytes(),
    )
}

/// Asserts a Doorkeeper error answer: status, `error`, and the same code in the challenge.
fn assert_oauth_error(reply: &HttpReply, status: u16, error: &str) -> Value {
    let body = reply.json();
    assert_eq!(
        (reply.status, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer realm=\"Doorkeeper\", ")
            && challenge.contains(&format!("error=\"{error}\"")),
        "WWW-Authenticate: {challenge:?}"
    );
    body
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn the_code_flow_with_pkce_signs_in_and_the_token_serves_the_api() {
    let emulator = start(oauth_config());

    let (target, params) = redirect_of(&authorize(&emulator, APP, CALLBACK, "read_write"));
    assert_eq!(target, CALLBACK);
    let names: Vec<&str> = params.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["code", "state"]);
    assert_eq!(param(&params, "state"), Some("state-42"));
    let code = param(&params, "code").unwrap();

    let reply = exchange(&emulator, code, VERIFIER);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store, no-cache"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    // The authorization server is not the API: no quota is reported.
    assert_eq!(reply.header("x-ratelimit-limit"), None);
    let token = reply.json();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 7200);
    assert_eq!(token["scope"], "read_write");
    let created_at = token["created_at"].as_u64().unwrap();
    assert!(created_at.abs_diff(now()) <= 5, "created_at {created_at}");
    let access = text(&token, "access_token");
    let refresh_token = text(&token, "refresh_token");
    assert_eq!(access.len(), 43);
    assert_ne!(access, refresh_token);

    let issued = emulator.oauth_tokens();
    assert_eq!(issued.len(), 1);
    assert_eq!(
        (
            issued[0].access_token.as_str(),
            issued[0].refresh_token.as_str(),
            issued[0].client_id.as_str(),
            issued[0].scope.as_str(),
            issued[0].revoked,
            issued[0].expired,
        ),
        (
            access.as_str(),
            refresh_token.as_str(),
            APP,
            "read_write",
            false,
            false
        )
    );
    assert_eq!(issued[0].lifetime, Duration::from_secs(7200));

    let account = api_get(&emulator, &access);
    assert_eq!(account.status, 200);
    assert_eq!(account.json()["email"], "demo@example.test");
    assert!(account.header("x-ratelimit-limit").is_some());

    let created = api_create_customer(&emulator, &access);
    assert_eq!(created.status, 201);
    assert_eq!(
        emulator.customers(1001)[0]["company_name"],
        "Boulangerie Martin"
    );
    let recorded = emulator.requests().pop().unwrap();
    assert_eq!(recorded.bearer_token(), Some(access.as_str()));
    assert_eq!(recorded.basic_auth(), None);
}

#[test]
fn a_wrong_or_missing_verifier_fails_and_leaves_the_code_usable() {
    let emulator = start(oauth_config());
    let code = code_for(&emulator, APP, "read_write");

    let wrong = exchange(
        &emulator,
        &code,
        "another-verifier-that-is-long-enough-to-pass",
    );
    let body = assert_oauth_error(&wrong, 400, "invalid_grant");
    assert_eq!(body["error_description"], INVALID_GRANT);

    let missing = post_form(
        &emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", APP),
            ("client_secret", SECRET),
        ],
    );
    let body = assert_oauth_error(&missing, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "Missing required parameter: code_verifier."
    );
    assert!(emulator.oauth_tokens().is_empty());

    // Failing the proof does not use the code up: its owner can still exchange it.
    assert_eq!(exchange(&emulator, &code, VERIFIER).status, 200);
}

#[test]
fn clients_authenticate_with_their_secret_in_the_form_or_with_basic() {
    let emulator = start(oauth_config());
    let code = code_for(&emulator, APP, "read_write");
    let attempt = |extra: &[(&str, &str)], headers: &[(&str, &str)]| {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ];
        pairs.extend_from_slice(extra);
        post_form(&emulator, "/oauth/token", headers, &pairs)
    };

    let wrong = attempt(&[("client_id", APP), ("client_secret", "guessed")], &[]);
    let body = assert_oauth_error(&wrong, 401, "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Client authentication failed")
    );
    assert_oauth_error(&attempt(&[("client_id", APP)], &[]), 401, "invalid_client");
    assert_oauth_error(&attempt(&[], &[]), 401, "invalid_client");

    let basic = format!("Basic {}", STANDARD.encode(format!("{APP}:{SECRET}")));
    let both = attempt(&[("client_secret", SECRET)], &[("Authorization", &basic)]);
    let body = assert_oauth_error(&both, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "The request utilizes more than one mechanism for authenticating the client."
    );

    let good = attempt(&[], &[("Authorization", &basic)]);
    assert_eq!(good.status, 200);
    assert_eq!(emulator.oauth_tokens()[0].client_id, APP);

    // A public client proves nothing but the PKCE verifier.
    let public_code = code_for(&emulator, PUBLIC_APP, "read");
    let public = post_form(
        &emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &public_code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", PUBLIC_APP),
        ],
    );
    assert_eq!(public.status, 200);
    assert_eq!(public.json()["scope"], "read");
}

#[test]
fn a_code_works_once_and_its_replay_revokes_the_tokens_it_gave() {
    let emulator = start(oauth_config());
    let code = code_for(&emulator, APP, "read_write");
    let first = exchange(&emulator, &code, VERIFIER).json();
    let access = text(&first, "access_token");
    assert_eq!(api_get(&emulator, &access).status, 200);

    let replay = exchange(&emulator, &code, VERIFIER);
    assert_oauth_error(&replay, 400, "invalid_grant");
    assert_eq!(emulator.oauth_tokens().len(), 1);
    assert!(emulator.oauth_tokens()[0].revoked);

    let refused = api_get(&emulator, &access);
    let body = assert_oauth_error(&refused, 401, "invalid_token");
    assert_eq!(body["error_description"], "The access token was revoked");
    let refresh_reply = refresh(&emulator, &text(&first, "refresh_token"));
    assert_oauth_error(&refresh_reply, 400, "invalid_grant");
}

#[test]
fn a_refresh_rotates_both_tokens_and_a_used_refresh_token_is_invalid_grant() {
    let emulator = start(oauth_config());
    let first = sign_in(&emulator, "read_write");
    let (old_access, old_refresh) = (text(&first, "access_token"), text(&first, "refresh_token"));

    let reply = refresh(&emulator, &old_refresh);
    assert_eq!(reply.status, 200);
    let second = reply.json();
    let (new_access, new_refresh) = (
        text(&second, "access_token"),
        text(&second, "refresh_token"),
    );
    assert_ne!(new_access, old_access);
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(
        (second["scope"].as_str(), second["expires_in"].as_u64()),
        (Some("read_write"), Some(7200))
    );

    assert_eq!(api_get(&emulator, &new_access).status, 200);
    // Rotation retires the whole old pair, its access token included.
    let old = api_get(&emulator, &old_access);
    assert_eq!(
        assert_oauth_error(&old, 401, "invalid_token")["error_description"],
        "The access token was revoked"
    );
    let reuse = refresh(&emulator, &old_refresh);
    assert_eq!(
        assert_oauth_error(&reuse, 400, "invalid_grant")["error_description"],
        INVALID_GRANT
    );

    // Someone else's refresh token is not this client's to use.
    let stranger = post_form(
        &emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &new_refresh),
            ("client_id", PUBLIC_APP),
        ],
    );
    assert_oauth_error(&stranger, 400, "invalid_grant");

    let third = refresh(&emulator, &new_refresh);
    assert_eq!(third.status, 200);

    assert_eq!(emulator.oauth_refresh_count(), 2);
    let attempts = emulator.oauth_refreshes();
    let summary: Vec<(&str, Option<&str>)> = attempts
        .iter()
        .map(|attempt| (attempt.refresh_token.as_str(), attempt.error.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (old_refresh.as_str(), None),
            (old_refresh.as_str(), Some("invalid_grant")),
            (new_refresh.as_str(), Some("invalid_grant")),
            (new_refresh.as_str(), None),
        ]
    );
    assert_eq!(
        attempts[0].access_token.as_deref(),
        Some(new_access.as_str())
    );
    let tokens = emulator.oauth_tokens();
    assert_eq!(
        tokens[1].refreshed_from.as_deref(),
        Some(old_refresh.as_str())
    );
    assert_eq!(
        tokens.iter().map(|token| token.revoked).collect::<Vec<_>>(),
        [true, true, false]
    );
}

#[test]
fn deferred_rotation_keeps_the_old_refresh_token_until_the_new_access_token_is_used() {
    let emulator = start(OAuthConfig {
        refresh_rotation: RefreshRotation::OnNewTokenUse,
        ..oauth_config()
    });
    let first = sign_in(&emulator, "read_write");
    let old_refresh = text(&first, "refresh_token");

    let second = refresh(&emulator, &old_refresh);
    assert_eq!(second.status, 200);
    // The answer was lost, say: the same refresh token is accepted again.
    let retry = refresh(&emulator, &old_refresh);
    assert_eq!(retry.status, 200);
    let new_access = text(&retry.json(), "access_token");
    assert_eq!(
        api_get(&emulator, &text(&first, "access_token")).status,
        200
    );

    // Using the new access token retires the old pair.
    assert_eq!(api_get(&emulator, &new_access).status, 200);
    assert_oauth_error(&refresh(&emulator, &old_refresh), 400, "invalid_grant");
    let old = api_get(&emulator, &text(&first, "access_token"));
    assert_oauth_error(&old, 401, "invalid_token");
}

#[test]
fn a_denied_consent_redirects_with_access_denied_and_the_state() {
    let emulator = start(oauth_config());
    emulator.set_oauth_consent(Consent::Deny);
    let (target, params) = redirect_of(&authorize(&emulator, APP, CALLBACK, "read_write"));
    assert_eq!(target, CALLBACK);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(
        param(&params, "error_description"),
        Some("The resource owner or authorization server denied the request.")
    );
    assert_eq!(param(&params, "state"), Some("state-42"));
    assert_eq!(param(&params, "code"), None);

    emulator.set_oauth_consent(Consent::Approve);
    let (_, params) = redirect_of(&authorize(&emulator, APP, CALLBACK, "read_write"));
    assert!(param(&params, "code").is_some());
}

#[test]
fn a_bad_client_or_redirect_uri_gets_an_error_page_and_no_redirect() {
    let emulator = start(oauth_config());
    let page = |reply: HttpReply, status: u16, error: &str| {
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.header("location"), None);
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(body.contains(error), "{body}");
        body
    };

    page(
        authorize(&emulator, "unknown-app", CALLBACK, "read"),
        401,
        "invalid_client",
    );
    for redirect in [
        "http://127.0.0.1:54321/other",
        "http://127.0.0.2:54321/callback",
        "http://localhost:54321/callback",
        "https://127.0.0.1/callback",
        "http://127.0.0.1:54321/callback#fragment",
    ] {
        page(
            authorize(&emulator, APP, redirect, "read"),
            400,
            "invalid_redirect_uri",
        );
    }
    let body = page(
        authorize(&emulator, APP, CALLBACK, "admin"),
        400,
        "invalid_scope",
    );
    assert!(body.contains("The requested scope is invalid, unknown, or malformed."));
    page(
        authorize(&emulator, READER_APP, "http://127.0.0.1/cb", "read_write"),
        400,
        "invalid_scope",
    );

    let without_pkce = encode(&[
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", CALLBACK),
        ("scope", "read"),
        ("state", "s"),
    ]);
    let body = page(
        get(&emulator, &format!("/oauth/authorize?{without_pkce}"), &[]),
        400,
        "invalid_request",
    );
    assert!(body.contains("Code challenge is required."));
    let implicit = without_pkce.replace("response_type=code", "response_type=token");
    page(
        get(&emulator, &format!("/oauth/authorize?{implicit}"), &[]),
        400,
        "unsupported_response_type",
    );
    assert!(emulator.oauth_tokens().is_empty());
}

#[test]
fn a_loopback_redirect_uri_accepts_any_port() {
    let emulator = start(oauth_config());
    for port in [1024, 49_152, 65_535] {
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let (target, _) = redirect_of(&authorize(&emulator, APP, &redirect, "read"));
        assert_eq!(target, redirect);
    }
    // The code is bound to the redirect URI it was issued for, port aside (as Doorkeeper
    // compares them): another path is refused.
    let code = code_for(&emulator, APP, "read");
    let elsewhere = post_form(
        &emulator,
        "/oauth/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:54321/elsewhere"),
            ("code_verifier", VERIFIER),
            ("client_id", APP),
            ("client_secret", SECRET),
        ],
    );
    assert_oauth_error(&elsewhere, 400, "invalid_grant");
}

#[test]
fn a_revoked_token_is_refused_by_the_api_and_cannot_be_refreshed() {
    let emulator = start(oauth_config());
    let token = sign_in(&emulator, "read_write");
    let (access, refresh_token) = (text(&token, "access_token"), text(&token, "refresh_token"));
    let client = [("client_id", APP), ("client_secret", SECRET)];

    // Without client authentication, or by another client: refused, token untouched.
    let anonymous = revoke(&emulator, &access, &[]);
    assert_eq!(
        (anonymous.status, anonymous.json()),
        (
            403,
            json!({
                "error": "unauthorized_client",
                "error_description": "You are not authorized to revoke this token",
            })
        )
    );
    let by_other = revoke(&emulator, &access, &[("client_id", PUBLIC_APP)]);
    assert_eq!(by_other.status, 403);
    assert_eq!(api_get(&emulator, &access).status, 200);

    // RFC 7009: an unknown token is answered like a revoked one.
    let unknown = revoke(&emulator, "no-such-token", &client);
    assert_eq!((unknown.status, unknown.json()), (200, json!({})));

    let revoked = revoke(&emulator, &access, &client);
    assert_eq!((revoked.status, revoked.json()), (200, json!({})));
    let refused = api_get(&emulator, &access);
    let body = assert_oauth_error(&refused, 401, "invalid_token");
    assert_eq!(body["error_description"], "The access token was revoked");
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("error_description=\"The access token was revoked\"")
    );
    assert_oauth_error(&refresh(&emulator, &refresh_token), 400, "invalid_grant");
}

#[test]
fn an_expired_access_token_gets_401_and_its_refresh_token_still_works() {
    let emulator = start(OAuthConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..oauth_config()
    });
    let token = sign_in(&emulator, "read_write");
    assert_eq!(token["expires_in"], 1);
    let access = text(&token, "access_token");
    assert_eq!(api_get(&emulator, &access).status, 200);

    sleep(Duration::from_millis(1100));
    let expired = api_get(&emulator, &access);
    let body = assert_oauth_error(&expired, 401, "invalid_token");
    assert_eq!(body["error_description"], "The access token expired");
    assert!(emulator.oauth_tokens()[0].expired);

    emulator.set_oauth_access_token_lifetime(Duration::from_secs(600));
    let renewed = refresh(&emulator, &text(&token, "refresh_token"));
    assert_eq!(renewed.status, 200);
    let renewed = renewed.json();
    assert_eq!(renewed["expires_in"], 600);
    assert_eq!(
        api_get(&emulator, &text(&renewed, "access_token")).status,
        200
    );

    // Expiry on the test's command, as mid-session.
    emulator.expire_access_tokens();
    let body = assert_oauth_error(
        &api_get(&emulator, &text(&renewed, "access_token")),
        401,
        "invalid_token",
    );
    assert_eq!(body["error_description"], "The access token expired");
}

#[test]
fn a_read_token_reads_but_may_not_write() {
    let emulator = start(oauth_config());
    let token = sign_in(&emulator, "read");
    let access = text(&token, "access_token");
    assert_eq!(api_get(&emulator, &access).status, 200);

    let refused = api_create_customer(&emulator, &access);
    let body = assert_oauth_error(&refused, 403, "insufficient_scope");
    assert_eq!(
        body["error_description"],
        "Access to this resource requires scope \"read_write\"."
    );
    assert!(emulator.customers(1001).is_empty());
}

#[test]
fn token_info_describes_a_live_token_only() {
    let emulator = start(oauth_config());
    let token = sign_in(&emulator, "read_write");
    let bearer = format!("Bearer {}", text(&token, "access_token"));

    let info = get(
        &emulator,
        "/oauth/token/info",
        &[("Authorization", &bearer)],
    );
    assert_eq!(info.status, 200);
    let info = info.json();
    assert_eq!(info["resource_owner_id"], 4217);
    assert_eq!(info["scope"], json!(["read_write"]));
    assert_eq!(info["application"], json!({"uid": APP}));
    assert_eq!(info["created_at"], token["created_at"]);
    let left = info["expires_in"].as_u64().unwrap();
    assert!((7195..=7200).contains(&left), "expires_in {left}");

    assert_oauth_error(
        &get(&emulator, "/oauth/token/info", &[]),
        401,
        "invalid_token",
    );
    assert!(emulator.revoke_oauth_token(&text(&token, "refresh_token")));
    let revoked = get(
        &emulator,
        "/oauth/token/info",
        &[("Authorization", &bearer)],
    );
    assert_oauth_error(&revoked, 401, "invalid_token");
}

#[test]
fn tests_can_issue_and_revoke_tokens_behind_the_clients_back() {
    let emulator = start(oauth_config());
    let issued = emulator.issue_oauth_token(APP, "read_write");
    assert_eq!(
        (issued.scope.as_str(), issued.revoked),
        ("read_write", false)
    );
    assert_eq!(api_get(&emulator, &issued.access_token).status, 200);

    assert!(emulator.revoke_oauth_token(&issued.refresh_token));
    assert!(!emulator.revoke_oauth_token("never-issued"));
    assert_oauth_error(
        &api_get(&emulator, &issued.access_token),
        401,
        "invalid_token",
    );
    assert_oauth_error(
        &refresh(&emulator, &issued.refresh_token),
        400,
        "invalid_grant",
    );
}

#[test]
fn the_api_key_still_works_and_an_unknown_bearer_token_is_refused() {
    let emulator = start(oauth_config());
    let basic = format!("Basic {}", STANDARD.encode("demo-api-id:demo-api-key"));
    let with_key = get(
        &emulator,
        "/account.json",
        &[("Authorization", &basic), ("User-Agent", USER_AGENT)],
    );
    assert_eq!(with_key.status, 200);

    let unknown = api_get(&emulator, "made-up-token");
    let body = assert_oauth_error(&unknown, 401, "invalid_token");
    assert_eq!(body["error_description"], "The access token is invalid");
}

#[test]
fn only_the_code_and_refresh_grants_are_supported() {
    let emulator = start(oauth_config());
    for grant_type in ["client_credentials", "password", "implicit"] {
        let reply = post_form(
            &emulator,
            "/oauth/token",
            &[],
            &[
                ("grant_type", grant_type),
                ("client_id", APP),
                ("client_secret", SECRET),
            ],
        );
        assert_oauth_error(&reply, 400, "unsupported_grant_type");
    }
    let missing = post_form(&emulator, "/oauth/token", &[], &[("client_id", APP)]);
    let body = assert_oauth_error(&missing, 400, "invalid_request");
    assert_eq!(
        body["error_description"],
        "Missing required parameter: grant_type."
    );
}
