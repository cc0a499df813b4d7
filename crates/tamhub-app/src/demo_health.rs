//! The health part of the demo: 30 days of signals for most live accounts along profiles
//! (steady, slipping, recovering, struggling), a few accounts without signals (insufficient
//! data), a daily snapshot for each of those days so trends show in both directions, a second
//! version of the Enterprise scorecard, and two TAM overrides.

use std::sync::Arc;

use tamhub_domain::SignedDuration;
use tamhub_domain::accounts::{Account, Phase, Tier};
use tamhub_domain::users::{Role, User};
use tamhub_store::SignalPoint;

use crate::demo_tickets::DemoClock;
use crate::health::default_scorecard;
use crate::{Actor, App, AppResult};

/// Days of history the demo gives every signal and snapshot.
const DAYS: i64 = 30;

/// How an account's signals move over the month: 0 at the start, 1 today.
#[derive(Clone, Copy)]
enum Profile {
    Steady,
    Slipping,
    Recovering,
    Struggling,
    /// No signals: health is "insufficient data".
    Silent,
}

fn profile(n: usize) -> Profile {
    match n % 10 {
        0..=4 => Profile::Steady,
        5 | 6 => Profile::Slipping,
        7 => Profile::Recovering,
        8 => Profile::Struggling,
        _ => Profile::Silent,
    }
}

/// A deterministic wobble in [-1, 1] per account, signal and day.
fn wobble(n: usize, signal: usize, day: i64) -> f64 {
    let x =
        (n as u64).wrapping_mul(2_654_435_761) ^ (signal as u64).wrapping_mul(40_503) ^ (day as u64).wrapping_mul(97);
    ((x % 2001) as f64 / 1000.0) - 1.0
}

/// `(name, value)` of the day's points: `t` runs from 0 (a month ago) to 1 (today).
fn points(p: Profile, n: usize, day: i64, t: f64) -> Vec<(&'static str, f64)> {
    // Each profile's quality from 0 (bad) to 1 (good) along the month.
    let q = match p {
        Profile::Steady => 0.9,
        Profile::Slipping => 0.9 - 0.85 * t,
        Profile::Recovering => 0.1 + 0.8 * t,
        Profile::Struggling => 0.02,
        Profile::Silent => return Vec::new(),
    };
    let w = |s: usize| wobble(n, s, day) * 0.05;
    let q1 = (q + w(1)).clamp(0.0, 1.0);
    let q2 = (q + w(2)).clamp(0.0, 1.0);
    let mut out = vec![
        ("uptime_pct", ((99.0 + 0.99 * q1) * 1000.0).round() / 1000.0),
        ("error_rate", ((2.2 - 2.1 * q2) * 100.0).round() / 100.0),
        ("p95_latency_ms", (1600.0 - 1250.0 * q).round()),
        ("feature_adoption_pct", (15.0 + 65.0 * q).round()),
    ];
    if day % 7 == 0 {
        out.push(("csat", ((2.9 + 1.7 * q) * 10.0).round() / 10.0));
    }
    out
}

impl App {
    pub(crate) async fn demo_health(&self, accounts: &[Account], users: &[User]) -> AppResult<usize> {
        let end = self.clock.now();
        let clock = Arc::new(DemoClock::at(end));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let live: Vec<&Account> = accounts.iter().filter(|a| a.fields.phase != Phase::Gate0).collect();
        let mut signals = Vec::new();
        for (n, account) in live.iter().enumerate() {
            let p = profile(n);
            for day in 0..=DAYS {
                let at = end.checked_sub(SignedDuration::from_hours(24 * (DAYS - day))).unwrap_or(end);
                let at = at.checked_sub(SignedDuration::from_mins(30)).unwrap_or(at);
                for (name, value) in points(p, n, day, day as f64 / DAYS as f64) {
                    signals.push(SignalPoint { account_id: account.id, name: name.into(), at, value });
                }
            }
        }
        self.store.save_signals(&signals, end).await?;

        // A second Enterprise version: uptime weighs more.
        if let Some(admin) = users.iter().find(|u| u.role == Role::Admin) {
            let admin = Actor::new(admin.clone());
            let mut v2 = default_scorecard(Tier::Enterprise);
            v2.name = "Enterprise (uptime first)".into();
            if let Some(uptime) = v2.measures.iter_mut().find(|m| m.key == "uptime") {
                uptime.weight = 5.0;
            }
            past.save_scorecard(&admin, Tier::Enterprise, v2).await?;
        }

        // A snapshot for each of the last 30 days, as the daily job would have taken it.
        for day in (1..=DAYS).rev() {
            let at = end.checked_sub(SignedDuration::from_hours(24 * day)).unwrap_or(end);
            clock.set(at);
            past.snapshot_health(at).await?;
        }
        // Today's too (the ticket demo's scans took one before there were signals).
        clock.set(end);
        past.snapshot_health(end).await?;

        // Two TAMs' judgement beside the number.
        let mut overridden = 0;
        for (account, band, reason) in [
            (live.get(1), "red", "The executive sponsor left last week; renewal talks are on hold"),
            (live.get(8), "green", "The struggling numbers are a planned migration; the customer is happy with it"),
        ] {
            let Some(account) = account else { continue };
            let tam = account.fields.primary_tam_id.and_then(|id| users.iter().find(|u| u.id == id));
            let Some(tam) = tam else { continue };
            let expires = end.checked_add(SignedDuration::from_hours(24 * 21)).ok();
            past.set_health_override(&Actor::new(tam.clone()), account.id, Some((band.into(), reason.into(), expires)))
                .await?;
            overridden += 1;
        }
        Ok(live.len() + overridden)
    }
}
