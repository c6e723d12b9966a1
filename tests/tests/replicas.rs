//! Interchangeable replicas: several processes of the real binary as one remote connector,
//! sharing one PostgreSQL store (a real server, Debian's, made for each test) and one public
//! URL, with no stickiness. What one replica issues or records holds on the others: tokens,
//! a spent refresh token, an answered confirmation, an account's quota, the audit log. Every verdict comes
//! from what the clients received, what the emulator recorded, and the database itself.

use std::collections::BTreeSet;

use std::time::Duration;

use facturation_pro_emulator::emulator::Fault;
use facturation_pro_emulator::harness::http_client::{HttpEndpoint, HttpMcpServer};
use facturation_pro_emulator::harness::postgres::{PASSWORD, TestPostgres};
use facturation_pro_emulator::harness::remote::*;
use facturation_pro_emulator::harness::workspace_root;
use serde_json::{Value, json};

/// A deployment of `replicas` processes on one new PostgreSQL store.
fn on_postgres(postgres: &TestPostgres, replicas: usize, per_day: &str) -> Deployment {
    let mut deployment = Deployment::start_with(|setup| {
        setup
            .with_env("FACTURATION_STORE", &postgres.url())
            // Every replica must verify the confirmations the others seal.
            .with_env("FACTURATION_STATE_KEY", "one key for every replica")
            .with_env("FACTURATION_REQUESTS_PER_DAY", per_day)
    });
    for _ in 1..replicas {
        deployment.add_replica();
    }
    deployment
}

#[test]
fn a_sign_in_a_confirmation_and_a_spent_refresh_token_hold_on_every_replica() {
    let postgres = TestPostgres::start().unwrap();
    let deployment = on_postgres(&postgres, 3, "10000");
    // Signed in through the first replica, served by the others.
    let martin = deployment.via(0).sign_in("martin", "write");
    for replica in [1, 2] {
        let listed = result(&deployment.via(replica).martins_customers(&martin.access));
        assert_ne!(listed["isError"], true, "replica {replica}: {listed}");
    }
    // In the database, the tokens are hashes only.
    let stored = postgres.query("SELECT token_hash FROM tokens").unwrap();
    assert_eq!(
        stored.lines().count(),
        2,
        "an access and a refresh token: {stored}"
    );
    assert!(!stored.contains(&martin.access) && !stored.contains(&martin.refresh));

    // Asked on the second, answered on the third, replayed on the first: it acts once.
    let customer = deployment
        .emulator
        .insert_customer(2001, json!({ "company_name": "À supprimer" }));
    let answered = answered_delete(deployment.via(1), &martin, customer);
    let done = result(&deployment.via(2).call_with(
        Some(&martin.access),
        answered.clone(),
        can_be_asked(),
    ));
    assert_ne!(done["isError"], true, "{done}");
    let replayed = result(&deployment.via(0).call_with(
        Some(&martin.access),
        answered,
        can_be_asked(),
    ));
    assert_eq!(replayed["resultType"], "input_required", "{replayed}");
    assert_eq!(deletes(&deployment), 1, "one delete, whichever replica");

    // A creation through each replica: every write is in the one audit log, the store's.
    for replica in 0..3 {
        let created = result(&deployment.via(replica).call(
            Some(&martin.access),
            "create_customer",
            json!({ "firm_id": 2001, "company_name": format!("Réplique {replica}") }),
        ));
        assert_ne!(created["isError"], true, "{created}");
    }
    let writes = postgres
        .query(
            "SELECT write_id, string_agg(event, ',' ORDER BY event DESC) FROM audit_events
             GROUP BY write_id",
        )
        .unwrap();
    assert_eq!(
        writes.lines().count(),
        4,
        "three creations and the delete: {writes}"
    );
    assert!(
        writes
            .lines()
            .all(|line| line.ends_with("|sending,answered")),
        "{writes}"
    );
    let users = postgres
        .query("SELECT DISTINCT user_id FROM audit_events")
        .unwrap();
    assert_eq!(users.lines().count(), 1, "each line names martin: {users}");

    // A refresh token spent on one replica is a replay on another, which ends the sign-in.
    let renewed = deployment.via(1).refresh(&martin, &martin.refresh);
    assert_eq!(renewed.status, 200, "{:?}", renewed.json());
    let new_access = renewed.json()["access_token"].as_str().unwrap().to_string();
    result(&deployment.via(0).martins_customers(&new_access));
    let replay = deployment.via(2).refresh(&martin, &martin.refresh);
    assert_eq!(
        (replay.status, replay.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for replica in 0..3 {
        assert_eq!(
            deployment
                .via(replica)
                .martins_customers(&new_access)
                .status,
            401,
            "replica {replica}"
        );
    }
    // Nothing from the store reached a log in clear: the database's password included.
    for server in std::iter::once(&deployment.server).chain(&deployment.replicas) {
        let said = server.stderr();
        assert!(!said.contains(PASSWORD), "{said}");
        assert!(!said.contains(&martin.access), "{said}");
    }
}

#[test]
fn replicas_racing_for_an_accounts_last_requests_of_the_day_send_no_more_than_the_quota() {
    let postgres = TestPostgres::start().unwrap();
    let deployment = on_postgres(&postgres, 3, "6");
    // Two accounts race at once: two last slots to fight over.
    let users = [
        (deployment.sign_in("martin", "write"), 2001),
        (deployment.sign_in("demo", "write"), 1001),
    ];
    let call = |n: usize| {
        let (user, firm) = &users[n % 2];
        post_mcp(
            deployment.address_of(n % 3),
            Some(&user.access),
            "tools/call",
            json!({ "name": "list_customers", "arguments": { "firm_id": firm } }),
            json!({}),
            &[],
        )
    };
    // Forty-two calls let go together, seven per account through each replica.
    let start = std::sync::Barrier::new(42);
    let answers: Vec<_> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..42)
            .map(|n| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    call(n)
                })
            })
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    let refused = answers
        .iter()
        .map(result)
        .filter(|answer| answer["isError"] == true && text_of(answer).contains("quota"))
        .count();
    for login in ["martin", "demo"] {
        let listings = deployment
            .emulator
            .requests_as(login)
            .into_iter()
            .filter(|request| request.path.ends_with("/customers.json"))
            .count();
        assert_eq!(
            listings, 6,
            "{login}: no more than the quota, across the replicas"
        );
    }
    assert_eq!(refused, 42 - 12);
    let counted = postgres
        .query("SELECT account, COUNT(*) FROM quota_requests GROUP BY account")
        .unwrap();
    assert_eq!(counted.lines().count(), 2, "{counted}");
    assert!(
        counted.lines().all(|line| line.ends_with("|6")),
        "{counted}"
    );
}

