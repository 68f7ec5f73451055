//! Growing delays with jitter, for retries and waits.

use std::time::Duration;

use rand::Rng;

/// Doubles from `first` up to `max`, each delay drawn from [d/2, d] ("equal jitter") so that concurrent
/// callers spread out while none waits much less than planned.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            next: first.min(max),
            max,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let nominal = self.next;
        self.next = (self.next * 2).min(self.max);
        let half = nominal / 2;
        let jitter = rand::rng().random_range(0.0..=1.0);
        half + half.mul_f64(jitter)
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
