//! Stops a guest that computes too long, as a runaway loop would. Each request's guest has
//! its own budget of computation, measured as the time spent inside the polls of its call
//! (the guest's code runs only there; waiting on the API or the client returns from the
//! poll and costs nothing). Wasmtime checks an epoch counter in the guest's code, a thread
//! advances it every tick while guests run, and at each check the guest's own total is
//! compared with the limit, then the guest yields until every other request has had its turn.
//!
//! The budget belongs to the request, not to a clock shared with others: however many
//! runaway instances share the cores, each is charged only for the time it ran, and each is
//! stopped once that reaches the limit.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, UpdateDeadline};

/// How often the epoch advances while guests run. A runaway steps aside at every tick, so
/// this bounds how long another request waits for it at each step that request takes (its
/// message, its instance, each answer from the API); between ticks the guest pays nothing.
const TICK: Duration = Duration::from_millis(10);

/// The thread that advances the engine's epoch. It ticks only while guests are being
/// polled and sleeps otherwise, so an idle server wakes no thread at all.
#[derive(Clone)]
pub struct Ticker(std::thread::Thread);

impl Ticker {
    /// Starts the thread, for as long as the process lives.
    pub fn start(engine: &Engine) -> Ticker {
        let engine = engine.clone();
        let thread = std::thread::spawn(move || {
            loop {
                // Each poll of a guest leaves a token ([`CpuMeter::charge`]); without one
                // since the last tick, no guest ran and the thread sleeps until one does.
                // A guest that runs through a tick is stopped at it and polled again, so
                // a running guest always renews the token.
                std::thread::park();
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        });
        Ticker(thread.thread().clone())
    }

    /// A meter for one request's guest, which keeps this ticker going while it runs.
    pub fn meter(&self) -> CpuMeter {
        CpuMeter {
            used_nanos: Arc::default(),
            ticker: self.0.clone(),
        }
    }
}

/// The computation one request's guest has used so far.
#[derive(Clone)]
pub struct CpuMeter {
    used_nanos: Arc<AtomicU64>,
    ticker: std::thread::Thread,
}

impl CpuMeter {
    fn used(&self) -> Duration {
        Duration::from_nanos(self.used_nanos.load(Ordering::Relaxed))
    }

    /// Runs `work` (the guest's call), charging this meter for the time spent in its polls.
    pub async fn charge<F: Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        std::future::poll_fn(|context| {
            // An atomic swap when the ticker is awake, a wake-up when it slept.
            self.ticker.unpark();
            let started = Instant::now();
            let polled = work.as_mut().poll(context);
            let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.used_nanos.fetch_add(spent, Ordering::Relaxed);
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
        // The guest steps aside until every other ready task has run and the runtime has
        // polled its I/O and timers: tokio's `yield_now` defers the wake-up until then. A
        // plain yield puts it straight back in the queue, so on stdio's single worker each
        // step of another request (its message, its instance, its answer) waited for one
        // more slice of the runaway, and the API's answers for the next I/O poll, which a
        // busy worker makes only every 61 tasks it runs (6 s of slices).
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(tokio::task::yield_now()),
        ))
    });
}
