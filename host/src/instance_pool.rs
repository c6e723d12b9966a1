//! Where the instances' memory comes from. Every request gets a fresh instance, and with
//! wasmtime's default allocator each one maps new memory, takes a page fault on every page
//! the guest touches, and unmaps it all at the end (which, in a process with several
//! threads, interrupts the other cores to flush their address caches). On Linux 6.7 and
//! later the pooling allocator avoids all three: it keeps a fixed set of slots mapped, asks
//! the kernel which pages the last request dirtied (the PAGEMAP_SCAN ioctl), and resets just
//! those in place, so the next request finds them already resident and pristine. Without
//! that ioctl a slot's reset would have to wipe its whole kept region blindly, which costs
//! more than the faults it saves, so there the default allocator stays.

use std::sync::Arc;

use anyhow::Result;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Slots beyond the clients' in-flight cap: for the host's own requests (the start-up check
/// of the component's settings) and a margin.
const HOST_SLOTS: usize = 8;

/// Linear memory kept mapped between requests, per slot. What a request leaves dirty in it
/// is reset by copying; only what lies beyond is handed back to the kernel. A `tools/list`
/// or a page of customers touches one to two MiB.
const KEEP_RESIDENT_BYTES: usize = 8 << 20;

/// Core module instances, tables and memories one component may use; ours has three
/// modules, two tables and one memory.
const CORE_INSTANCES_PER_COMPONENT: u32 = 4;
const TABLES_PER_COMPONENT: u32 = 4;
const MEMORIES_PER_COMPONENT: u32 = 1;

/// The engine for `config`, pooled where that pays, and how many instances may live at once.
pub fn engine(config: Config, max_in_flight: usize, max_memory: usize) -> Result<(Engine, Slots)> {
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        let slots = max_in_flight + HOST_SLOTS;
        let mut pooled = config.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(slots, max_memory)));
        match Engine::new(&pooled) {
            Ok(engine) => return Ok((engine, Slots::limited(slots))),
            // Each slot reserves (without using) a few GiB of address space; a small address
            // space or a ulimit can refuse that, and then instances are mapped one by one.
            Err(error) => eprintln!(
                "facturation-pro-mcp: instances are not pooled ({error:#}); each request maps \
                 its own memory"
            ),
        }
    }
    Ok((Engine::new(&config)?, Slots::unlimited()))
}

fn pool(slots: usize, max_memory: usize) -> PoolingAllocationConfig {
    let slots = u32::try_from(slots).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .total_tables(slots.saturating_mul(TABLES_PER_COMPONENT))
        .total_memories(slots.saturating_mul(MEMORIES_PER_COMPONENT))
        // Each instance runs on one fiber stack; the default pool of a thousand, each with
        // its guard page set up at start, cost more start-up time than everything else.
        .total_stacks(slots)
        .max_memory_size(max_memory)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Yes);
    pool
}

/// How many instances may exist at once. With a pool that is its slot count, and a request
/// beyond it waits for a slot rather than failing to instantiate.
#[derive(Clone)]
pub struct Slots(Option<Arc<Semaphore>>);

impl Slots {
    fn limited(slots: usize) -> Self {
        Self(Some(Arc::new(Semaphore::new(slots))))
    }

    fn unlimited() -> Self {
        Self(None)
    }

    /// A slot to hold for as long as the instance lives.
    pub async fn take(&self) -> Option<OwnedSemaphorePermit> {
        let slots = self.0.clone()?;
        // The semaphore is never closed.
        slots.acquire_owned().await.ok()
    }
}
