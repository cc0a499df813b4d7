//! Background jobs. The SLA scanner re-evaluates the tickets whose next SLA check is due (R-W4:
//! the earliest pending warning or deadline of a running clock), stores the fresh state and the
//! warnings and breaches it implies, once each, with their notifications.
//!
//! Correctness never depends on when the scanner wakes: an alert carries the instant its
//! threshold was crossed, and its key makes it unique however many servers evaluate the ticket.
//! Servers sharing a database take a lease so only one of them scans at a time.

use std::collections::HashSet;
use std::time::Duration;

use tamhub_domain::Timestamp;
use tamhub_domain::ids::TicketId;

use crate::{App, AppResult};

/// How many due tickets one database round trip fetches.
pub const SCAN_BATCH: u32 = 500;
pub const SCANNER_LEASE: &str = "sla_scanner";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Tickets evaluated.
    pub evaluated: u64,
    /// Tickets skipped because a change to them stored a fresher state meanwhile.
    pub superseded: u64,
}

impl App {
    /// One pass over every ticket due for an SLA check at the clock's `now`.
    pub async fn sla_scan_once(&self) -> AppResult<ScanReport> {
        let now = self.clock.now();
        let mut report = ScanReport::default();
        let mut seen: HashSet<TicketId> = HashSet::new();
        loop {
            let due: Vec<TicketId> =
                self.store.due_sla_checks(now, SCAN_BATCH).await?.into_iter().filter(|id| seen.insert(*id)).collect();
            if due.is_empty() {
                return Ok(report);
            }
            for id in due {
                if self.sla_check(id, now).await? {
                    report.evaluated += 1;
                } else {
                    report.superseded += 1;
                }
            }
        }
    }

    /// Re-evaluates one ticket at `now` and stores the state with its new alerts; false when the
    /// ticket changed after its log was read.
    async fn sla_check(&self, id: TicketId, now: Timestamp) -> AppResult<bool> {
        let ticket = self.store.get_ticket(id).await?;
        let account = self.store.get_account(ticket.account_id).await?;
        let events = self.store.ticket_events(id).await?;
        let last_seq = events.last().map(|e| e.seq).unwrap_or(0);
        let config = self.sla_runtime().await?;
        let sla = match self.evaluate_ticket(&config, ticket.account_id, &events, now) {
            Ok(sla) => sla,
            Err(err) => {
                // A calendar without business time: nothing can be computed until it is fixed,
                // and the ticket must not be rescanned in a tight loop meanwhile.
                tracing::warn!(ticket = %id, %err, "SLA evaluation failed");
                tamhub_domain::tickets::TicketSla { cycles: Vec::new(), next_change_at: None }
            }
        };
        let alerts = self.alert_notices(&ticket, &account, &sla.cycles);
        let snapshot = Self::snapshot(sla, now);
        Ok(self.store.save_sla_evaluation(id, last_seq, &snapshot, &alerts).await?)
    }

    /// Scans every `interval` while this server holds the scanner lease, until `shutdown`.
    pub async fn run_sla_scanner(
        self,
        holder: String,
        interval: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let lease_seconds = (interval.as_secs() as i64 * 3).max(30);
        loop {
            match self.store.acquire_lease(SCANNER_LEASE, &holder, self.clock.now(), lease_seconds).await {
                Ok(true) => {
                    if let Err(err) = self.sla_scan_once().await {
                        tracing::warn!(%err, "SLA scan failed");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(%err, "SLA scanner lease"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
