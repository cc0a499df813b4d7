//! What the SLA scanner relies on: alerts exist once per key and only new ones notify (R-W4),
//! evaluations are refused on a stale log, due checks come soonest first, leases, rechecks; and
//! the notification list they feed.

use tamhub_domain::ids::{NotificationId, UserId};
use tamhub_domain::notifications::{AlertKind, Notification};
use tamhub_domain::sla::model::Metric;
use tamhub_domain::tickets::{CommentAuthor, Status, Ticket};
use tamhub_domain::users::Role;
use tamhub_store::{AlertNotices, SlaSnapshot, StoreError, TicketChange};

use crate::tickets::{add_ticket, alert, change, comment, cycle, empty_sla, event, notification, ticket};
use crate::{DynStore, account, add_account, add_user, at, each_store, fields, save_one};

async fn titles(store: &DynStore, user: UserId) -> Vec<String> {
    let mut titles: Vec<String> = store
        .list_notifications(user, false, 500, 0)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| n.title)
        .collect();
    titles.sort();
    titles
}

/// Two alerts of one ticket, each notifying both users, with titles tagged `tag`.
fn alerts(t: &Ticket, users: &[UserId], tag: &str) -> Vec<AlertNotices> {
    [(AlertKind::WarningPercent, 75, 10), (AlertKind::Breach, 0, 20)]
        .into_iter()
        .map(|(kind, threshold, seconds)| AlertNotices {
            alert: alert(t, kind, threshold, seconds),
            notifications: users
                .iter()
                .map(|u| notification(*u, t, seconds, &format!("{tag} {}", kind.as_str())))
                .collect(),
        })
        .collect()
}

#[tokio::test]
async fn an_alert_is_stored_once_per_key_and_only_a_new_alert_writes_its_notifications() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let agent = add_user(&store, "agent@example.com", Role::Support).await;
        let t = add_ticket(&store, ticket(acme.id, "Alerted")).await;
        let users = [tam.id, agent.id];

        let write = TicketChange { alerts: alerts(&t, &users, "first"), ..change(&t, 1, Vec::new()) };
        store.save_ticket_change(&write).await.expect("first");
        let stored = store.ticket_alerts(t.id).await.expect("alerts");
        let expected: Vec<_> = write.alerts.iter().map(|a| a.alert.clone()).collect();
        assert_eq!(stored, expected, "{backend}");

        // The same keys again, by a ticket change and by the scanner: nothing new.
        let mut again = alerts(&t, &users, "again");
        again[0].alert.at = at(11);
        let write = TicketChange { alerts: again.clone(), ..change(&t, 1, Vec::new()) };
        store.save_ticket_change(&write).await.expect("again");
        assert!(save_one(&store, t.id, 1, &empty_sla(at(30)), &again).await.expect("scan"), "{backend}");
        assert_eq!(store.ticket_alerts(t.id).await.expect("alerts"), stored, "{backend}: the first instant stays");
        for user in users {
            assert_eq!(titles(&store, user).await, ["first breach", "first warning_percent"], "{backend}");
        }

        // A new key (another threshold, cycle or metric) is a new alert with its notifications.
        let mut new = alerts(&t, &[tam.id], "new");
        new[0].alert.threshold = 90;
        new[1].alert.cycle_no = 2;
        let mut remaining = alerts(&t, &[tam.id], "remaining");
        remaining.truncate(1);
        remaining[0].alert.kind = AlertKind::WarningRemaining;
        remaining[0].alert.metric = Metric::Resolution;
        new.extend(remaining);
        save_one(&store, t.id, 1, &empty_sla(at(40)), &new).await.expect("scan");
        assert_eq!(store.ticket_alerts(t.id).await.expect("alerts").len(), 5, "{backend}");
        assert_eq!(titles(&store, tam.id).await.len(), 5, "{backend}");
        assert_eq!(titles(&store, agent.id).await.len(), 2, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_evaluations_of_one_ticket_store_each_alert_and_its_notifications_once() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let mut tickets = Vec::new();
        for i in 0..6 {
            tickets.push(add_ticket(&store, ticket(acme.id, &format!("T{i}"))).await);
        }
        let mut writers = Vec::new();
        for writer in 0..4 {
            let store = store.clone();
            let tickets = tickets.clone();
            writers.push(tokio::spawn(async move {
                for t in &tickets {
                    let notices = alerts(t, &[tam.id], &format!("{} by {writer}", t.title));
                    let saved = save_one(&store, t.id, 1, &empty_sla(at(50)), &notices).await;
                    assert!(saved.expect("evaluation"), "the log did not change");
                }
            }));
        }
        for w in writers {
            w.await.expect("writer");
        }
        for t in &tickets {
            assert_eq!(store.ticket_alerts(t.id).await.expect("alerts").len(), 2, "{backend}");
        }
        let all = titles(&store, tam.id).await;
        assert_eq!(all.len(), 12, "{backend}: one notification per alert: {all:?}");
        for t in &tickets {
            let of_ticket = all.iter().filter(|n| n.starts_with(&format!("{} by", t.title))).count();
            assert_eq!(of_ticket, 2, "{backend}");
        }
    }
}

