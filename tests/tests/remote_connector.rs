//! The remote connector (`serve --http --public-url`) end to end: the real binary as an
//! OAuth 2.1 authorization server for MCP clients, the emulator's Doorkeeper-like OAuth as
//! Facturation.PRO, with two accounts (demo and martin), through the deployment of
//! `harness::remote`: a scripted browser and the MCP client's requests (registration, token
//! requests, calls, refresh and revocation). Every refusal is checked against the emulator's
//! record: nothing reaches it.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig, TestCa};
use facturation_pro_emulator::harness::http_client::{HttpMcpServer, http_request};
use facturation_pro_emulator::harness::https_documents::HttpsDocuments;
use facturation_pro_emulator::harness::remote::*;
use facturation_pro_emulator::harness::{
    ServerSetup, free_port, node, run_sdk_script_at, workspace_root,
};
use serde_json::{Value, json};

#[test]
fn discovery_starts_from_a_401_that_points_to_the_metadata() {
    let deployment = Deployment::start();
    let refused = deployment.call(None, "list_customers", json!({}));
    assert_eq!(refused.status, 401);
    let challenge = refused.header("www-authenticate").unwrap();
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        deployment.public_url.trim_end_matches("/mcp")
    );
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"read write\""), "{challenge}");
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let resource = deployment.get(path, &[]).json();
        assert_eq!(resource["resource"], deployment.public_url.as_str());
        assert_eq!(
            resource["authorization_servers"][0],
            deployment.public_url.trim_end_matches("/mcp")
        );
    }
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let server = deployment.get(path, &[]).json();
        assert_eq!(
            server["issuer"],
            deployment.public_url.trim_end_matches("/mcp")
        );
        assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            server["authorization_response_iss_parameter_supported"],
            true
        );
        assert!(
            server["registration_endpoint"]
                .as_str()
                .unwrap()
                .ends_with("/oauth2/register")
        );
    }
    // A made-up token is no better than none, and nothing reached the API.
    let forged = deployment.call(Some("forged-token"), "list_customers", json!({}));
    assert_eq!(forged.status, 401);
    assert!(
        forged
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert!(
        deployment.emulator.requests().is_empty(),
        "{:?}",
        deployment.emulator.requests()
    );
}

#[test]
fn two_users_each_work_on_their_own_account_only() {
    let deployment = Deployment::start();
    let demo = deployment.sign_in("demo", "write");
    let martin = deployment.sign_in("martin", "write");
    deployment
        .emulator
        .insert_customer(1001, json!({ "company_name": "Client de Demo" }));
    deployment
        .emulator
        .insert_customer(2001, json!({ "company_name": "Client de Martin" }));

    let listed = result(&deployment.martins_customers(&martin.access));
    assert!(text_of(&listed).contains("Client de Martin"), "{listed}");
    assert!(!text_of(&listed).contains("Client de Demo"), "{listed}");
    // Demo's token cannot reach martin's firm: the API refuses it as demo.
    let crossed = result(&deployment.martins_customers(&demo.access));
    assert_eq!(crossed["isError"], true, "{crossed}");
    assert!(
        deployment
            .emulator
            .requests_as("demo")
            .iter()
            .all(|r| r.status != 200 || !r.path.contains("/2001/"))
    );

    let created = result(&deployment.call(
        Some(&martin.access),
        "create_customer",
        json!({ "firm_id": 2001, "company_name": "Nouveau client" }),
    ));
    assert_ne!(created["isError"], true, "{created}");
    let writes: Vec<_> = deployment
        .emulator
        .requests_as("martin")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(writes.len(), 1);
    // No token passthrough: what the API saw is Facturation.PRO's token, not ours.
    let sent = writes[0]
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .unwrap()
        .1
        .clone();
    assert!(
        !sent.contains(&martin.access) && !sent.contains(&demo.access),
        "{sent}"
    );
    // The audit names the user; the two users have distinct ids.
    let audit = deployment.audit();
    let users: Vec<&str> = audit
        .iter()
        .filter_map(|line| line["user"].as_str())
        .collect();
    assert!(
        !users.is_empty() && audit.iter().all(|line| line["user"].is_string()),
        "{audit:?}"
    );
    // Files land in the user's own folder, never a shared one.
    assert!(deployment.downloads().join("users").is_dir());
}

