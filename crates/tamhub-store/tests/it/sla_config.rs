//! SLA configuration in the stores: calendars with versions, the versioned policy list, the
//! default calendar, and how changes of policy inputs reach open tickets (R-T1, R-K12, R-K13).

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Tier;
use tamhub_domain::ids::{CalendarId, TicketId};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarHours, CalendarVersion};
use tamhub_domain::sla::policies::{PolicySet, default_policy};
use tamhub_domain::tickets::{Status, Ticket, TicketEventKind};
use tamhub_store::{AuditQuery, InputsChange, StoreError};

use crate::tickets::{add_ticket, change, empty_sla, ticket};
use crate::{DynStore, account, add_account, at, audit_for, each_store, fields, save_one};

fn version(n: i64, from: i64, tz: &str) -> CalendarVersion {
    CalendarVersion {
        version: n,
        effective_from: at(from),
        hours: CalendarHours::weekdays_nine_to_five(tz),
        created_at: at(from),
    }
}

fn calendar(name: &str) -> BusinessCalendar {
    let mut hours = CalendarHours::weekdays_nine_to_five("Europe/Berlin");
    hours.holidays = vec!["2026-12-25".into()];
    hours.exceptions.insert("2026-12-24".into(), vec![vec![540, 720]]);
    BusinessCalendar {
        id: CalendarId::new(),
        name: name.into(),
        versions: vec![CalendarVersion { hours, ..version(1, 0, "") }],
        created_at: at(0),
        updated_at: at(0),
    }
}

async fn add_calendar(store: &DynStore, c: BusinessCalendar) -> BusinessCalendar {
    store.create_calendar(&c, None, &audit_for("calendar", c.id, "create")).await.expect("create calendar");
    c
}

async fn audit_count(store: &DynStore) -> usize {
    store.list_audit(&AuditQuery { limit: 500, ..AuditQuery::default() }).await.expect("audit").len()
}

async fn next_check(store: &DynStore, id: TicketId) -> Option<Timestamp> {
    store.ticket_sla(id).await.expect("sla").and_then(|s| s.next_check_at)
}

#[tokio::test]
async fn calendars_are_created_with_their_versions_and_updates_add_versions_without_rewriting_old_ones() {
    for (backend, store) in each_store().await {
        let start = store.sla_config().await.expect("config");
        assert_eq!((start.revision, start.calendars.len(), start.default_calendar_id), (0, 0, None), "{backend}");
        let zulu = add_calendar(&store, calendar("Zulu hours")).await;
        let mut alpha = calendar("Alpha hours");
        alpha.versions.push(version(2, 1_000, "Asia/Tokyo"));
        let alpha = add_calendar(&store, alpha).await;
        let config = store.sla_config().await.expect("config");
        assert_eq!(config.calendars, [alpha.clone(), zulu.clone()], "{backend}: by name, every field kept");
        assert_eq!(config.revision, 2, "{backend}: each change moves the revision");
        assert_eq!(store.sla_revision().await.expect("revision"), 2, "{backend}");

        let acme = add_account(&store, account(fields("Acme"))).await;
        let open = add_ticket(&store, ticket(acme.id, "Open")).await;
        let mut done = ticket(acme.id, "Closed");
        done.status = Status::Closed;
        let done = add_ticket(&store, done).await;

        // A rename alone adds no version and leaves tickets alone.
        store
            .update_calendar(zulu.id, "Zulu", None, None, at(50), &audit_for("calendar", zulu.id, "update"))
            .await
            .expect("rename");
        assert_eq!(next_check(&store, open.id).await, None, "{backend}");
        let v2 = version(2, 100, "UTC");
        store
            .update_calendar(zulu.id, "Zulu", Some(&v2), None, at(60), &audit_for("calendar", zulu.id, "update"))
            .await
            .expect("version");
        let config = store.sla_config().await.expect("config");
        let stored = config.calendars.iter().find(|c| c.id == zulu.id).expect("zulu");
        assert_eq!(stored.name, "Zulu", "{backend}");
        assert_eq!(stored.updated_at, at(60), "{backend}");
        assert_eq!(stored.versions, [zulu.versions[0].clone(), v2.clone()], "{backend}");
        assert_eq!(config.revision, 4, "{backend}");
        assert_eq!(next_check(&store, open.id).await, Some(at(60)), "{backend}: open tickets are rechecked");
        assert_eq!(next_check(&store, done.id).await, None, "{backend}: closed ones are not");

        // A version number already taken: someone else changed the calendar meanwhile.
        let audit_before = audit_count(&store).await;
        let clash = version(2, 200, "Asia/Tokyo");
        let refused = store
            .update_calendar(
                zulu.id,
                "Renamed meanwhile",
                Some(&clash),
                None,
                at(70),
                &audit_for("calendar", zulu.id, "update"),
            )
            .await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{backend}: {refused:?}");
        let after = store.sla_config().await.expect("config");
        assert_eq!(after.calendars, config.calendars, "{backend}: nothing of the refused change");
        assert_eq!(after.revision, 4, "{backend}");
        assert_eq!(audit_count(&store).await, audit_before, "{backend}");

        let ghost = store
            .update_calendar(CalendarId::new(), "Ghost", Some(&v2), None, at(80), &audit_for("calendar", "x", "update"))
            .await;
        assert!(matches!(ghost, Err(StoreError::NotFound)), "{backend}: {ghost:?}");
    }
}

