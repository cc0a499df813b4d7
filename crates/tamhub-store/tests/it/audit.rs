use serde_json::json;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::handoff::{HandoffChecklist, SignOff};
use tamhub_domain::ids::AccountId;
use tamhub_domain::users::Role;
use tamhub_store::{AuditQuery, Store};
use tamhub_testkit::stores::{pg_store, sqlite_store};

use crate::{account, add_account, add_user, at, audit_for, each_store, fields};

#[tokio::test]
async fn a_handoff_checklist_round_trips_with_both_sign_offs_and_is_replaced_on_save() {
    for (backend, store) in each_store().await {
        let psm = add_user(&store, "psm@example.com", Role::Psm).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let acme = add_account(&store, account(fields("Acme"))).await;
        assert_eq!(store.get_handoff(acme.id).await.expect("get"), None, "{backend}");

        let mut checklist = HandoffChecklist::empty(acme.id);
        store.save_handoff(&checklist, &audit_for("handoff", acme.id, "update")).await.expect("save");
        assert_eq!(store.get_handoff(acme.id).await.expect("get"), Some(checklist.clone()), "{backend}");

        checklist.meeting_held = true;
        checklist.documentation_reviewed = true;
        checklist.shadow_period_done = true;
        checklist.notes = "Runbooks handed over — see wiki".into();
        checklist.psm_signoff = Some(SignOff { user_id: psm.id, at: at(100) });
        checklist.tam_signoff = Some(SignOff { user_id: tam.id, at: at(200) });
        checklist.updated_at = Some(at(200));
        store.save_handoff(&checklist, &audit_for("handoff", acme.id, "sign")).await.expect("save");
        assert_eq!(store.get_handoff(acme.id).await.expect("get"), Some(checklist.clone()), "{backend}");

        checklist.notes = "Changed".into();
        checklist.psm_signoff = None;
        checklist.tam_signoff = None;
        checklist.updated_at = Some(at(300));
        store.save_handoff(&checklist, &audit_for("handoff", acme.id, "update")).await.expect("save");
        assert_eq!(store.get_handoff(acme.id).await.expect("get"), Some(checklist), "{backend}");
        assert_eq!(store.get_handoff(AccountId::new()).await.expect("get"), None, "{backend}");
    }
}

#[tokio::test]
async fn audit_entries_list_newest_first_filtered_by_account_and_entity_type() {
    for (backend, store) in each_store().await {
        let actor = add_user(&store, "admin@example.com", Role::Admin).await;
        let acme = add_account(&store, account(fields("Acme"))).await;
        let other = add_account(&store, account(fields("Other"))).await;
        let before = json!({"name": "Acme", "arr": 5, "tags": ["a", "b"], "nested": {"x": null}});
        let after = json!({"name": "Acme Group", "arr": 6.5, "unicode": "Zürich ✓"});
        let update = AuditEntry {
            at: at(100),
            ..AuditEntry::new(at(0), Some(actor.id), "account", acme.id, "update")
                .for_account(acme.id)
                .with_before(&before)
                .with_after(&after)
        };
        let handoff = AuditEntry { at: at(200), ..audit_for("handoff", acme.id, "sign").for_account(acme.id) };
        let elsewhere = AuditEntry { at: at(150), ..audit_for("account", other.id, "update").for_account(other.id) };
        store.update_account(&acme, None, None, &[update.clone(), handoff.clone()]).await.expect("append");
        store.update_account(&other, None, None, std::slice::from_ref(&elsewhere)).await.expect("append");

        let by_account = store
            .list_audit(&AuditQuery { account_id: Some(acme.id), limit: 10, ..AuditQuery::default() })
            .await
            .expect("list");
        // Each account's creation is audited too (at the fixture's epoch, so it sorts last).
        assert_eq!(by_account.len(), 3, "{backend}");
        assert_eq!(by_account[0], handoff, "{backend}");
        assert_eq!(by_account[1], update, "{backend}: actor, before and after round-trip");
        assert_eq!(by_account[2].action, "create", "{backend}");

        let accounts_only = store
            .list_audit(&AuditQuery {
                account_id: Some(acme.id),
                entity_type: Some("handoff".into()),
                limit: 10,
                offset: 0,
            })
            .await
            .expect("list");
        assert_eq!(accounts_only, std::slice::from_ref(&handoff), "{backend}");

        let all = store.list_audit(&AuditQuery { limit: 100, ..AuditQuery::default() }).await.expect("list");
        assert_eq!(all.len(), 6, "{backend}: a user, two accounts, three changes");
        assert!(all.windows(2).all(|w| (w[0].at, w[0].id) >= (w[1].at, w[1].id)), "{backend}: newest first");
        let second_page =
            store.list_audit(&AuditQuery { limit: 2, offset: 1, ..AuditQuery::default() }).await.expect("list");
        assert_eq!(second_page, all[1..3], "{backend}");
    }
}

