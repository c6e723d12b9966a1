//! The remote connector past one machine (`facturation-pro-bench cluster`, through
//! scripts/bench.sh cluster): requests per second and latency through HAProxy with one, two
//! and three replicas on PostgreSQL, and one replica on the embedded store, which shows what
//! the shared database costs per request. wrk drives each set-up with two requests, sent in
//! turn by several signed-in users (each account's quota is counted, in turns, in the store,
//! and the vendor holds one account to 600 requests per 5 minutes: a deployment's traffic is
//! many accounts): a call that reaches the API (`list_customers`) and one that does not
//! (`tools/list`, where the store is asked only whether the token is good). Everything runs on
//! this machine, so the replicas share its cores with the balancer, the database, the API
//! and wrk: the scaling ratio says what more processes buy on it, not what more machines
//! would.

use std::time::Duration;

use facturation_pro_emulator::emulator::AccountConfig;
use facturation_pro_emulator::harness::cluster::{Cluster, StoreKind};
use facturation_pro_emulator::harness::load::{Load, LoadReport};
use facturation_pro_emulator::harness::remote::{Deployment, modern_request};
use serde_json::json;

/// Connections wrk keeps busy; each replica may take them all at once.
const CONNECTIONS: u32 = 64;
const WARM_UP: Duration = Duration::from_secs(2);
const MEASURED: Duration = Duration::from_secs(10);
/// Signed-in users whose requests the load sends in turn, each with an account of its own.
const USERS: u64 = 8;

const SET_UPS: [(StoreKind, usize); 4] = [
    (StoreKind::Postgres, 1),
    (StoreKind::Embedded, 1),
    (StoreKind::Postgres, 2),
    (StoreKind::Postgres, 3),
];

/// Prints one Markdown table, a row at a time as each is measured: a row per set-up and
/// request, with the throughput against one replica on the same store.
pub fn print_table() -> anyhow::Result<()> {
    println!(
        "wrk, {CONNECTIONS} connections, {} s per row, through HAProxy\n",
        MEASURED.as_secs()
    );
    println!("| store | replicas | request | requests/s | p50 | p99 | failed | vs 1 replica |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut single: Vec<(StoreKind, &str, f64)> = Vec::new();
    for (store, replicas) in SET_UPS {
        for (request, report) in measure(store, replicas)? {
            let per_second = report.per_second();
            if replicas == 1 {
                single.push((store, request, per_second));
            }
            let baseline = single
                .iter()
                .find(|(kind, name, _)| *kind == store && *name == request)
                .map_or(per_second, |(_, _, rate)| *rate);
            println!(
                "| {} | {replicas} | {request} | {per_second:.0} | {:.2} ms | {:.2} ms | {} | {:.2}x |",
                match store {
                    StoreKind::Embedded => "embedded (SQLite)",
                    StoreKind::Postgres => "PostgreSQL",
                },
                report.p50.as_secs_f64() * 1e3,
                report.p99.as_secs_f64() * 1e3,
                failures(&report),
                per_second / baseline,
            );
        }
    }
    Ok(())
}

/// Starts the set-up, signs the users in, and runs both requests through the balancer.
fn measure(store: StoreKind, replicas: usize) -> anyhow::Result<Vec<(&'static str, LoadReport)>> {
    // No quota in the way, the vendor's nor ours, and no replica turning connections away.
    let mut api = Deployment::api();
    api.rate_limit_per_5min = u32::MAX;
    api.rate_limit_per_day = u32::MAX;
    api.other_accounts
        .extend((1..=USERS).map(|n| AccountConfig {
            api_id: format!("user{n}-api-id"),
            api_key: format!("user{n}-api-key"),
            user_email: format!("user{n}@example.test"),
            login: format!("user{n}"),
            firms: vec![(3000 + n, format!("Firme {n}"))],
        }));
    let cluster = Cluster::start(store, replicas, api, |setup| {
        setup
            .with_env("FACTURATION_REQUESTS_PER_5MIN", "1000000")
            .with_env("FACTURATION_REQUESTS_PER_DAY", "1000000")
            .with_env("FACTURATION_MAX_IN_FLIGHT", &CONNECTIONS.to_string())
    })?;
    let users: Vec<(u64, String)> = (1..=USERS)
        .map(|n| {
            let signed_in = cluster.deployment.sign_in(&format!("user{n}"), "read");
            (3000 + n, signed_in.access)
        })
        .collect();
    let mut reports = Vec::new();
    for (name, method) in [
        ("list_customers (API call)", "tools/call"),
        ("tools/list (no API call)", "tools/list"),
    ] {
        let requests: Vec<_> = users
            .iter()
            .map(|(firm, token)| {
                let params = match method {
                    "tools/call" => json!({ "name": "list_customers",
                        "arguments": { "firm_id": firm } }),
                    _ => json!({}),
                };
                modern_request(Some(token), method, params, json!({}))
            })
            .collect();
        let mut load = Load {
            target: cluster.balancer.address(),
            path: "/mcp",
            requests: &requests,
            connections: CONNECTIONS,
            duration: WARM_UP,
        };
        load.run()?;
        load.duration = MEASURED;
        reports.push((name, load.run()?));
    }
    Ok(reports)
}

/// How many requests failed, and how: "0", or "12 (503: 10, no answer: 2)".
fn failures(report: &LoadReport) -> String {
    let mut how: Vec<String> = report
        .statuses
        .iter()
        .filter(|(status, _)| !(200..300).contains(*status))
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    if report.socket_errors > 0 {
        how.push(format!("no answer: {}", report.socket_errors));
    }
    match report.failures() {
        0 => "0".into(),
        total => format!("{total} ({})", how.join(", ")),
    }
}