fn policy_set(version: i64, from: i64) -> PolicySet {
    let mut second = default_policy();
    second.name = format!("Version {version}");
    second.filter.tiers = vec![Tier::Enterprise];
    PolicySet { version, effective_from: at(from), policies: vec![second, default_policy()] }
}

#[tokio::test]
async fn policy_sets_are_versioned_oldest_first_and_a_version_taken_meanwhile_is_a_conflict() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let open = add_ticket(&store, ticket(acme.id, "Open")).await;
        let one = policy_set(1, 0);
        let two = policy_set(2, 500);
        for set in [&one, &two] {
            store.save_policy_set(set, None, &audit_for("sla_policies", set.version, "create")).await.expect("save");
        }
        let config = store.sla_config().await.expect("config");
        assert_eq!(config.policy_sets, [one.clone(), two.clone()], "{backend}: every field kept, oldest first");
        assert_eq!(config.revision, 2, "{backend}");
        assert_eq!(next_check(&store, open.id).await, Some(at(500)), "{backend}: rechecked from the new version on");

        let audit_before = audit_count(&store).await;
        let refused = store.save_policy_set(&policy_set(2, 900), None, &audit_for("sla_policies", 2, "create")).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{backend}: {refused:?}");
        let after = store.sla_config().await.expect("config");
        assert_eq!(after, config, "{backend}: the refused version changed nothing");
        assert_eq!(audit_count(&store).await, audit_before, "{backend}");
        assert_eq!(next_check(&store, open.id).await, Some(at(500)), "{backend}");
    }
}

/// The `policy_inputs_changed` entries of a ticket's log, with their seq and instant.
async fn inputs_changes(store: &DynStore, t: &Ticket) -> Vec<(i64, Timestamp, TicketEventKind)> {
    store
        .ticket_events(t.id)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| matches!(e.kind, TicketEventKind::PolicyInputsChanged { .. }))
        .map(|e| {
            assert_eq!(e.actor_id, None);
            (e.seq, e.at, e.kind)
        })
        .collect()
}

/// A ticket whose log already has `extra` entries after `created`.
async fn ticket_with_log(store: &DynStore, t: Ticket, extra: i64) -> Ticket {
    let t = add_ticket(store, t).await;
    let events = (0..extra)
        .map(|i| {
            crate::tickets::event(
                &t,
                i + 2,
                5,
                crate::tickets::comment(tamhub_domain::tickets::CommentAuthor::Customer, "more"),
            )
        })
        .collect();
    store.save_ticket_change(&change(&t, 1, events)).await.expect("append");
    t
}

