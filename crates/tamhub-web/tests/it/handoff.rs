//! The Gate 3 handoff: Post-Launch only after a complete checklist signed by the account's PSM
//! and primary TAM; gates advance one at a time.

use serde_json::{Value, json};
use tamhub_domain::SignedDuration;
use tamhub_testkit::TestApp;

use crate::support::{Client, World, create_account, draft};

fn items(notes: &str) -> Value {
    json!({"meeting_held": true, "documentation_reviewed": true, "shadow_period_done": true, "notes": notes})
}

#[tokio::test]
async fn post_launch_waits_for_a_complete_checklist_signed_by_the_psm_and_the_primary_tam() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let account = format!("/api/v1/accounts/{}", w.alpha);
        let handoff = format!("{account}/handoff");
        let sign = format!("{handoff}/sign-off");
        let to_post_launch = json!({"phase": "post_launch"});

        let refused = c.patch(&account, &w.tam.token, &to_post_launch).await;
        let error = refused.expect_error(422, "validation_failed", Some("phase"));
        let message = error["error"]["fields"]["phase"].as_str().unwrap_or_default();
        assert!(message.contains("handoff"), "[{b}] the refusal should mention the handoff: {message}");
        // Not even leadership or an admin can skip it.
        c.patch(&account, &w.admin.token, &to_post_launch).await.expect_error(422, "validation_failed", Some("phase"));

        // An incomplete checklist cannot be signed.
        let partial = json!({"meeting_held": true, "documentation_reviewed": false, "shadow_period_done": false});
        c.put(&handoff, &w.psm.token, &partial).await.expect(200);
        let incomplete = c.post(&sign, &w.psm.token, &json!({})).await;
        let error = incomplete.expect_error(422, "validation_failed", Some("checklist"));
        assert!(error.to_string().contains("documentation reviewed"), "[{b}] {error}");

        let complete = c.put(&handoff, &w.psm.token, &items("Runbooks handed over")).await;
        complete.expect(200);
        assert_eq!(complete.json()["complete"], false, "[{b}] complete but unsigned");

        // Only the account's PSM and primary TAM sign: not the backup TAM, not leadership.
        for (who, token) in
            [("backup TAM", &w.tam2.token), ("leadership", &w.leadership.token), ("admin", &w.admin.token)]
        {
            let response = c.post(&sign, token, &json!({})).await;
            assert_eq!(response.status, 403, "[{b}] {who} signed the handoff: {}", response.snippet());
        }
        // A PAM sees the account but has no part in the handoff.
        c.put(&handoff, &w.pam.token, &items("PAM notes")).await.expect_error(403, "forbidden", None);
        c.post(&sign, &w.pam.token, &json!({})).await.expect_error(403, "forbidden", None);

        t.clock.advance(SignedDuration::from_mins(5));
        let psm_signed = c.post(&sign, &w.psm.token, &json!({})).await;
        psm_signed.expect(200);
        let checklist = psm_signed.json();
        assert_eq!(checklist["psm_signoff"]["user_id"], json!(w.psm.id()), "[{b}] {checklist}");
        assert_eq!(checklist["psm_signoff"]["at"], "2026-03-02T09:05:00Z", "[{b}] {checklist}");
        assert!(checklist["tam_signoff"].is_null(), "[{b}] {checklist}");
        // One signature is not enough.
        c.patch(&account, &w.tam.token, &to_post_launch).await.expect_error(422, "validation_failed", Some("phase"));

        // Changing what was signed voids the signatures.
        let edited = c.put(&handoff, &w.tam.token, &items("Runbooks handed over; on-call rota agreed")).await;
        edited.expect(200);
        let checklist = edited.json();
        assert!(checklist["psm_signoff"].is_null() && checklist["tam_signoff"].is_null(), "[{b}] {checklist}");
        // Saving the same checklist again changes nothing and voids nothing.
        c.post(&sign, &w.psm.token, &json!({})).await.expect(200);
        let same = c.put(&handoff, &w.psm.token, &items("Runbooks handed over; on-call rota agreed")).await;
        assert!(!same.json()["psm_signoff"].is_null(), "[{b}] an unchanged save voided the signature");

        let tam_signed = c.post(&sign, &w.tam.token, &json!({})).await;
        tam_signed.expect(200);
        let checklist = tam_signed.json();
        assert_eq!(checklist["complete"], true, "[{b}] {checklist}");
        assert_eq!(checklist["tam_signoff"]["user_id"], json!(w.tam.id()), "[{b}] {checklist}");

        t.clock.advance(SignedDuration::from_mins(10));
        let moved = c.patch(&account, &w.tam.token, &to_post_launch).await;
        moved.expect(200);
        assert_eq!(moved.json()["phase"], "post_launch", "[{b}]");
        assert_eq!(moved.json()["updated_at"], "2026-03-02T09:15:00Z", "[{b}]");

        let changes = c.get(&format!("{account}/phase-changes"), &w.tam.token).await;
        changes.expect(200);
        assert_eq!(
            changes.json(),
            json!([{"from": "gate_3", "to": "post_launch", "actor_id": w.tam.id(), "at": "2026-03-02T09:15:00Z"}]),
            "[{b}]"
        );
        // Post-Launch is out of the PSM's scope now, and signing is over.
        c.get(&account, &w.psm.token).await.expect_error(404, "not_found", None);
        c.post(&sign, &w.tam.token, &json!({})).await.expect_error(422, "validation_failed", Some("phase"));
    }
}