#[test]
fn a_users_downloads_are_theirs_alone() {
    let deployment = Deployment::start();
    let martin = deployment.sign_in("martin", "write");
    let demo = deployment.sign_in("demo", "write");
    let orders = result(&deployment.call(
        Some(&martin.access),
        "list_subscription_orders",
        json!({ "firm_id": 2001 }),
    ));
    let url = orders["structuredContent"]["orders"][0]["invoice_url"]
        .as_str()
        .unwrap()
        .to_string();
    let saved = result(&deployment.call(
        Some(&martin.access),
        "download_subscription_order_pdf",
        json!({ "order_url": url }),
    ));
    let path = PathBuf::from(saved["structuredContent"]["path"].as_str().unwrap());
    // In martin's own folder under the downloads folder, not in the shared one.
    let users = deployment.downloads().join("users");
    assert!(path.starts_with(&users) && path.is_file(), "{path:?}");
    assert_eq!(path.parent().unwrap().parent().unwrap(), users);
    let link = saved["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|block| block["type"] == "resource_link")
        .unwrap_or_else(|| panic!("no resource_link in {saved}"));
    let uri = link["uri"].as_str().unwrap().to_string();
    let read = |token: &str| {
        deployment
            .request(
                Some(token),
                "resources/read",
                json!({ "uri": uri }),
                json!({}),
            )
            .json()
    };
    let own = read(&martin.access);
    assert!(own["result"]["contents"][0]["blob"].is_string(), "{own}");
    // Demo, with the very URI, gets nothing.
    let other = read(&demo.access);
    assert!(
        other.get("error").is_some() && other.get("result").is_none(),
        "{other}"
    );
}

#[test]
fn a_read_only_grant_writes_nothing() {
    let deployment = Deployment::start();
    let reader = deployment.sign_in("martin", "read");
    // Its tools are the reading ones: the writing tools do not exist for it.
    let created = deployment.call(
        Some(&reader.access),
        "create_customer",
        json!({ "firm_id": 2001, "company_name": "Interdit" }),
    );
    let message = created.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("Unknown tool: create_customer"),
        "{message}"
    );
    result(&deployment.martins_customers(&reader.access));
    assert!(
        deployment
            .emulator
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.starts_with("/oauth/"))
    );
}

#[test]
fn refresh_tokens_rotate_and_a_replay_ends_the_sign_in() {
    let deployment = Deployment::start();
    let signed_in = deployment.sign_in("martin", "write");
    let renewed = deployment.refresh(&signed_in, &signed_in.refresh);
    assert_eq!(renewed.status, 200, "{:?}", renewed.json());
    let renewed = renewed.json();
    let new_access = renewed["access_token"].as_str().unwrap();
    assert_ne!(renewed["refresh_token"], signed_in.refresh.as_str());
    // The old access token ended with the rotation; the new one works.
    assert_eq!(deployment.martins_customers(&signed_in.access).status, 401);
    result(&deployment.martins_customers(new_access));
    // The spent refresh token, presented again (stolen), revokes the whole sign-in.
    let replayed = deployment.refresh(&signed_in, &signed_in.refresh);
    assert_eq!(
        (replayed.status, replayed.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(deployment.martins_customers(new_access).status, 401);
    // Revocation (RFC 7009) of a fresh sign-in's refresh token ends its access token too.
    let again = deployment.sign_in("martin", "write");
    let revoked = deployment.post_form(
        "/oauth2/revoke",
        &[],
        &[("token", &again.refresh), ("client_id", &again.client_id)],
    );
    assert_eq!(revoked.status, 200);
    assert_eq!(deployment.martins_customers(&again.access).status, 401);
}

#[test]
fn access_revoked_at_facturation_pro_makes_the_client_sign_in_again() {
    let deployment = Deployment::start();
    let signed_in = deployment.sign_in("martin", "write");
    assert!(deployment.emulator.revoke_oauth_access("martin") > 0);
    let before = deployment.emulator.requests().len();
    let refused = deployment.call(
        Some(&signed_in.access),
        "create_customer",
        json!({ "firm_id": 2001, "company_name": "Après révocation" }),
    );
    assert_eq!(
        refused.status,
        401,
        "{:?}",
        String::from_utf8_lossy(&refused.body)
    );
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    // The refused write reached the API once, got 401 there, and was not retried as a write.
    let after: Vec<_> = deployment.emulator.requests()[before..].to_vec();
    assert!(
        after
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("customers"))
            .all(|r| r.status == 401),
        "{after:?}"
    );
    assert_eq!(deployment.martins_customers(&signed_in.access).status, 401);
    // Signing in again works, as the same user.
    let back = deployment.sign_in("martin", "write");
    result(&deployment.martins_customers(&back.access));
}

#[test]
fn a_confirmation_asked_of_one_user_cannot_be_answered_by_another() {
    let deployment = Deployment::start();
    let demo = deployment.sign_in("demo", "write");
    let martin = deployment.sign_in("martin", "write");
    let customer = deployment
        .emulator
        .insert_customer(2001, json!({ "company_name": "À supprimer" }));
    let answered = answered_delete(&deployment, &martin, customer);
    // Demo holds martin's question and answer: it does not act.
    let stolen = deployment.call_with(Some(&demo.access), answered.clone(), can_be_asked());
    let message = stolen.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("its seal does not verify"), "{message}");
    assert_eq!(deletes(&deployment), 0);
    // Martin's own answer goes ahead, once.
    let done = result(&deployment.call_with(Some(&martin.access), answered, can_be_asked()));
    assert_ne!(done["isError"], true, "{done}");
    assert_eq!(deletes(&deployment), 1);
}

