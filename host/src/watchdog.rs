//! Stops a guest that computes too long, as a runaway loop would. Each request's guest has
//! its own budget of computation, measured as the time spent inside the polls of its call
//! (the guest's code runs only there; waiting on the API or the client returns from the
//! poll and costs nothing). Wasmtime checks an epoch counter in the guest's code, a thread
//! advances it every tick, and at each check the guest's own total is compared with the
//! limit, then the guest yields so that other requests run meanwhile.
//!
//! The budget belongs to the request, not to a clock shared with others: however many
//! runaway instances share the cores, each is charged only for the time it ran, and each is
//! stopped once that reaches the limit.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, UpdateDeadline};

const TICK: Duration = Duration::from_millis(100);

/// Advances the engine's epoch every tick, for as long as the process lives.
pub fn start_ticking(engine: &Engine) {
    let engine = engine.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(TICK);
            engine.increment_epoch();
        }
    });
}

/// The computation one request's guest has used so far, in nanoseconds.
#[derive(Clone, Default)]
pub struct CpuMeter(Arc<AtomicU64>);

impl CpuMeter {
    fn used(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    /// Runs `work` (the guest's call), charging this meter for the time spent in its polls.
    pub async fn charge<F: Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        std::future::poll_fn(|context| {
            let started = Instant::now();
            let polled = work.as_mut().poll(context);
            let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.0.fetch_add(spent, Ordering::Relaxed);
            polled
        })
        .await
    }
}

/// Arms the watchdog on a store: once `meter` shows more than `limit` of computation, the
/// guest is stopped with a trap at its next epoch check.
pub fn arm<T: 'static>(store: &mut Store<T>, meter: &CpuMeter, limit: Duration) {
    let meter = meter.clone();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        if meter.used() > limit {
            wasmtime::bail!(
                "the tool component computed for over {} s and was stopped \
                 (FACTURATION_CPU_LIMIT_SECS)",
                limit.as_secs()
            );
        }
        // Yielding lets the runtime's other work (timers, I/O, other requests) go on.
        Ok(UpdateDeadline::Yield(1))
    });
}