#[tokio::test]
async fn gates_advance_one_at_a_time_and_may_move_back() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let mut d = draft("India Insurance", "gate_0");
        d.psm_id = Some(w.psm.id());
        let id = create_account(&t, d).await.id;
        let path = format!("/api/v1/accounts/{id}");

        let skipped = c.patch(&path, &w.psm.token, &json!({"phase": "gate_2"})).await;
        let error = skipped.expect_error(422, "validation_failed", Some("phase"));
        assert!(error.to_string().contains("one gate at a time"), "[{b}] {error}");
        c.patch(&path, &w.admin.token, &json!({"phase": "post_launch"})).await.expect_error(
            422,
            "validation_failed",
            Some("phase"),
        );
        let unchanged = c.get(&path, &w.admin.token).await.json();
        assert_eq!(unchanged["phase"], "gate_0", "[{b}]");

        for phase in ["gate_1", "gate_2", "gate_3"] {
            c.patch(&path, &w.psm.token, &json!({"phase": phase})).await.expect(200);
        }
        c.patch(&path, &w.psm.token, &json!({"phase": "gate_1"})).await.expect(200);
        let changes = c.get(&format!("{path}/phase-changes"), &w.admin.token).await.json();
        let moves: Vec<(String, String)> = changes
            .as_array()
            .expect("a list")
            .iter()
            .map(|m| (m["from"].as_str().unwrap_or("").to_string(), m["to"].as_str().unwrap_or("").to_string()))
            .collect();
        let expected: Vec<(String, String)> =
            [("gate_0", "gate_1"), ("gate_1", "gate_2"), ("gate_2", "gate_3"), ("gate_3", "gate_1")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        assert_eq!(moves, expected, "[{b}]");
    }
}

#[tokio::test]
async fn the_handoff_pages_follow_the_same_rules() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let page = format!("/accounts/{}/handoff", w.alpha);
        let psm = c.login_as(&w.psm.user).await;
        let backup = c.login_as(&w.tam2.user).await;

        let shown = c.page_get(&page, &psm).await;
        shown.expect(200);
        assert!(shown.text().contains("Not yet signed off"), "[{b}]");

        // Signing an incomplete checklist re-renders the page with the reason.
        let early = c.page_post(&format!("{page}/sign-off"), &psm, &[]).await;
        early.expect(422);
        assert!(early.text().contains("the checklist is incomplete"), "[{b}]");

        let saved = c
            .page_post(
                &page,
                &psm,
                &[
                    ("meeting_held", "on"),
                    ("documentation_reviewed", "on"),
                    ("shadow_period_done", "on"),
                    ("notes", "Done"),
                ],
            )
            .await;
        saved.expect(303);
        assert_eq!(saved.location(), Some(format!("{page}?notice=handoff").as_str()), "[{b}]");
        // A NUL in the notes is refused on the page too.
        let nul = c.page_post(&page, &psm, &[("meeting_held", "on"), ("notes", "bad\u{0}")]).await;
        nul.expect(422);

        let refused = c.page_post(&format!("{page}/sign-off"), &backup, &[]).await;
        refused.expect(403);
        c.page_post(&format!("{page}/sign-off"), &psm, &[]).await.expect(303);
        let checklist = c.get(&format!("/api/v1/accounts/{}/handoff", w.alpha), &w.admin.token).await.json();
        assert_eq!(checklist["psm_signoff"]["user_id"], json!(w.psm.id()), "[{b}] {checklist}");
        assert!(checklist["tam_signoff"].is_null(), "[{b}] the backup TAM's attempt left no trace: {checklist}");
        assert_eq!(checklist["notes"], "Done", "[{b}]");
    }
}

#[tokio::test]
async fn a_signature_from_a_replaced_primary_tam_no_longer_opens_post_launch() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let alpha = format!("/api/v1/accounts/{}", w.alpha);
        let items = serde_json::json!({"meeting_held": true, "documentation_reviewed": true, "shadow_period_done": true, "notes": "done"});
        c.put(&format!("{alpha}/handoff"), &w.psm.token, &items).await.expect(200);
        c.post(&format!("{alpha}/handoff/sign-off"), &w.psm.token, &serde_json::json!({})).await.expect(200);
        let signed =
            c.post(&format!("{alpha}/handoff/sign-off"), &w.tam.token, &serde_json::json!({})).await.expect(200).json();
        assert_eq!(signed["complete"], true, "[{b}]");
        // Leadership hands the account to another TAM before it launches.
        let swap = serde_json::json!({"primary_tam_id": w.tam2.id(), "backup_tam_id": w.tam.id()});
        c.patch(&alpha, &w.leadership.token, &swap).await.expect(200);
        let handoff = c.get(&format!("{alpha}/handoff"), &w.leadership.token).await.expect(200).json();
        assert_eq!(handoff["complete"], false, "[{b}] the new primary TAM has not signed");
        assert!(handoff["tam_signoff"].is_null(), "[{b}]");
        let refused = c.patch(&alpha, &w.leadership.token, &serde_json::json!({"phase": "post_launch"})).await;
        refused.expect_error(422, "validation_failed", Some("phase"));
        c.post(&format!("{alpha}/handoff/sign-off"), &w.tam2.token, &serde_json::json!({})).await.expect(200);
        c.patch(&alpha, &w.leadership.token, &serde_json::json!({"phase": "post_launch"})).await.expect(200);
    }
}