/// `create_customer` of martin's firm through `replica`, named by `key` when given.
fn create(deployment: &Deployment, replica: usize, user: &SignedIn, key: Option<&str>) -> Value {
    let headers: Vec<(&str, &str)> = key
        .map(|key| ("Idempotency-Key", key))
        .into_iter()
        .collect();
    result(&post_mcp(
        deployment.address_of(replica),
        Some(&user.access),
        "tools/call",
        json!({ "name": "create_customer",
            "arguments": { "firm_id": 2001, "company_name": "Nouvelle SARL" } }),
        json!({}),
        &headers,
    ))
}

/// How many customers were created at the API.
fn creations(deployment: &Deployment) -> usize {
    deployment
        .emulator
        .requests()
        .iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/customers.json"))
        .count()
}

#[test]
fn a_call_retried_on_another_replica_with_its_idempotency_key_writes_once() {
    let postgres = TestPostgres::start().unwrap();
    let mut deployment = on_postgres(&postgres, 3, "10000");
    let martin = deployment.sign_in("martin", "write");

    // Answered on the first replica; retried on the second, it is not made again, and the
    // answer says what the first attempt got.
    let first = create(&deployment, 0, &martin, Some("call-1"));
    assert_ne!(first["isError"], true, "{first}");
    let id = first["structuredContent"]["id"].as_u64().unwrap();
    let retried = create(&deployment, 1, &martin, Some("call-1"));
    assert_eq!(retried["isError"], true, "{retried}");
    let said = text_of(&retried);
    assert!(
        said.contains("made before") && said.contains("HTTP 201"),
        "{said}"
    );
    assert!(said.contains(&format!("record {id}")), "{said}");
    assert_eq!(creations(&deployment), 1);

    // The replica dies while the API handles the write: the retry cannot know whether it
    // was done, says so, and sends nothing.
    deployment.emulator.inject(Fault::Slow {
        times: 1,
        delay: Duration::from_secs(3),
    });
    std::thread::scope(|scope| {
        let doomed = scope.spawn(|| {
            let headers = [("Idempotency-Key", "call-2")];
            post_mcp(
                deployment.address_of(2),
                Some(&martin.access),
                "tools/call",
                json!({ "name": "create_customer",
                    "arguments": { "firm_id": 2001, "company_name": "Nouvelle SARL" } }),
                json!({}),
                &headers,
            )
        });
        while creations(&deployment) < 2 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &deployment.replicas[1].pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = doomed.join();
    });
    deployment.replicas[1].stop();
    let unknown = create(&deployment, 1, &martin, Some("call-2"));
    assert_eq!(unknown["isError"], true, "{unknown}");
    let said = text_of(&unknown);
    assert!(said.contains("may or may not"), "{said}");
    assert_eq!(creations(&deployment), 2, "the retry sent nothing");

    // Keys are each user's own, and a call without one is a new call each time.
    let demo = deployment.sign_in("demo", "write");
    let theirs = result(&post_mcp(
        deployment.address_of(0),
        Some(&demo.access),
        "tools/call",
        json!({ "name": "create_customer",
            "arguments": { "firm_id": 1001, "company_name": "Autre SARL" } }),
        json!({}),
        &[("Idempotency-Key", "call-1")],
    ));
    assert_ne!(theirs["isError"], true, "{theirs}");
    for _ in 0..2 {
        let plain = create(&deployment, 0, &martin, None);
        assert_ne!(plain["isError"], true, "{plain}");
    }
    assert_eq!(creations(&deployment), 5);
    // The refusals are in the audit log, naming why.
    let refused = postgres
        .query("SELECT count(*) FROM audit_events WHERE event = 'refused' AND line LIKE '%Idempotency-Key%'")
        .unwrap();
    assert_eq!(refused, "2");
}

