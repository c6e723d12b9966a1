//! The remote connector as an operator runs it past one machine, on this one: three replicas
//! on one PostgreSQL store behind HAProxy (both Debian's), all on loopback. wrk, a load
//! generator we did not write, keeps a few hundred connections busy through the balancer
//! while one replica is killed at the worst moment (a write it sent is being answered) and
//! started again. Meanwhile clients keep creating customers, retrying with their
//! `Idempotency-Key` when their replica dies, and a user's answered confirmation is replayed
//! on every replica. The verdicts come from the emulator's record and the database.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use facturation_pro_emulator::emulator::Fault;
use facturation_pro_emulator::harness::cluster::{Cluster, StoreKind};
use facturation_pro_emulator::harness::http_client::HttpReply;
use facturation_pro_emulator::harness::load::Load;
use facturation_pro_emulator::harness::remote::*;
use serde_json::{Value, json};

/// Martin's requests per day, which the load uses up within its first second.
const QUOTA: usize = 400;
/// Clients creating customers in the demo firm while the load runs.
const WRITERS: usize = 6;
/// A guard against hanging, not a measure.
const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn three_replicas_behind_haproxy_keep_every_promise_under_load_while_one_is_killed() {
    let mut cluster = Cluster::start(StoreKind::Postgres, 3, Deployment::api(), |setup| {
        setup.with_env("FACTURATION_REQUESTS_PER_DAY", &QUOTA.to_string())
    })
    .unwrap();
    let martin = cluster.deployment.sign_in("martin", "read");
    let demo = cluster.deployment.sign_in("demo", "write");
    let before = cluster.deployment.emulator.requests().len();

    // The load: martin's customers, over and over, from 200 connections.
    let request = modern_request(
        Some(&martin.access),
        "tools/call",
        json!({ "name": "list_customers", "arguments": { "firm_id": 2001 } }),
        json!({}),
    );
    let load = Load {
        target: cluster.balancer.address(),
        path: "/mcp",
        requests: std::slice::from_ref(&request),
        connections: 200,
        // A bound, not the measure: the load is stopped once the replica is back.
        duration: Duration::from_secs(60),
    };
    let writing = AtomicBool::new(true);
    let told_unknown = AtomicUsize::new(0);
    let (report, created, killed) = std::thread::scope(|scope| {
        let load = load.start().unwrap();
        let balancer = cluster.balancer.address();
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (demo, writing, told_unknown) = (&demo, &writing, &told_unknown);
                scope.spawn(move || {
                    write_until_stopped(balancer, demo, writer, writing, told_unknown)
                })
            })
            .collect();

        // Once martin's quota is spent, the writers' requests are the only ones that reach
        // the API: the next one is held there for 3 s after it is carried out, and the
        // replica that sent it is killed meanwhile.
        wait_for("martin's quota to be used up", || {
            martins_requests(&cluster, before) >= QUOTA
        });
        let injected_at = cluster.deployment.emulator.requests().len();
        cluster.deployment.emulator.inject(Fault::Slow {
            times: 1,
            delay: Duration::from_secs(3),
        });
        wait_for("a write to be held at the API", || {
            cluster.deployment.emulator.requests().len() > injected_at
        });
        std::thread::sleep(Duration::from_millis(300));
        let (holder, pid) = replica_holding_an_unanswered_write(&cluster);
        cluster.deployment.kill(holder);
        std::thread::sleep(Duration::from_secs(1));
        cluster.deployment.revive(holder);
        std::thread::sleep(Duration::from_millis(500));
        writing.store(false, Ordering::SeqCst);
        let created: Vec<String> = writers
            .into_iter()
            .flat_map(|writer| writer.join().unwrap())
            .collect();
        (load.stop().unwrap(), created, (holder, pid))
    });
    let (killed, killed_pid) = killed;

    // The load was real, and the kill cut into it: the requests in flight on the killed
    // replica got a 502 from the balancer or had their connection closed. (Replicas at their
    // cap of requests in flight answered others 503, to come back later.)
    assert!(report.requests > 2 * QUOTA as u64, "{report:?}");
    let cut = report.statuses.get(&502).copied().unwrap_or_default() + report.socket_errors;
    assert!(
        cut > 0,
        "killing replica {killed} under load cut nothing: {report:?}"
    );

    // Quotas held across replicas: martin's account saw no more than its quota, whichever
    // replica each request went through, and the store counted exactly that.
    assert!(martins_requests(&cluster, before) <= QUOTA);
    // Per account, as the vendor counts: martin's is the one the load spent.
    let counted = cluster
        .query("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM quota_requests GROUP BY account) c")
        .unwrap();
    assert_eq!(counted, QUOTA.to_string());

    // The writers finished, one of them through a retry after the kill, and no write was
    // sent twice: each customer they set out to create was posted once and is there once.
    assert!(created.len() >= WRITERS, "{created:?}");
    assert!(
        told_unknown.load(Ordering::SeqCst) >= 1,
        "the write held while its replica died came back as unknown to its retry"
    );
    let posted = posted_names(&cluster);
    for name in &created {
        assert_eq!(
            posted.get(name),
            Some(&1),
            "{name} posted {:?} times",
            posted.get(name)
        );
    }
    assert_eq!(
        posted.len(),
        created.len(),
        "nothing posted that no writer asked for"
    );
    let stored: Vec<String> = cluster
        .deployment
        .emulator
        .customers(1001)
        .iter()
        .filter_map(|customer| customer["company_name"].as_str().map(String::from))
        .collect();
    for name in &created {
        assert_eq!(stored.iter().filter(|s| *s == name).count(), 1, "{name}");
    }

    // A confirmation asked through the balancer and answered through it acts once; its
    // replays, which round robin hands to every replica, the revived one included, act on
    // nothing and ask anew.
    let customer = cluster
        .deployment
        .emulator
        .insert_customer(1001, json!({ "company_name": "À supprimer" }));
    let delete = json!({ "name": "delete_customer",
        "arguments": { "firm_id": 1001, "customer_id": customer } });
    let call = |params: &Value| result(&cluster.call(&demo.access, params.clone(), can_be_asked()));
    let asked = call(&delete);
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let mut answered = delete;
    answered["requestState"] = asked["requestState"].clone();
    answered["inputResponses"] =
        json!({ "confirm": { "action": "accept", "content": { "confirm": true } } });
    let done = call(&answered);
    assert_ne!(done["isError"], true, "{done}");
    for _ in 0..3 {
        let replayed = call(&answered);
        assert_eq!(replayed["resultType"], "input_required", "{replayed}");
    }
    assert_eq!(deletes(&cluster.deployment), 1);

    // Every write is in the one audit log, the store's: a `sending` row for each write the
    // API received (the sign-ins' token requests are not the API's), perhaps one more for a
    // write the killed replica logged but never sent, and an outcome for each of them except
    // those of the killed process, the held write among them.
    let writes_received = cluster
        .deployment
        .emulator
        .requests()
        .iter()
        .filter(|request| request.method != "GET" && request.path.starts_with("/firms/"))
        .count();
    let sent: usize = cluster
        .query("SELECT COUNT(*) FROM audit_events WHERE event = 'sending'")
        .unwrap()
        .parse()
        .unwrap();
    let unanswered = unanswered_writes(&cluster);
    assert!(!unanswered.is_empty());
    assert!(
        unanswered
            .iter()
            .all(|id| id.starts_with(&format!("{killed_pid}-"))),
        "writes without an outcome from replicas that lived: {unanswered:?}"
    );
    assert!(
        (writes_received..writes_received + unanswered.len()).contains(&sent),
        "{sent} writes logged as sending, {writes_received} received, {} unanswered",
        unanswered.len()
    );
}

