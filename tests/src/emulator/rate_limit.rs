//! The vendor's request quotas: a number of requests per 5 minutes and per day.
//!
//! Both are sliding windows over the instants of admitted requests, which keeps the emulator
//! deterministic for tests (no calendar-day reset at midnight). Requests refused with 429 are
//! not counted, so a client that backs off recovers once old requests leave the window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::response::{IntoResponse, Response};

const SHORT_WINDOW: Duration = Duration::from_secs(5 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

pub(crate) struct RateLimiter {
    per_short_window: u32,
    per_day: u32,
    short_window: VecDeque<Instant>,
    day: VecDeque<Instant>,
}

impl RateLimiter {
    pub(crate) fn new(per_short_window: u32, per_day: u32) -> Self {
        Self {
            per_short_window,
            per_day,
            short_window: VecDeque::new(),
            day: VecDeque::new(),
        }
    }

    /// The limit announced in `X-RateLimit-Limit`: the 5-minute quota.
    pub(crate) fn limit(&self) -> u32 {
        self.per_short_window
    }

    /// Counts a request made at `now` if both quotas allow it; `false` means answer 429.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        self.forget_before(now);
        if count(&self.short_window) >= self.per_short_window || count(&self.day) >= self.per_day {
            return false;
        }
        self.short_window.push_back(now);
        self.day.push_back(now);
        true
    }

    /// What `X-RateLimit-Remaining` announces: requests left in the current 5-minute window,
    /// or fewer when the daily quota is closer to running out, so that a client trusting the
    /// header never walks into a 429 it was told it had room for.
    pub(crate) fn remaining(&mut self, now: Instant) -> u32 {
        self.forget_before(now);
        let short = self
            .per_short_window
            .saturating_sub(count(&self.short_window));
        let daily = self.per_day.saturating_sub(count(&self.day));
        short.min(daily)
    }

    fn forget_before(&mut self, now: Instant) {
        expire(&mut self.short_window, now, SHORT_WINDOW);
        expire(&mut self.day, now, DAY);
    }
}

/// The vendor's 429: a bare text body, not JSON; `Retry-After` only when given (the
/// quota refusal sends none, injected faults may).
pub(crate) fn refusal(retry_after_secs: Option<u64>) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Retry later",
    )
        .into_response();
    if let Some(secs) = retry_after_secs {
        response.headers_mut().insert(RETRY_AFTER, secs.into());
    }
    response
}

fn count(window: &VecDeque<Instant>) -> u32 {
    u32::try_from(window.len()).unwrap_or(u32::MAX)
}

fn expire(window: &mut VecDeque<Instant>, now: Instant, length: Duration) {
    while window
        .front()
        .is_some_and(|&at| now.saturating_duration_since(at) >= length)
    {
        window.pop_front();
    }
}
