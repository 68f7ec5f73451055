//! Growing delays with jitter, for retries and waits.

use std::time::Duration;

use rand::Rng;

/// Doubles from `first` up to `max`, each delay drawn a little below its nominal value d (from [d/2, d] for
/// retries, [0.9 d, d] for waits) so that concurrent callers spread out while none waits much less than planned.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    /// How far below the nominal delay a draw may fall, as a fraction of it.
    spread: f64,
}

impl Backoff {
    /// For retries: equal jitter, so that callers throttled together come back apart.
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            next: first.min(max),
            max,
            spread: 0.5,
        }
    }

    /// For waits: each delay drawn from [0.9 d, d]. Equal jitter would make a wait poll a quarter more often
    /// than its schedule says (about 44 times for a resource ready after 30 minutes with 5s..1m, instead of 35);
    /// a tenth still keeps the pollers of a for_each apart.
    pub fn polling(first: Duration, max: Duration) -> Backoff {
        Backoff {
            spread: 0.1,
            ..Backoff::new(first, max)
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.next;
        self.next = (self.next * 2).min(self.max);
        let low = nominal.mul_f64(1.0 - self.spread);
        let jitter = rand::rng().random_range(0.0..=1.0);
        low + (nominal - low).mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_within_bounds() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let delays: Vec<Duration> = (0..6).map(|_| backoff.next_delay()).collect();
        let nominal = [1, 2, 4, 5, 5, 5];
        for (delay, nominal) in delays.iter().zip(nominal) {
            let nominal = Duration::from_secs(nominal);
            assert!(
                *delay <= nominal && *delay >= nominal / 2,
                "{delay:?} vs {nominal:?}"
            );
        }
    }
}
