//! Staying inside the API's quotas: 600 requests per sliding 5 minutes and 10,000 per day.
//! Before each request the pacer waits for room in the 5-minute window, so long listings
//! slow down instead of tripping the limit; the daily quota is never waited for (that could
//! take hours): it fails with a clear message. What the API says it has left
//! (`X-RateLimit-Remaining`) is believed over our own count.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

const SHORT_WINDOW: Duration = Duration::from_secs(5 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

pub struct Pacer {
    per_short_window: usize,
    per_day: usize,
    sent: VecDeque<Instant>,
    /// The API said it had no room left in its window, at this instant.
    exhausted_at: Option<Instant>,
}

/// What the pacer decided for the next request.
#[derive(Debug, PartialEq)]
pub enum Slot {
    Now,
    After(Duration),
    /// The daily quota is spent: give up rather than wait for hours.
    DailyQuotaSpent,
}

impl Pacer {
    pub fn new(per_short_window: usize, per_day: usize) -> Self {
        Self {
            per_short_window,
            per_day,
            sent: VecDeque::new(),
            exhausted_at: None,
        }
    }

    /// When the next request may go; `Now` counts it as sent at `now`, under the same lock
    /// as the decision, so that instances asking at once cannot both take the last slot.
    pub fn take_slot(&mut self, now: Instant) -> Slot {
        let slot = self.next_slot(now);
        if slot == Slot::Now {
            self.sent.push_back(now);
        }
        slot
    }

    /// When the next request may go, given the requests already sent.
    fn next_slot(&mut self, now: Instant) -> Slot {
        while self
            .sent
            .front()
            .is_some_and(|sent| now.duration_since(*sent) >= DAY)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.per_day {
            return Slot::DailyQuotaSpent;
        }
        // `sent` is in the order the slots were taken, so the requests of the short window
        // are its tail: a binary search finds where it starts (up to 10,000 entries are
        // kept for the day, and this runs before every request).
        let window_start = self
            .sent
            .partition_point(|sent| now.duration_since(*sent) >= SHORT_WINDOW);
        let recent = self.sent.len() - window_start;
        if recent >= self.per_short_window {
            // Room comes back when the oldest request of the window leaves it.
            let oldest = self.sent[self.sent.len() - self.per_short_window];
            return Slot::After(SHORT_WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        match self.exhausted_at.take() {
            // The API counts more than we do (another client on the same key): leave it a
            // moment, once; a 429 that follows is handled by the bounded retries.
            Some(at) if now.duration_since(at) < SHORT_WINDOW => {
                Slot::After(Duration::from_secs(1))
            }
            _ => Slot::Now,
        }
    }

    /// Takes note of `X-RateLimit-Remaining`.
    pub fn observe_remaining(&mut self, remaining: u64, at: Instant) {
        self.exhausted_at = (remaining == 0).then_some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_oldest_request_to_leave_the_window() {
        let start = Instant::now();
        let mut pacer = Pacer::new(3, 100);
        for second in 0..3 {
            assert_eq!(
                pacer.take_slot(start + Duration::from_secs(second)),
                Slot::Now
            );
        }
        assert_eq!(
            pacer.take_slot(start + Duration::from_secs(10)),
            Slot::After(Duration::from_secs(290))
        );
        assert_eq!(pacer.take_slot(start + Duration::from_secs(300)), Slot::Now);
        // That one was counted: the next waits for the second request to leave the window.
        assert_eq!(
            pacer.take_slot(start + Duration::from_secs(300)),
            Slot::After(Duration::from_secs(1))
        );
    }

    #[test]
    fn the_daily_quota_is_not_waited_for() {
        let start = Instant::now();
        let mut pacer = Pacer::new(100, 2);
        assert_eq!(pacer.take_slot(start), Slot::Now);
        assert_eq!(pacer.take_slot(start), Slot::Now);
        assert_eq!(pacer.take_slot(start + SHORT_WINDOW), Slot::DailyQuotaSpent);
        assert_eq!(pacer.take_slot(start + DAY), Slot::Now);
    }

    #[test]
    fn believes_the_api_when_it_says_nothing_is_left() {
        let start = Instant::now();
        let mut pacer = Pacer::new(100, 1000);
        pacer.observe_remaining(0, start);
        assert_eq!(pacer.take_slot(start), Slot::After(Duration::from_secs(1)));
        assert_eq!(
            pacer.take_slot(start),
            Slot::Now,
            "only one pause per warning"
        );
    }
}