/// The ids of the writes logged as `sending` with no outcome after it, oldest first.
fn unanswered_writes(cluster: &Cluster) -> Vec<String> {
    cluster
        .query(
            "SELECT s.write_id FROM audit_events s WHERE s.event = 'sending' AND NOT EXISTS
             (SELECT 1 FROM audit_events a WHERE a.write_id = s.write_id AND a.event <> 'sending')
             ORDER BY s.recorded_at",
        )
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Creates customers in the demo firm, one after another, until `writing` turns false; a
/// call that gets no answer (its replica died, the balancer said 502, the replica was busy)
/// is sent again with the same `Idempotency-Key`. When the retry cannot tell whether the
/// first attempt was made, the writer checks with `list_customers` and creates it anew only
/// if it is not there. Returns the names it created.
fn write_until_stopped(
    balancer: SocketAddr,
    user: &SignedIn,
    writer: usize,
    writing: &AtomicBool,
    told_unknown: &AtomicUsize,
) -> Vec<String> {
    let mut created = Vec::new();
    while writing.load(Ordering::SeqCst) {
        let name = format!("Client {writer}-{}", created.len());
        let mut attempt = 0;
        let deadline = Instant::now() + PATIENCE;
        loop {
            assert!(Instant::now() < deadline, "{name} still not created");
            let key = format!("{name} #{attempt}");
            let reply = call_through(
                balancer,
                user,
                json!({ "name": "create_customer",
                    "arguments": { "firm_id": 1001, "company_name": name } }),
                &[("Idempotency-Key", &key)],
            );
            if reply.status != 200 {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            let outcome = reply.json()["result"].clone();
            let said = text_of(&outcome);
            if said.contains("may or may not") {
                told_unknown.fetch_add(1, Ordering::SeqCst);
                if is_listed(balancer, user, &name) {
                    break;
                }
                attempt += 1;
                continue;
            }
            // Made now, or made by an attempt whose answer was lost.
            assert!(
                outcome["isError"] != true || said.contains("made before"),
                "{name}: {outcome}"
            );
            break;
        }
        created.push(name);
        std::thread::sleep(Duration::from_millis(100));
    }
    created
}

/// Whether the demo firm lists a customer named `name`, asked through the balancer.
fn is_listed(balancer: SocketAddr, user: &SignedIn, name: &str) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "no list of customers came back");
        let reply = call_through(
            balancer,
            user,
            json!({ "name": "list_customers",
                "arguments": { "firm_id": 1001, "all_pages": true } }),
            &[],
        );
        if reply.status == 200 {
            let listed = result(&reply);
            assert_ne!(listed["isError"], true, "{listed}");
            return listed["structuredContent"]
                .to_string()
                .contains(&format!("\"{name}\""));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `tools/call` by `user` through the balancer at `balancer` (the clients' threads hold
/// its address, not the cluster, which the test kills and revives meanwhile).
fn call_through(
    balancer: SocketAddr,
    user: &SignedIn,
    params: Value,
    extra: &[(&str, &str)],
) -> HttpReply {
    post_mcp(
        balancer,
        Some(&user.access),
        "tools/call",
        params,
        json!({}),
        extra,
    )
}

/// Requests for martin's firm the emulator received after the first `before`.
fn martins_requests(cluster: &Cluster, before: usize) -> usize {
    cluster.deployment.emulator.requests()[before..]
        .iter()
        .filter(|request| request.path.starts_with("/firms/2001/"))
        .count()
}

/// How many times the API was asked to create each customer name.
fn posted_names(cluster: &Cluster) -> BTreeMap<String, usize> {
    let mut posted = BTreeMap::new();
    for request in cluster.deployment.emulator.requests() {
        if request.method == "POST" && request.path == "/firms/1001/customers.json" {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let name = body["company_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            *posted.entry(name).or_insert(0) += 1;
        }
    }
    posted
}

/// The replica (0, 1 or 2) holding the write that has waited longest for its answer (other
/// writes come and go in milliseconds), and its process id, with which its write ids start.
fn replica_holding_an_unanswered_write(cluster: &Cluster) -> (usize, u32) {
    let pending = unanswered_writes(cluster);
    let id = pending.first().expect("a write waiting for its answer");
    (0..3)
        .map(|n| (n, cluster.deployment.pid_of(n)))
        .find(|(_, pid)| id.starts_with(&format!("{pid}-")))
        .unwrap_or_else(|| panic!("no replica made write {id}"))
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