#[test]
fn an_answered_confirmation_does_not_act_again_after_a_restart() {
    let mut deployment = Deployment::start_with(|setup| {
        setup.with_env("FACTURATION_STATE_KEY", "a key kept across restarts")
    });
    let martin = deployment.sign_in("martin", "write");
    let customer = deployment
        .emulator
        .insert_customer(2001, json!({ "company_name": "À supprimer" }));
    let answered = answered_delete(&deployment, &martin, customer);
    result(&deployment.call_with(Some(&martin.access), answered.clone(), can_be_asked()));
    deployment.restart();
    let replayed = result(&deployment.call_with(Some(&martin.access), answered, can_be_asked()));
    assert_eq!(
        replayed["resultType"], "input_required",
        "asked again, not done: {replayed}"
    );
    assert_eq!(deletes(&deployment), 1);
}

#[test]
fn a_sign_in_link_sent_to_another_browser_grants_nothing() {
    let deployment = Deployment::start();
    // Someone consents in their own browser, for a client of their own...
    let attacker = deployment.register(CLIENT_REDIRECT);
    let page = deployment.get(
        &deployment.authorize_path(&attacker, &pkce().1, "write"),
        &[],
    );
    let consent_cookie = page.set_cookie();
    let html = String::from_utf8(page.body.clone()).unwrap();
    let request = between(&html, "name=\"request\" value=\"", "\"");
    let consented = deployment.post_form(
        "/oauth2/authorize",
        &[("Cookie", consent_cookie)],
        &[
            ("request", &request),
            ("access", "write"),
            ("decision", "allow"),
        ],
    );
    assert_eq!(consented.status, 302);
    let their_cookie = consented.set_cookie();
    // ...and sends the link to Facturation.PRO's sign-in to martin, who is signed in there.
    let link = consented.header("location").unwrap().to_string();
    let (address, path) = split_url(&link);
    let signed_in = http_request(
        address,
        "GET",
        &path,
        &[("Cookie", "emulator_login=martin")],
        b"",
    );
    assert_eq!(signed_in.status, 302);
    let callback = signed_in.header("location").unwrap().to_string();
    let (address, path) = split_url(&callback);
    // Martin's browser has no proof of that consent, and a made-up one is no better.
    for cookie in [None, Some("fpm_sign_in=AAAA"), Some(consent_cookie)] {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        let back = http_request(address, "GET", &path, &headers, b"");
        assert_eq!((back.status, back.header("location")), (400, None));
    }
    // The sign-in is over: carried back to the browser that consented, it grants nothing.
    let carried = http_request(address, "GET", &path, &[("Cookie", their_cookie)], b"");
    assert_eq!((carried.status, carried.header("location")), (400, None));
    assert!(
        deployment.emulator.oauth_tokens().is_empty(),
        "martin's code was never redeemed: {:?}",
        deployment.emulator.oauth_tokens()
    );
}

