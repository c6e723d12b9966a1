//! Several accounts side by side: each is served as itself, by API key or OAuth token, and
//! cannot reach the other's firms, tokens or quota.

use serde_json::{Value, json};

use super::super::{AccountConfig, Emulator, EmulatorConfig, LOGIN_COOKIE, OAuthApplication};
use super::{Reply, basic, send, start, user_agent};

const DEMO: (&str, &str) = ("demo-api-id", "demo-api-key");
const MARTIN: (&str, &str) = ("martin-api-id", "martin-api-key");
const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// A call with one account's API key.
fn as_key(emulator: &Emulator, (id, key): (&str, &str), method: &str, target: &str) -> Reply {
    send(
        emulator,
        method,
        target,
        &[basic(id, key), user_agent()],
        b"",
    )
}

/// A call with an OAuth access token.
fn as_token(emulator: &Emulator, token: &str, target: &str) -> Reply {
    let bearer = ("Authorization", format!("Bearer {token}"));
    send(emulator, "GET", target, &[bearer, user_agent()], b"")
}

fn firm_ids(account: &Value) -> Vec<u64> {
    account["firms"]
        .as_array()
        .expect("firms")
        .iter()
        .map(|firm| firm["id"].as_u64().expect("firm id"))
        .collect()
}

/// `GET /oauth/authorize` for the demo application, with a session cookie when given.
fn authorize(emulator: &Emulator, login: Option<&str>) -> Reply {
    let target = format!(
        "/oauth/authorize?client_id=demo-client-id&redirect_uri={REDIRECT_URI}\
         &response_type=code&scope=read_write&state=s1"
    );
    let cookie = login.map(|login| ("Cookie", format!("theme=dark; {LOGIN_COOKIE}={login}")));
    send(emulator, "GET", &target, cookie.as_slice(), b"")
}

