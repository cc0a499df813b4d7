//! Background jobs. The SLA scanner re-evaluates the tickets whose next SLA check is due (R-W4:
//! the earliest pending warning or deadline of a running clock), stores the fresh state and the
//! warnings and breaches it implies, once each, with their notifications.
//!
//! Correctness never depends on when the scanner wakes: an alert carries the instant its
//! threshold was crossed, and its key makes it unique however many servers evaluate the ticket.
//! Servers sharing a database take a lease so only one of them scans at a time.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tamhub_domain::accounts::Account;
use tamhub_domain::ids::{AccountId, TicketId};
use tamhub_domain::tickets::{TicketEvent, TicketSla};
use tamhub_store::SlaEvaluation;

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
    /// Incidents whose customer-update cadence was re-evaluated.
    pub incidents: u64,
    /// Reminders sent to owners of actions due soon or overdue.
    pub action_reminders: u64,
    /// Accounts whose daily health snapshot was taken (once per UTC day).
    pub health_snapshots: u64,
    /// Engagements added to charters' schedules (once per UTC day, up to the 12-month horizon).
    pub engagements_scheduled: u64,
    /// Engagements newly overdue whose TAMs were told.
    pub engagements_overdue: u64,
    /// Reminders of overdue event checklist items.
    pub event_reminders: u64,
}

impl App {
    /// One pass over every ticket due for an SLA check at the clock's `now`, a batch at a time,
    /// then over the incidents whose update cadence is due and the actions to remind owners of:
    /// the batch's tickets, accounts and logs are read in three queries and its evaluations
    /// written in one transaction.
    pub async fn sla_scan_once(&self) -> AppResult<ScanReport> {
        let now = self.clock.now();
        let config = self.sla_runtime().await?;
        let mut report = ScanReport::default();
        let mut seen: HashSet<TicketId> = HashSet::new();
        loop {
            let due: Vec<TicketId> =
                self.store.due_sla_checks(now, SCAN_BATCH).await?.into_iter().filter(|id| seen.insert(*id)).collect();
            if due.is_empty() {
                report.incidents = self.cadence_scan_once().await?;
                report.action_reminders = self.action_reminder_scan_once().await?;
                report.health_snapshots = self.snapshot_health_if_due().await?;
                (report.engagements_scheduled, report.engagements_overdue) = self.engagement_scan_once().await?;
                report.event_reminders = self.event_reminder_scan_once().await?;
                return Ok(report);
            }
            let tickets = self.store.get_tickets(&due).await?;
            let mut account_ids: Vec<AccountId> = tickets.iter().map(|t| t.account_id).collect();
            account_ids.sort();
            account_ids.dedup();
            let accounts: HashMap<AccountId, Account> =
                self.store.get_accounts(&account_ids).await?.into_iter().map(|a| (a.id, a)).collect();
            let mut logs: HashMap<TicketId, Vec<TicketEvent>> = HashMap::new();
            for event in self.store.ticket_events_of(&due).await? {
                logs.entry(event.ticket_id).or_default().push(event);
            }
            let mut evaluations = Vec::with_capacity(tickets.len());
            for ticket in &tickets {
                let Some(account) = accounts.get(&ticket.account_id) else { continue };
                let events = logs.get(&ticket.id).map(Vec::as_slice).unwrap_or_default();
                let sla = self.evaluate_ticket(&config, ticket.account_id, events, now).unwrap_or_else(|err| {
                    // A calendar without business time: nothing can be computed until it is
                    // fixed, and the ticket must not be rescanned in a tight loop meanwhile.
                    tracing::warn!(ticket = %ticket.id, %err, "SLA evaluation failed");
                    TicketSla { cycles: Vec::new(), next_change_at: None }
                });
                evaluations.push(SlaEvaluation {
                    ticket_id: ticket.id,
                    last_seq: events.last().map(|e| e.seq).unwrap_or(0),
                    alerts: self.alert_notices(ticket, account, &sla.cycles),
                    sla: Self::snapshot(sla, ticket.status, now),
                });
            }
            for stored in self.store.save_sla_evaluations(&evaluations).await? {
                if stored {
                    report.evaluated += 1;
                } else {
                    report.superseded += 1;
                }
            }
        }
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