const TAMPERING: [&str; 2] = ["UPDATE audit_log SET action = 'tampered'", "DELETE FROM audit_log"];

fn assert_refused(backend: &str, statement: &str, result: Result<impl std::fmt::Debug, sqlx::Error>) {
    match result {
        Ok(done) => panic!("{backend}: {statement} succeeded: {done:?}"),
        Err(err) => assert!(err.to_string().contains("append-only"), "{backend}: {statement}: {err}"),
    }
}

#[tokio::test]
async fn audit_log_rows_cannot_be_updated_or_deleted_even_with_raw_sql() {
    let sqlite = sqlite_store().await;
    let pg = pg_store().await;
    let mut stores: Vec<(&str, std::sync::Arc<dyn tamhub_store::Store>)> = vec![("sqlite", sqlite.clone())];
    if let Some(pg) = &pg {
        stores.push(("postgres", pg.clone()));
    }
    for (_, store) in &stores {
        add_user(store, "admin@example.com", Role::Admin).await;
    }
    for statement in TAMPERING {
        assert_refused("sqlite", statement, sqlx::query(statement).execute(sqlite.pool()).await);
        if let Some(pg) = &pg {
            assert_refused("postgres", statement, sqlx::query(statement).execute(pg.pool()).await);
        }
    }
    for (backend, store) in &stores {
        let entries = store.list_audit(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.expect("list");
        assert_eq!(entries.len(), 1, "{backend}");
        assert_eq!(entries[0].action, "create", "{backend}");
    }
}

#[tokio::test]
async fn settings_are_absent_until_put_and_a_put_replaces_the_value() {
    for (backend, store) in each_store().await {
        assert_eq!(store.get_setting("sla").await.expect("get"), None, "{backend}");
        let value = json!({"hours": [1, 4, 24], "enabled": true, "label": "Gold ✓", "ratio": 0.25});
        store.put_setting("sla", &value, &audit_for("setting", "sla", "put")).await.expect("put");
        assert_eq!(store.get_setting("sla").await.expect("get"), Some(value), "{backend}");
        store.put_setting("sla", &json!("plain"), &audit_for("setting", "sla", "put")).await.expect("put");
        assert_eq!(store.get_setting("sla").await.expect("get"), Some(json!("plain")), "{backend}");
        store.put_setting("nothing", &json!(null), &audit_for("setting", "nothing", "put")).await.expect("put");
        assert_eq!(store.get_setting("nothing").await.expect("get"), Some(json!(null)), "{backend}");
        let audit = store
            .list_audit(&AuditQuery { entity_type: Some("setting".into()), limit: 10, ..AuditQuery::default() })
            .await;
        assert_eq!(audit.expect("list").len(), 3, "{backend}");
    }
}

#[tokio::test]
async fn a_sqlite_backup_is_a_complete_database_and_postgres_points_to_pg_dump() {
    let dir = std::env::temp_dir().join(format!("tamhub-backup-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let source =
        tamhub_store::sqlite::SqliteStore::connect(&format!("sqlite://{}/live.db", dir.display())).await.unwrap();
    let settings = serde_json::json!({"band_min": 3});
    let audit =
        tamhub_domain::audit::AuditEntry::new(tamhub_domain::Timestamp::UNIX_EPOCH, None, "setting", "k", "update");
    source.put_setting("k", &settings, &audit).await.unwrap();
    let copy = dir.join("copy.db");
    source.backup(&copy).await.unwrap();
    let restored = tamhub_store::sqlite::SqliteStore::connect(&format!("sqlite://{}", copy.display())).await.unwrap();
    assert_eq!(restored.get_setting("k").await.unwrap(), Some(settings));
    std::fs::remove_dir_all(&dir).ok();
    if let Some(pg) = tamhub_testkit::stores::pg_store().await {
        assert!(matches!(pg.backup(&copy).await, Err(tamhub_store::StoreError::Unsupported(_))));
    }
}