#[test]
fn wrong_pkce_replayed_codes_foreign_redirects_and_forms_without_the_cookie_are_refused() {
    let deployment = Deployment::start();
    let client_id = deployment.register(CLIENT_REDIRECT);
    // A redirect URI the client did not register: a page of ours, never a redirect.
    let path = deployment
        .authorize_path(&client_id, &pkce().1, "read")
        .replace("client-callback", "elsewhere");
    let foreign = deployment.get(&path, &[]);
    assert_eq!((foreign.status, foreign.header("location")), (400, None));
    // A resource other than this server: back to the client with invalid_target.
    let path = deployment
        .authorize_path(&client_id, &pkce().1, "read")
        .replace("%2Fmcp", "%2Fother");
    let target = deployment.get(&path, &[]);
    assert_eq!(
        query_of(target.header("location").unwrap())["error"],
        "invalid_target"
    );
    // Without PKCE, or with a challenge that cannot be a SHA-256 in base64url (the
    // right length, other characters): invalid_request.
    for challenge in ["", &"+/".repeat(21), &format!("{}=", &pkce().1[..42])] {
        let path = deployment.authorize_path(&client_id, challenge, "read");
        let plain = deployment.get(&path, &[]);
        assert_eq!(
            query_of(plain.header("location").unwrap())["error"],
            "invalid_request",
            "{challenge:?}"
        );
    }
    // The consent form posted from elsewhere (no cookie of this browser): refused.
    let page = deployment.get(
        &deployment.authorize_path(&client_id, &pkce().1, "read"),
        &[],
    );
    let html = String::from_utf8(page.body.clone()).unwrap();
    let request = between(&html, "name=\"request\" value=\"", "\"");
    let forged = deployment.post_form(
        "/oauth2/authorize",
        &[],
        &[("request", &request), ("decision", "allow")],
    );
    assert_eq!((forged.status, forged.header("location")), (400, None));
    assert!(
        deployment.emulator.requests().is_empty(),
        "{:?}",
        deployment.emulator.requests()
    );

    // A wrong verifier spends the code; the right one cannot use it afterwards.
    let (verifier, challenge) = pkce();
    let landed = deployment.browse(
        &deployment.authorize_path(&client_id, &challenge, "read"),
        "demo",
        "read",
    );
    let code = query_of(&landed)["code"].clone();
    let tokens_before = deployment.emulator.oauth_tokens().len();
    let wrong = deployment.redeem(&client_id, &code, &pkce().0);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    let replayed = deployment.redeem(&client_id, &code, &verifier);
    assert_eq!(replayed.json()["error"], "invalid_grant");
    // Another client presenting a code: refused as well.
    let landed = deployment.browse(
        &deployment.authorize_path(&client_id, &challenge, "read"),
        "demo",
        "read",
    );
    let other = deployment.register(CLIENT_REDIRECT);
    let stolen = deployment.redeem(&other, &query_of(&landed)["code"], &verifier);
    assert_eq!(stolen.json()["error"], "invalid_grant");
    assert_eq!(
        deployment.emulator.oauth_tokens().len(),
        tokens_before + 1,
        "only the second sign-in reached Facturation.PRO"
    );
}

