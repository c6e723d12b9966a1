//! The remote connector past one machine, on this one: replicas of the real binary on one
//! store (a PostgreSQL cluster made for the occasion, or the embedded one), and HAProxy in
//! front at the public URL, all on loopback. The cluster test and `facturation-pro-bench
//! cluster` both start it here.

use std::net::SocketAddr;

use anyhow::Result;
use serde_json::Value;

use super::ServerSetup;
use super::free_port;
use super::haproxy::Haproxy;
use super::http_client::HttpReply;
use super::postgres::TestPostgres;
use super::remote::{Deployment, post_mcp};
use crate::emulator::EmulatorConfig;

/// Where the replicas keep what they share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The SQLite file of a single process (the default outside a cluster).
    Embedded,
    /// A PostgreSQL cluster made for this deployment.
    Postgres,
}

/// Fields drop in this order: the balancer first, then the replicas, then their database.
pub struct Cluster {
    pub balancer: Haproxy,
    pub deployment: Deployment,
    pub postgres: Option<TestPostgres>,
}

impl Cluster {
    /// `replicas` processes on a `store`, with the settings `adjust` makes, behind HAProxy,
    /// in front of an emulator with the settings `api` (see [`Deployment::api`]). An
    /// embedded store is one process's own, so it takes one replica.
    pub fn start(
        store: StoreKind,
        replicas: usize,
        api: EmulatorConfig,
        adjust: impl FnOnce(ServerSetup) -> ServerSetup,
    ) -> Result<Cluster> {
        assert!(
            replicas >= 1 && (store == StoreKind::Postgres || replicas == 1),
            "{replicas} replicas on a {store:?} store"
        );
        let postgres = match store {
            StoreKind::Postgres => Some(TestPostgres::start()?),
            StoreKind::Embedded => None,
        };
        let public_port = free_port();
        let mut deployment = Deployment::start_behind(api, public_port, |setup| {
            // Every replica must verify the confirmations the others seal.
            let setup = setup.with_env("FACTURATION_STATE_KEY", "one key for every replica");
            let setup = match &postgres {
                Some(postgres) => setup.with_env("FACTURATION_STORE", &postgres.url()),
                None => setup,
            };
            adjust(setup)
        });
        for _ in 1..replicas {
            deployment.add_replica();
        }
        let addresses: Vec<SocketAddr> = (0..replicas).map(|n| deployment.address_of(n)).collect();
        let balancer = Haproxy::start(public_port, &addresses)?;
        Ok(Cluster {
            balancer,
            deployment,
            postgres,
        })
    }

    /// A 2026-07-28 `tools/call` through the balancer, to whichever replica it picks.
    pub fn call(&self, token: &str, params: Value, capabilities: Value) -> HttpReply {
        post_mcp(
            self.balancer.address(),
            Some(token),
            "tools/call",
            params,
            capabilities,
            &[],
        )
    }

    /// A query's rows, `|`-separated (see [`TestPostgres::query`]).
    pub fn query(&self, sql: &str) -> Result<String> {
        self.postgres
            .as_ref()
            .expect("a cluster on PostgreSQL")
            .query(sql)
    }
}