#[test]
fn replicas_starting_together_apply_the_schema_once_and_a_lost_database_makes_them_unready() {
    let mut postgres = TestPostgres::start().unwrap();
    // Three processes on a new database at once: each waits its turn at the migrations.
    let mut deployment =
        Deployment::start_with(|setup| setup.with_env("FACTURATION_STORE", &postgres.url()));
    let racing: Vec<HttpMcpServer> = std::thread::scope(|scope| {
        let started: Vec<_> = (0..3)
            .map(|_| {
                let setup = deployment.setup.clone();
                let public_url = deployment.public_url.clone();
                scope.spawn(move || {
                    HttpMcpServer::serve(
                        &setup,
                        &["--http", "127.0.0.1:0", "--public-url", &public_url],
                    )
                })
            })
            .collect();
        started
            .into_iter()
            .map(|server| server.join().unwrap())
            .collect()
    });
    // Each migration once: one row per file, none twice.
    let applied = postgres
        .query("SELECT version FROM schema_migrations")
        .unwrap();
    let versions: BTreeSet<&str> = applied.lines().collect();
    let migrations = std::fs::read_dir(workspace_root().join("host/src/store/migrations"))
        .unwrap()
        .count();
    assert_eq!(applied.lines().count(), migrations, "{applied}");
    assert_eq!(versions.len(), migrations, "{applied}");
    deployment.replicas.extend(racing);

    let martin = deployment.sign_in("martin", "write");
    let ready = |replica: usize| {
        let server = &deployment.replicas[replica];
        server.send("GET", "/readyz", &[], b"").status
    };
    assert_eq!(ready(0), 200);
    postgres.stop();
    // Without its database a replica is alive but not ready, and a call does nothing.
    let before = deployment.emulator.requests().len();
    assert_eq!(ready(0), 503);
    assert_eq!(
        deployment.replicas[0]
            .send("GET", "/healthz", &[], b"")
            .status,
        200
    );
    let refused = deployment.via(1).martins_customers(&martin.access);
    assert!(refused.status >= 500, "{}", refused.status);
    assert_eq!(deployment.emulator.requests().len(), before);
    // The database back, the same replica is ready and serves the same token again.
    postgres.resume().unwrap();
    assert_eq!(ready(0), 200);
    result(&deployment.via(1).martins_customers(&martin.access));
    for server in &deployment.replicas {
        assert!(!server.stderr().contains(PASSWORD), "{}", server.stderr());
    }
}

#[test]
fn a_wrong_database_password_stops_the_start_and_is_never_shown() {
    let postgres = TestPostgres::start().unwrap();
    let wrong = "a-wrong-password-9d4f";
    let deployment = Deployment::start_with(|setup| setup);
    let setup = deployment
        .setup
        .clone()
        .with_env("FACTURATION_STORE", &postgres.url_with_password(wrong));
    let (status, said) = HttpMcpServer::try_serve(
        &setup,
        &[
            "--http",
            "127.0.0.1:0",
            "--public-url",
            &deployment.public_url,
        ],
    )
    .err()
    .expect("the server must not start");
    assert!(!status.success());
    assert!(said.contains("FACTURATION_STORE"), "{said}");
    assert!(!said.contains(wrong) && !said.contains(PASSWORD), "{said}");
}