#[tokio::test]
async fn an_account_inputs_change_is_appended_to_that_accounts_tickets_that_are_not_closed() {
    for (backend, store) in each_store().await {
        let own = add_calendar(&store, calendar("Own")).await;
        let acme = add_account(&store, account(fields("Acme"))).await;
        let beta = add_account(&store, account(fields("Beta"))).await;
        let fresh = ticket_with_log(&store, ticket(acme.id, "Fresh"), 0).await;
        let busy = ticket_with_log(&store, ticket(acme.id, "Busy"), 2).await;
        let mut solved = ticket(acme.id, "Solved");
        solved.status = Status::Solved;
        let solved = ticket_with_log(&store, solved, 0).await;
        let mut closed = ticket(acme.id, "Closed");
        closed.status = Status::Closed;
        let closed = ticket_with_log(&store, closed, 0).await;
        let elsewhere = ticket_with_log(&store, ticket(beta.id, "Elsewhere"), 0).await;

        let mut changed = acme.clone();
        changed.fields.tier = Tier::Business;
        changed.fields.calendar_id = Some(own.id);
        changed.updated_at = at(500);
        let inputs = InputsChange::Account { account_id: acme.id, calendar_id: Some(own.id) };
        store.update_account(&changed, None, Some(&inputs), &[]).await.expect("update");

        let expected = TicketEventKind::PolicyInputsChanged { tier: Tier::Business, calendar_id: Some(own.id) };
        for (t, seq) in [(&fresh, 2), (&busy, 4), (&solved, 2)] {
            assert_eq!(inputs_changes(&store, t).await, [(seq, at(500), expected.clone())], "{backend}: {}", t.title);
            assert_eq!(next_check(&store, t.id).await, Some(at(500)), "{backend}: {}", t.title);
        }
        for t in [&closed, &elsewhere] {
            assert!(inputs_changes(&store, t).await.is_empty(), "{backend}: {}", t.title);
            assert_eq!(next_check(&store, t.id).await, None, "{backend}: {}", t.title);
        }
        // The log moved on: a change planned before the account changed is refused.
        let stale = store.save_ticket_change(&change(&fresh, 1, Vec::new())).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{backend}: {stale:?}");
        assert!(!save_one(&store, fresh.id, 1, &empty_sla(at(600)), &[]).await.expect("scan"), "{backend}");
        assert!(save_one(&store, fresh.id, 2, &empty_sla(at(600)), &[]).await.expect("scan"), "{backend}");
    }
}

#[tokio::test]
async fn a_default_calendar_change_reaches_the_open_tickets_of_accounts_without_their_own_calendar() {
    for (backend, store) in each_store().await {
        let standard = add_calendar(&store, calendar("Standard")).await;
        let own = add_calendar(&store, calendar("Own")).await;
        let plain = add_account(&store, account(fields("Plain"))).await;
        let mut f = fields("Own hours");
        f.tier = Tier::EnterpriseOnRamp;
        f.calendar_id = Some(own.id);
        let special = add_account(&store, account(f)).await;
        let mut b = fields("Business");
        b.tier = Tier::Business;
        let business = add_account(&store, account(b)).await;
        let on_plain = ticket_with_log(&store, ticket(plain.id, "Plain"), 1).await;
        let on_business = ticket_with_log(&store, ticket(business.id, "Business"), 0).await;
        let on_special = ticket_with_log(&store, ticket(special.id, "Special"), 0).await;
        let mut closed = ticket(plain.id, "Closed");
        closed.status = Status::Closed;
        let closed = ticket_with_log(&store, closed, 0).await;
        let revision = store.sla_revision().await.expect("revision");

        store
            .set_default_calendar(Some(standard.id), at(700), &audit_for("setting", "default_calendar", "set"))
            .await
            .expect("set");
        let config = store.sla_config().await.expect("config");
        assert_eq!(config.default_calendar_id, Some(standard.id), "{backend}");
        assert_eq!(config.revision, revision + 1, "{backend}");
        let set = |tier| TicketEventKind::PolicyInputsChanged { tier, calendar_id: Some(standard.id) };
        assert_eq!(inputs_changes(&store, &on_plain).await, [(3, at(700), set(Tier::Enterprise))], "{backend}");
        assert_eq!(inputs_changes(&store, &on_business).await, [(2, at(700), set(Tier::Business))], "{backend}");
        for t in [&on_plain, &on_business] {
            assert_eq!(next_check(&store, t.id).await, Some(at(700)), "{backend}: {}", t.title);
        }
        for t in [&on_special, &closed] {
            assert!(inputs_changes(&store, t).await.is_empty(), "{backend}: {}", t.title);
            assert_eq!(next_check(&store, t.id).await, None, "{backend}: {}", t.title);
        }

        store
            .set_default_calendar(None, at(800), &audit_for("setting", "default_calendar", "clear"))
            .await
            .expect("clear");
        assert_eq!(store.sla_config().await.expect("config").default_calendar_id, None, "{backend}");
        let cleared = TicketEventKind::PolicyInputsChanged { tier: Tier::Enterprise, calendar_id: None };
        let log = inputs_changes(&store, &on_plain).await;
        assert_eq!(log.last(), Some(&(4, at(800), cleared)), "{backend}");
        assert!(inputs_changes(&store, &on_special).await.is_empty(), "{backend}");
    }
}