#[test]
fn a_code_presented_again_ends_the_tokens_it_was_redeemed_for() {
    let deployment = Deployment::start();
    let client_id = deployment.register(CLIENT_REDIRECT);
    let (verifier, challenge) = pkce();
    let landed = deployment.browse(
        &deployment.authorize_path(&client_id, &challenge, "read write"),
        "martin",
        "write",
    );
    let code = query_of(&landed)["code"].clone();
    let tokens = deployment.redeem(&client_id, &code, &verifier).json();
    let signed_in = SignedIn {
        access: tokens["access_token"].as_str().unwrap().to_string(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_string(),
        client_id: client_id.clone(),
    };
    // A refresh in between: the chain that grew from the code goes with it.
    let renewed = deployment.refresh(&signed_in, &signed_in.refresh).json();
    let access = renewed["access_token"].as_str().unwrap();
    let refresh = renewed["refresh_token"].as_str().unwrap();
    result(&deployment.martins_customers(access));

    // The code comes back (intercepted on its way to the client, or replayed from a log):
    // refused, and what it bought is revoked, access and refresh tokens alike.
    let replayed = deployment.redeem(&client_id, &code, &verifier);
    assert_eq!(
        (replayed.status, replayed.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(deployment.martins_customers(access).status, 401);
    let refreshed = deployment.refresh(&signed_in, refresh);
    assert_eq!(refreshed.json()["error"], "invalid_grant");

    // Another sign-in of the same user is untouched by it.
    let other = deployment.sign_in("martin", "write");
    let made_up = deployment.redeem(&client_id, "never-issued-code", &verifier);
    assert_eq!(made_up.json()["error"], "invalid_grant");
    result(&deployment.martins_customers(&other.access));

    // A verifier RFC 7636 does not allow (a space among 43 characters) redeems nothing,
    // even when its challenge was the one sent.
    let odd_verifier = format!("{} ", &pkce().0[..42]);
    let landed = deployment.browse(
        &deployment.authorize_path(&client_id, &challenge_of(&odd_verifier), "read"),
        "martin",
        "read",
    );
    let odd = deployment.redeem(&client_id, &query_of(&landed)["code"], &odd_verifier);
    assert_eq!(odd.json()["error"], "invalid_grant");
}

#[test]
fn a_client_known_by_its_metadata_document_signs_in_and_the_document_is_cached() {
    let ca = TestCa::new().unwrap();
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    ca.write_pem(ca_file.path()).unwrap();
    let documents = HttpsDocuments::serve(&ca, |base| {
        vec![
            (
                "/client.json",
                json!({ "client_id": format!("{base}/client.json"),
                "client_name": "Document client", "redirect_uris": [CLIENT_REDIRECT],
                "token_endpoint_auth_method": "none" })
                .to_string(),
            ),
            (
                "/liar.json",
                json!({ "client_id": "https://someone-else.example/client.json",
                "redirect_uris": [CLIENT_REDIRECT] })
                .to_string(),
            ),
        ]
    });
    let client_id = documents.url("/client.json");
    let deployment = Deployment::start_with(|setup| {
        setup.with_env("FACTURATION_CA_FILE", &ca_file.path().display().to_string())
    });
    let signed_in = deployment.sign_in_as(&client_id, "martin", "write");
    result(&deployment.martins_customers(&signed_in.access));
    let again = deployment.sign_in_as(&client_id, "martin", "read");
    result(&deployment.martins_customers(&again.access));
    assert_eq!(documents.fetches(), 1, "the document is cached");
    // A document that is not its own URL's, or a redirect URI it does not list: refused.
    let liar = deployment.get(
        &deployment.authorize_path(&documents.url("/liar.json"), &pkce().1, "read"),
        &[],
    );
    assert_eq!((liar.status, liar.header("location")), (400, None));
    let path = deployment
        .authorize_path(&client_id, &pkce().1, "read")
        .replace("client-callback", "elsewhere");
    let foreign = deployment.get(&path, &[]);
    assert_eq!((foreign.status, foreign.header("location")), (400, None));
}

#[test]
fn quotas_are_counted_per_facturation_pro_account() {
    let mut deployment =
        Deployment::start_with(|setup| setup.with_env("FACTURATION_REQUESTS_PER_DAY", "3"));
    let martin = deployment.sign_in("martin", "write");
    let demo = deployment.sign_in("demo", "write");
    for _ in 0..3 {
        result(&deployment.martins_customers(&martin.access));
    }
    let spent = result(&deployment.martins_customers(&martin.access));
    assert_eq!(spent["isError"], true, "{spent}");
    assert!(text_of(&spent).contains("quota"), "{spent}");
    let listings = deployment
        .emulator
        .requests_as("martin")
        .into_iter()
        .filter(|request| request.path.ends_with("/customers.json"))
        .count();
    assert_eq!(listings, 3, "the fourth call never left");
    // Counted in the store: a restart gives no fresh quota.
    deployment.restart();
    let still = result(&deployment.martins_customers(&martin.access));
    assert!(text_of(&still).contains("quota"), "{still}");
    // Martin's quota is his own: demo still has all of theirs.
    let listed = result(&deployment.call(
        Some(&demo.access),
        "list_customers",
        json!({ "firm_id": 1001 }),
    ));
    assert_ne!(listed["isError"], true, "{listed}");
}

#[test]
fn many_calls_refused_with_an_expired_upstream_token_refresh_it_once() {
    let deployment = Deployment::start();
    let martin = deployment.sign_in("martin", "write");
    deployment.emulator.expire_access_tokens();
    let before = deployment.emulator.oauth_refresh_count();
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| deployment.martins_customers(&martin.access)))
            .collect();
        for call in calls {
            let listed = result(&call.join().unwrap());
            assert_ne!(listed["isError"], true, "{listed}");
        }
    });
    assert_eq!(
        deployment.emulator.oauth_refresh_count() - before,
        1,
        "one refresh for the user"
    );
}