#[tokio::test]
async fn an_evaluation_planned_on_a_stale_log_is_not_stored() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let t = add_ticket(&store, ticket(acme.id, "Scanned")).await;
        let reply = event(&t, 2, 100, comment(CommentAuthor::Agent, "on it"));
        store.save_ticket_change(&change(&t, 1, vec![reply])).await.expect("reply");
        let before = store.ticket_sla(t.id).await.expect("sla");

        let fresh = SlaSnapshot {
            evaluated_at: at(200),
            cycles: vec![cycle(Metric::FirstResponse, 900), cycle(Metric::Resolution, 5_000)],
            due_at: Some(at(900)),
            next_check_at: Some(at(900)),
        };
        let stale = save_one(&store, t.id, 1, &fresh, &alerts(&t, &[tam.id], "stale")).await;
        assert!(!stale.expect("stale"), "{backend}: read at seq 1, the log is at 2");
        assert_eq!(store.ticket_sla(t.id).await.expect("sla"), before, "{backend}");
        assert!(store.ticket_alerts(t.id).await.expect("alerts").is_empty(), "{backend}");
        assert!(titles(&store, tam.id).await.is_empty(), "{backend}");

        assert!(save_one(&store, t.id, 2, &fresh, &[]).await.expect("current"), "{backend}");
        assert_eq!(store.ticket_sla(t.id).await.expect("sla"), Some(fresh.clone()), "{backend}: round trip");
        let listed = store
            .list_tickets(&tamhub_store::TicketQuery::in_scope(tamhub_domain::scope::AccountScope::All))
            .await
            .expect("list");
        assert_eq!(listed.items[0].sla_due_at, Some(at(900)), "{backend}: the queue sees the due instant");

        let unknown = save_one(&store, tamhub_domain::ids::TicketId::new(), 0, &fresh, &[]).await;
        assert!(!unknown.expect("unknown"), "{backend}");
        assert!(
            matches!(store.ticket_sla(tamhub_domain::ids::TicketId::new()).await, Err(StoreError::NotFound)),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn due_checks_come_soonest_first_up_to_the_limit_and_a_recheck_makes_every_open_ticket_due() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let mut checks = Vec::new();
        for (i, next) in [Some(300), None, Some(100), Some(500), Some(200), Some(10_000)].into_iter().enumerate() {
            let t = add_ticket(&store, ticket(acme.id, &format!("T{i}"))).await;
            let sla = SlaSnapshot { next_check_at: next.map(at), ..empty_sla(at(0)) };
            save_one(&store, t.id, 1, &sla, &[]).await.expect("evaluation");
            checks.push((t, next));
        }
        let id = |i: usize| checks[i].0.id;
        assert_eq!(store.due_sla_checks(at(500), 100).await.expect("due"), [id(2), id(4), id(0), id(3)], "{backend}");
        assert_eq!(store.due_sla_checks(at(499), 2).await.expect("due"), [id(2), id(4)], "{backend}: limit");
        assert!(store.due_sla_checks(at(99), 100).await.expect("due").is_empty(), "{backend}");

        // A closed ticket is never rechecked.
        let mut closed = ticket(acme.id, "Closed");
        closed.status = Status::Closed;
        let closed = add_ticket(&store, closed).await;
        assert_eq!(store.request_sla_recheck(at(50)).await.expect("recheck"), 6, "{backend}");
        let due = store.due_sla_checks(at(50), 100).await.expect("due");
        assert_eq!(due.len(), 6, "{backend}");
        assert!(!due.contains(&closed.id), "{backend}");
        assert!(store.due_sla_checks(at(49), 100).await.expect("due").is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn a_lease_belongs_to_its_first_holder_until_it_expires_and_the_holder_renews_it() {
    for (backend, store) in each_store().await {
        let lease = |holder: &'static str, now: i64| {
            let store = store.clone();
            async move { store.acquire_lease("sla_scanner", holder, at(now), 60).await.expect("lease") }
        };
        assert!(lease("a", 0).await, "{backend}: the first holder wins");
        assert!(!lease("b", 30).await, "{backend}: another waits");
        assert!(lease("a", 50).await, "{backend}: the holder renews, now until 110");
        assert!(!lease("b", 100).await, "{backend}: the renewal counts");
        assert!(lease("b", 110).await, "{backend}: another takes over when it expires");
        assert!(!lease("a", 111).await, "{backend}: the old holder has lost it");
        // Leases are per name.
        assert!(store.acquire_lease("other_job", "a", at(111), 60).await.expect("lease"), "{backend}");
    }
}

#[tokio::test]
async fn notifications_list_newest_first_count_unread_and_are_marked_read_by_their_owner_only() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let other = add_user(&store, "other@example.com", Role::Tam).await;
        let t = add_ticket(&store, ticket(acme.id, "Noisy")).await;
        let mine: Vec<Notification> = (0..5).map(|i| notification(tam.id, &t, 10 * i, &format!("n{i}"))).collect();
        let theirs = notification(other.id, &t, 5, "theirs");
        let mut all = mine.clone();
        all.push(theirs.clone());
        store
            .save_ticket_change(&TicketChange { notifications: all, ..change(&t, 1, Vec::new()) })
            .await
            .expect("save");

        let listed = store.list_notifications(tam.id, false, 10, 0).await.expect("list");
        let names: Vec<&str> = listed.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(names, ["n4", "n3", "n2", "n1", "n0"], "{backend}");
        assert_eq!(listed[0], mine[4], "{backend}: round trip");
        let page: Vec<String> =
            store.list_notifications(tam.id, false, 2, 2).await.expect("page").into_iter().map(|n| n.title).collect();
        assert_eq!(page, ["n2", "n1"], "{backend}");
        assert_eq!(store.unread_notifications(tam.id).await.expect("unread"), 5, "{backend}");

        // Someone else's notification is not found, and stays unread.
        let refused = store.mark_notifications_read(tam.id, Some(theirs.id), at(100)).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{backend}: {refused:?}");
        let refused = store.mark_notifications_read(tam.id, Some(NotificationId::new()), at(100)).await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{backend}: {refused:?}");
        assert_eq!(store.unread_notifications(other.id).await.expect("unread"), 1, "{backend}");

        assert_eq!(store.mark_notifications_read(tam.id, Some(mine[1].id), at(100)).await.expect("mark"), 1);
        assert_eq!(store.mark_notifications_read(tam.id, Some(mine[1].id), at(200)).await.expect("again"), 0);
        assert_eq!(store.unread_notifications(tam.id).await.expect("unread"), 4, "{backend}");
        let unread: Vec<String> =
            store.list_notifications(tam.id, true, 10, 0).await.expect("unread").into_iter().map(|n| n.title).collect();
        assert_eq!(unread, ["n4", "n3", "n2", "n0"], "{backend}");
        let read = store.list_notifications(tam.id, false, 10, 0).await.expect("list");
        assert_eq!(read[3].read_at, Some(at(100)), "{backend}: the first marking counts");

        assert_eq!(store.mark_notifications_read(tam.id, None, at(300)).await.expect("all"), 4, "{backend}");
        assert_eq!(store.unread_notifications(tam.id).await.expect("unread"), 0, "{backend}");
        assert_eq!(store.unread_notifications(other.id).await.expect("unread"), 1, "{backend}: only the caller's");
        assert!(store.list_notifications(tam.id, true, 10, 0).await.expect("unread").is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn a_batch_of_evaluations_stores_the_fresh_ones_with_their_new_alerts_only() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let fresh = add_ticket(&store, ticket(acme.id, "Fresh")).await;
        let stale = add_ticket(&store, ticket(acme.id, "Stale")).await;
        let known = add_ticket(&store, ticket(acme.id, "Known")).await;
        let reply = event(&stale, 2, 100, comment(CommentAuthor::Agent, "on it"));
        store.save_ticket_change(&change(&stale, 1, vec![reply])).await.expect("reply");
        // One of Known's two alerts exists already.
        let mut existing = alerts(&known, &[tam.id], "Known earlier");
        existing.truncate(1);
        assert!(save_one(&store, known.id, 1, &empty_sla(at(30)), &existing).await.expect("earlier"), "{backend}");
        let stale_before = store.ticket_sla(stale.id).await.expect("sla");

        let snapshot = |due: i64| SlaSnapshot {
            evaluated_at: at(200),
            cycles: vec![cycle(Metric::FirstResponse, due)],
            due_at: Some(at(due)),
            next_check_at: Some(at(due)),
        };
        let evaluation = |t: &Ticket, last_seq, due| tamhub_store::SlaEvaluation {
            ticket_id: t.id,
            last_seq,
            sla: snapshot(due),
            alerts: alerts(t, &[tam.id], &t.title),
        };
        let batch = [evaluation(&fresh, 1, 900), evaluation(&stale, 1, 901), evaluation(&known, 1, 902)];
        let stored = store.save_sla_evaluations(&batch).await.expect("batch");
        assert_eq!(stored, [true, false, true], "{backend}: the stale log's evaluation is refused");

        assert_eq!(store.ticket_sla(fresh.id).await.expect("sla").and_then(|s| s.due_at), Some(at(900)), "{backend}");
        assert_eq!(store.ticket_sla(known.id).await.expect("sla").and_then(|s| s.due_at), Some(at(902)), "{backend}");
        assert_eq!(store.ticket_sla(stale.id).await.expect("sla"), stale_before, "{backend}");
        assert_eq!(store.ticket_alerts(fresh.id).await.expect("alerts").len(), 2, "{backend}");
        assert!(store.ticket_alerts(stale.id).await.expect("alerts").is_empty(), "{backend}");
        assert_eq!(store.ticket_alerts(known.id).await.expect("alerts").len(), 2, "{backend}");
        assert_eq!(
            titles(&store, tam.id).await,
            ["Fresh breach", "Fresh warning_percent", "Known breach", "Known earlier warning_percent"],
            "{backend}: a notification for each new alert, none for the existing one or the refused evaluation"
        );
    }
}
