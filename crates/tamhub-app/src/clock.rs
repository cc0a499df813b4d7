//! Time comes from here, never from `Timestamp::now()` in a use case, so tests can fix it.

use tamhub_domain::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // Whole milliseconds: what both databases store, so a value read back equals the one written.
        Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