/// Posts a form to the token endpoint as the demo application; returns its JSON answer.
fn token_request(emulator: &Emulator, form: &str) -> Value {
    let form = format!("{form}&client_id=demo-client-id&client_secret=demo-client-secret");
    let content_type = (
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    );
    let reply = send(
        emulator,
        "POST",
        "/oauth/token",
        &[content_type],
        form.as_bytes(),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// Signs in through the browser step as `login` (or without a cookie) and exchanges the
/// code: the token endpoint's answer.
fn sign_in(emulator: &Emulator, login: Option<&str>) -> Value {
    let redirect = authorize(emulator, login);
    assert_eq!(redirect.status, 302);
    let location = redirect.header("location").expect("location");
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .expect("a code");
    token_request(
        emulator,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}"),
    )
}

fn access_token(answer: &Value) -> &str {
    answer["access_token"].as_str().expect("access token")
}

#[test]
fn api_keys_keep_each_account_to_its_own_firms() {
    let emulator = start(EmulatorConfig::with_second_account());

    let demo = as_key(&emulator, DEMO, "GET", "/account.json").json();
    let martin = as_key(&emulator, MARTIN, "GET", "/account.json").json();
    assert_eq!(demo["id"], 4217, "the first account keeps its id");
    assert_eq!(demo["email"], "demo@example.test");
    assert_eq!(firm_ids(&demo), [1001, 1002]);
    assert_ne!(martin["id"], demo["id"]);
    assert_eq!(martin["email"], "martin@example.test");
    assert_eq!(firm_ids(&martin), [2001]);

    // The demo data stays in the first account; the second starts empty.
    let own = as_key(&emulator, MARTIN, "GET", "/firms/2001/customers.json");
    assert_eq!((own.status, own.json()), (200, json!([])));
    let demo_customers = as_key(&emulator, DEMO, "GET", "/firms/1001/customers.json");
    assert!(!demo_customers.json().as_array().expect("list").is_empty());

    // Another account's firm is refused exactly like a firm that exists nowhere, also when
    // the segment is percent-encoded or the route writes.
    let nowhere = as_key(&emulator, MARTIN, "GET", "/firms/9999/customers.json");
    assert_eq!(nowhere.status, 403);
    let refusal = |firm: &str| {
        let message = nowhere.json()["errors"]
            .as_str()
            .expect("a message")
            .to_owned();
        json!(message.replace("9999", firm))
    };
    for (method, target, firm) in [
        ("GET", "/firms/1001/customers.json", "1001"),
        ("GET", "/firms/%31001/customers.json", "1001"),
        ("DELETE", "/firms/1001/customers/180001.json", "1001"),
        ("GET", "/firms/1002/orders.json", "1002"),
    ] {
        let reply = as_key(&emulator, MARTIN, method, target);
        assert_eq!(reply.status, 403, "{method} {target}");
        assert_eq!(reply.json()["errors"], refusal(firm));
    }
    let demo_on_martin = as_key(&emulator, DEMO, "GET", "/firms/2001/customers.json");
    assert_eq!(demo_on_martin.status, 403);
    // An unknown route under another account's firm is still just unknown.
    let unknown = as_key(&emulator, MARTIN, "GET", "/firms/1001/nothing.json");
    assert_eq!(unknown.status, 404);
    assert!(emulator.customer(1001, 180_001).is_some(), "not deleted");

    // The log says which account each request was served as; a refused key, none.
    assert_eq!(
        as_key(&emulator, (MARTIN.0, DEMO.1), "GET", "/account.json").status,
        401
    );
    let accounts: Vec<Option<String>> = emulator
        .requests_with_accounts()
        .into_iter()
        .map(|(_, account)| account)
        .collect();
    assert_eq!(accounts[..2], [Some("demo".into()), Some("martin".into())]);
    assert_eq!(accounts.last(), Some(&None));
    let martin_paths: Vec<String> = emulator
        .requests_as("martin")
        .into_iter()
        .map(|request| request.path)
        .collect();
    assert_eq!(
        martin_paths[..2],
        ["/account.json", "/firms/2001/customers.json"]
    );
}

#[test]
fn oauth_tokens_act_for_the_account_signed_in() {
    let emulator = start(EmulatorConfig::with_second_account());
    let martin = sign_in(&emulator, Some("martin"));
    let demo = sign_in(&emulator, None);

    let martin_account = as_token(&emulator, access_token(&martin), "/account.json");
    assert_eq!(firm_ids(&martin_account.json()), [2001]);
    let demo_account = as_token(&emulator, access_token(&demo), "/account.json");
    assert_eq!(demo_account.json()["id"], 4217);
    let refused = as_token(
        &emulator,
        access_token(&martin),
        "/firms/1001/customers.json",
    );
    assert_eq!(refused.status, 403);
    let own = as_token(
        &emulator,
        access_token(&martin),
        "/firms/2001/customers.json",
    );
    assert_eq!(own.status, 200);

    let logins: Vec<String> = emulator
        .oauth_tokens()
        .into_iter()
        .map(|token| token.account)
        .collect();
    assert_eq!(logins, ["martin", "demo"]);
    let info = send(
        &emulator,
        "GET",
        "/oauth/token/info",
        &[("Authorization", format!("Bearer {}", access_token(&martin)))],
        b"",
    );
    assert_eq!(
        info.json()["resource_owner_id"],
        martin_account.json()["id"]
    );
    assert_eq!(emulator.requests_as("martin").len(), 3);
}

#[test]
fn an_unknown_session_gets_no_code() {
    let emulator = start(EmulatorConfig::with_second_account());
    let reply = authorize(&emulator, Some("mallory"));
    assert_eq!(reply.status, 401);
    assert!(reply.header("location").is_none());
    assert!(String::from_utf8_lossy(&reply.body).contains("mallory"));
    // Nor can the token endpoint be reached some other way: no code was issued.
    assert!(emulator.oauth_tokens().is_empty());
}

#[test]
fn a_refreshed_token_keeps_its_account() {
    let emulator = start(EmulatorConfig::with_second_account());
    let first = sign_in(&emulator, Some("martin"));
    let refresh_token = first["refresh_token"].as_str().expect("refresh token");
    let refreshed = token_request(
        &emulator,
        &format!("grant_type=refresh_token&refresh_token={refresh_token}"),
    );
    let account = as_token(&emulator, access_token(&refreshed), "/account.json");
    assert_eq!(account.json()["email"], "martin@example.test");
    let tokens = emulator.oauth_tokens();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().all(|token| token.account == "martin"));
}