#[test]
fn tokens_are_bound_to_the_public_url_they_were_issued_for() {
    let mut deployment = Deployment::start();
    let martin = deployment.sign_in("martin", "write");
    result(&deployment.martins_customers(&martin.access));
    deployment.move_to_another_url();
    let moved = deployment.martins_customers(&martin.access);
    assert_eq!(
        moved.status, 401,
        "a token for the old URL is another audience's"
    );
    let refreshed = deployment.refresh(&martin, &martin.refresh);
    assert_eq!(refreshed.json()["error"], "invalid_grant");
    // Signing in again at the new URL works.
    let again = deployment.sign_in("martin", "write");
    result(&deployment.martins_customers(&again.access));
}

#[test]
fn a_misconfigured_remote_connector_does_not_start_and_names_the_setting() {
    let emulator = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let base = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"))
        .without_env("FACTURATION_API_ID")
        .without_env("FACTURATION_API_KEY")
        .without_env("FACTURATION_FIRM_ID")
        .with_env("FACTURATION_OAUTH_CLIENT_ID", APP_ID)
        .with_env("FACTURATION_OAUTH_CLIENT_SECRET", APP_SECRET)
        .with_env("FACTURATION_STORE_KEY", STORE_KEY)
        .with_env(
            "XDG_CONFIG_HOME",
            &home.path().join("config").display().to_string(),
        );
    let url = "http://127.0.0.1:8750/mcp";
    let cases: Vec<(ServerSetup, &str, &str)> = vec![
        (
            base.clone().without_env("FACTURATION_STORE_KEY"),
            url,
            "FACTURATION_STORE_KEY is not set",
        ),
        (
            base.clone().with_env("FACTURATION_STORE_KEY", "c2hvcnQ="),
            url,
            "decodes to 5 bytes",
        ),
        (
            base.clone().without_env("FACTURATION_OAUTH_CLIENT_SECRET"),
            url,
            "FACTURATION_OAUTH_CLIENT_SECRET",
        ),
        (
            base.clone()
                .with_env("FACTURATION_HTTP_TOKEN", "x".repeat(40).as_str()),
            url,
            "FACTURATION_HTTP_TOKEN is for one user",
        ),
        (
            base.clone().with_env("FACTURATION_FIRM_ID", "1001"),
            url,
            "FACTURATION_FIRM_ID is for one user",
        ),
        (
            base.clone(),
            "http://mcp.example.fr/mcp",
            "must be https://",
        ),
        (base.clone(), "https://mcp.example.fr/", "ending in /mcp"),
    ];
    for (setup, public_url, expected) in cases {
        let (status, said) = HttpMcpServer::try_serve(
            &setup,
            &["--http", "127.0.0.1:0", "--public-url", public_url],
        )
        .err()
        .unwrap_or_else(|| panic!("started despite {expected:?}"));
        assert_eq!(status.code(), Some(2), "{said}");
        assert!(said.contains(expected), "{expected:?} not in: {said}");
        assert!(
            !said.contains(STORE_KEY) && !said.contains(APP_SECRET),
            "{said}"
        );
    }
    assert!(emulator.requests().is_empty());
}

// ---- the official conformance suite's authorization-server scenarios ---------------------

