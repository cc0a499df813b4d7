//! Incidents: stored whole with their timeline, seen only through an impacted account of the
//! reader's scope, written only on the timeline they were planned on.

use tamhub_domain::accounts::Phase;
use tamhub_domain::ids::IncidentId;
use tamhub_domain::incidents::{Incident, IncidentDraft, IncidentStatus, Severity, TimelineEntry, TimelineKind};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::Role;
use tamhub_store::{IncidentChange, IncidentQuery, StoreError};

use crate::{DynStore, account, add_account, add_user, at, audit_for, each_store, fields};

fn entries(incident: &Incident, first_seq: i64, seconds: i64, kinds: Vec<TimelineKind>) -> Vec<TimelineEntry> {
    kinds
        .into_iter()
        .enumerate()
        .map(|(n, kind)| TimelineEntry {
            incident_id: incident.id,
            seq: first_seq + n as i64,
            at: at(seconds),
            actor_id: None,
            kind,
        })
        .collect()
}

async fn declare(store: &DynStore, title: &str, accounts: Vec<tamhub_domain::ids::AccountId>) -> Incident {
    let draft = IncidentDraft {
        title: title.into(),
        severity: "P2".into(),
        impacted_account_ids: accounts,
        ..IncidentDraft::default()
    };
    let (incident, kinds) = draft.declare(IncidentId::new(), 0, None, at(0)).expect("valid draft");
    let change = IncidentChange {
        entries: entries(&incident, 1, 0, kinds),
        incident,
        is_new: true,
        expected_last_seq: 0,
        cadence: Default::default(),
        review: None,
        actions: Vec::new(),
        alerts: Vec::new(),
        notifications: Vec::new(),
        audit: vec![audit_for("incident", "x", "create")],
    };
    store.save_incident_change(&change).await.expect("declared")
}

#[tokio::test]
async fn an_incident_is_stored_whole_numbered_and_with_its_timeline() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let first = declare(&store, "API errors", vec![acme.id]).await;
        let second = declare(&store, "Slow dashboards", vec![acme.id]).await;
        assert_eq!((first.number, second.number), (1, 2), "{backend}");
        assert_eq!(store.get_incident(first.id).await.expect("get"), first, "{backend}");
        let timeline = store.incident_timeline(first.id).await.expect("timeline");
        assert_eq!(timeline.len(), 1, "{backend}");
        assert!(matches!(timeline[0].kind, TimelineKind::Declared { severity: Severity::P2, .. }), "{backend}");

        // A change on the timeline as it stands is written; one planned on an older one is not.
        let mut moved = first.clone();
        let kinds = moved.plan_status_change(IncidentStatus::Investigating, at(60)).expect("move");
        for k in &kinds {
            moved.apply(at(60), k);
        }
        let change = IncidentChange {
            incident: moved.clone(),
            is_new: false,
            expected_last_seq: 1,
            entries: entries(&moved, 2, 60, kinds),
            cadence: Default::default(),
            review: None,
            actions: Vec::new(),
            alerts: Vec::new(),
            notifications: Vec::new(),
            audit: Vec::new(),
        };
        store.save_incident_change(&change).await.expect("moved");
        let again = store.save_incident_change(&change).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{backend}: {again:?}");
        let stored = store.get_incident(first.id).await.expect("get");
        assert_eq!(stored.status, IncidentStatus::Investigating, "{backend}");
        assert_eq!(store.incident_timeline(first.id).await.expect("timeline").len(), 2, "{backend}");
        assert!(matches!(store.get_incident(IncidentId::new()).await, Err(StoreError::NotFound)), "{backend}");
    }
}

#[tokio::test]
async fn a_user_lists_only_incidents_that_impact_an_account_of_their_scope() {
    for (backend, store) in each_store().await {
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let mut mine = fields("Mine");
        mine.primary_tam_id = Some(tam.id);
        mine.phase = Phase::PostLaunch;
        let mine = add_account(&store, account(mine)).await;
        let other = add_account(&store, account(fields("Other"))).await;
        let shared = declare(&store, "Shared outage", vec![other.id, mine.id]).await;
        let _elsewhere = declare(&store, "Elsewhere", vec![other.id]).await;
        let _internal = declare(&store, "Internal", Vec::new()).await;

        let titles =
            |page: tamhub_store::IncidentPage| page.items.into_iter().map(|i| i.incident.title).collect::<Vec<_>>();
        let tam_view = store.list_incidents(&IncidentQuery::in_scope(AccountScope::Tam(tam.id))).await.expect("list");
        assert_eq!((tam_view.total, titles(tam_view)), (1, vec!["Shared outage".to_string()]), "{backend}");
        let all = store.list_incidents(&IncidentQuery::in_scope(AccountScope::All)).await.expect("list");
        assert_eq!(titles(all), ["Internal", "Elsewhere", "Shared outage"], "{backend}: newest first");
        let customer =
            store.list_incidents(&IncidentQuery::in_scope(AccountScope::Customer(other.id))).await.expect("list");
        assert_eq!(customer.total, 2, "{backend}");

        let of_account = IncidentQuery { account_id: Some(mine.id), ..IncidentQuery::in_scope(AccountScope::All) };
        assert_eq!(titles(store.list_incidents(&of_account).await.expect("list")), ["Shared outage"], "{backend}");
        let live =
            IncidentQuery { statuses: vec![IncidentStatus::Resolved], ..IncidentQuery::in_scope(AccountScope::All) };
        assert_eq!(store.list_incidents(&live).await.expect("list").total, 0, "{backend}");
        let p2 = IncidentQuery { severity: Some(Severity::P2), ..IncidentQuery::in_scope(AccountScope::All) };
        assert_eq!(store.list_incidents(&p2).await.expect("list").total, 3, "{backend}");
        assert_eq!(shared.impacted_account_ids, [other.id, mine.id], "{backend}");
    }
}
