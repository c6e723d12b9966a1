//! Stops a guest that computes without pause, as a runaway loop would. Wasmtime checks an
//! epoch counter in the guest's code; a thread advances it every tick. The check only runs
//! while guest code runs, so a guest waiting on stdin or on the API is never charged: ticks
//! that arrive back to back mean uninterrupted computation, and once that lasts longer than
//! the limit the guest is stopped with a trap.

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

/// Arms the watchdog on a store: `limit` of computation without a pause ends the guest.
pub fn arm<T: 'static>(store: &mut Store<T>, limit: Duration) {
    let mut last_check = Instant::now();
    let mut busy_since = Instant::now();
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        let now = Instant::now();
        // A gap of several ticks between checks means the guest was waiting, not computing.
        if now.duration_since(last_check) > TICK * 3 {
            busy_since = now;
        }
        last_check = now;
        if now.duration_since(busy_since) > limit {
            wasmtime::bail!(
                "the tool component computed for over {} s without any input or output and was stopped \
                 (FACTURATION_CPU_LIMIT_SECS)",
                limit.as_secs()
            );
        }
        // Yielding lets the runtime's other work (timers, I/O) go on meanwhile.
        Ok(UpdateDeadline::Yield(1))
    });
}
