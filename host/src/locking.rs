//! One way to take the host's locks. A request that panicked while holding one leaves the
//! data as it was at the panic, which is still the best the others have: the host goes on
//! serving them rather than failing every later request.

use std::sync::{Mutex, MutexGuard};

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