/// Runs both `conformance authorization` scenarios against the deployment (the code grant
/// reads what the metadata scenario found, so they run together); every check made.
fn conformance_authorization(
    deployment: &Deployment,
    extra: &[&str],
    browser: impl FnOnce(&str),
) -> Vec<Value> {
    let out = tempfile::tempdir().unwrap();
    let suite = workspace_root().join(
        "target/tools/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js",
    );
    assert!(
        suite.is_file(),
        "the conformance suite is missing: run scripts/install-test-tools.sh"
    );
    let issuer = deployment.public_url.trim_end_matches("/mcp").to_string();
    let mut child = Command::new(node())
        .arg(&suite)
        .args(["authorization", "--url", &issuer, "-o"])
        .arg(out.path())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the conformance suite");
    let mut said = String::new();
    let mut browser = Some(browser);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        said.push_str(&line);
        said.push('\n');
        // The code grant prints the authorization URL for a person to open.
        if let Some(path) = line.trim().strip_prefix(&issuer)
            && path.starts_with("/oauth2/authorize?")
            && let Some(browser) = browser.take()
        {
            browser(path);
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "the suite failed ({status}): {said}");
    let mut checks = Vec::new();
    for scenario in std::fs::read_dir(out.path()).unwrap() {
        let file = scenario.unwrap().path().join("checks.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("no {}: {said}", file.display()));
        checks.extend(serde_json::from_str::<Vec<Value>>(&text).unwrap());
    }
    checks
}

#[test]
fn the_conformance_suite_finds_the_metadata_and_the_code_grant_faultless() {
    let deployment = Deployment::start();
    // The suite plays a client with its own callback server on a port of its own, which a
    // loopback redirect URI registered without a port admits.
    let port = free_port();
    let client_id = deployment.register("http://127.0.0.1/callback");
    let port_text = port.to_string();
    let checks = conformance_authorization(
        &deployment,
        &[
            "--client-id",
            &client_id,
            "--port",
            &port_text,
            "--resource",
            &deployment.public_url,
        ],
        |path| {
            let landed = deployment.browse(path, "martin", "write");
            let (address, path) = split_url(&landed);
            assert_eq!(address.port(), port, "{landed}");
            // The suite may print the URL a moment before its callback server listens.
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(address).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            http_request(address, "GET", &path, &[], b"");
        },
    );
    for id in ["authorization-server-metadata", "authorization-code-grant"] {
        assert!(
            checks.iter().any(|check| check["id"] == id),
            "no {id} in {checks:#?}"
        );
    }
    // Every check passes, and none warns (a warning is a SHOULD this server missed).
    for check in &checks {
        assert_eq!(check["status"], "SUCCESS", "{check:#}");
    }
}

// ---- the official SDKs' OAuth clients --------------------------------------------------

/// Two users sign in through one SDK's OAuth client, each at once after the other; each
/// sees their own firm's customers only.
fn sdk_sign_ins(script: &str, mode: &str) {
    let deployment = Deployment::start();
    deployment
        .emulator
        .insert_customer(1001, json!({ "company_name": "Client de Demo" }));
    deployment
        .emulator
        .insert_customer(2001, json!({ "company_name": "Client de Martin" }));
    for (login, firm, own, other) in [
        ("martin", 2001, "Client de Martin", "Client de Demo"),
        ("demo", 1001, "Client de Demo", "Client de Martin"),
    ] {
        let spec = json!({ "mode": mode, "login": login, "firm_id": firm });
        let summary = run_sdk_script_at(script, &deployment.server, &deployment.public_url, spec);
        assert_eq!(summary["sign_ins"], 1, "{summary}");
        assert!(summary["tools"].as_u64().unwrap() > 50, "{summary}");
        let customers = summary["customers"].as_str().unwrap();
        assert!(
            customers.contains(own) && !customers.contains(other),
            "{summary}"
        );
        assert!(!deployment.emulator.requests_as(login).is_empty());
    }
}

#[test]
fn the_python_sdk_signs_two_users_in() {
    sdk_sign_ins("python_oauth_client.py", "auto");
}

#[test]
fn the_typescript_sdk_signs_two_users_in() {
    sdk_sign_ins("typescript_oauth_client.mjs", "legacy");
}