#[test]
fn quotas_are_counted_per_account() {
    let emulator = start(EmulatorConfig {
        rate_limit_per_5min: 2,
        ..EmulatorConfig::with_second_account()
    });
    for _ in 0..2 {
        assert_eq!(as_key(&emulator, DEMO, "GET", "/account.json").status, 200);
    }
    let refused = as_key(&emulator, DEMO, "GET", "/account.json");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));

    // Martin's quota is untouched by the demo account's requests, by key or by token.
    let martin = as_key(&emulator, MARTIN, "GET", "/account.json");
    assert_eq!(martin.status, 200);
    assert_eq!(martin.header("x-ratelimit-remaining"), Some("1"));
    let token = emulator.issue_oauth_token_for("martin", "demo-client-id", "read");
    let by_token = as_token(&emulator, &token.access_token, "/account.json");
    assert_eq!(by_token.status, 200);
    assert_eq!(by_token.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(
        as_key(&emulator, MARTIN, "GET", "/account.json").status,
        429
    );
}

#[test]
fn revoking_an_accounts_access_leaves_the_others() {
    let mut config = EmulatorConfig::with_second_account();
    config
        .oauth
        .applications
        .push(OAuthApplication::confidential(
            "other-client-id",
            "other-secret",
            REDIRECT_URI,
        ));
    let emulator = start(config);
    let demo = emulator.issue_oauth_token("demo-client-id", "read");
    let martin = emulator.issue_oauth_token_for("martin", "demo-client-id", "read");
    let martin_elsewhere = emulator.issue_oauth_token_for("martin", "other-client-id", "read");
    assert_eq!(martin.account, "martin");

    assert_eq!(
        emulator.revoke_oauth_application_access("martin", "demo-client-id"),
        1
    );
    let revoked = as_token(&emulator, &martin.access_token, "/account.json");
    assert_eq!(revoked.status, 401);
    let other_app = as_token(&emulator, &martin_elsewhere.access_token, "/account.json");
    assert_eq!(other_app.status, 200);
    assert_eq!(
        as_token(&emulator, &demo.access_token, "/account.json").status,
        200
    );

    // Every application, and only tokens not revoked already.
    assert_eq!(emulator.revoke_oauth_access("martin"), 1);
    let other_app = as_token(&emulator, &martin_elsewhere.access_token, "/account.json");
    assert_eq!(other_app.status, 401);
    assert_eq!(
        as_token(&emulator, &demo.access_token, "/account.json").status,
        200
    );
}

#[test]
fn accounts_must_not_share_firms_logins_or_api_ids() {
    let clash = |change: fn(&mut AccountConfig)| {
        let mut second = AccountConfig::martin();
        change(&mut second);
        Emulator::start(EmulatorConfig {
            other_accounts: vec![second],
            ..EmulatorConfig::without_demo_data()
        })
        .err()
        .map(|error| error.to_string())
    };
    let firm = clash(|account| account.firms.push((1002, "Taken".to_owned())));
    assert!(firm.expect("refused").contains("1002"));
    assert!(clash(|account| account.login = "demo".to_owned()).is_some());
    assert!(clash(|account| account.api_id = "demo-api-id".to_owned()).is_some());
    assert!(clash(|_| ()).is_none());
}
