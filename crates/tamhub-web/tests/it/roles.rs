//! Routes that address no account, by role: the user directory, team load, the audit log, the
//! admin pages and personal API tokens.

use axum::http::Method;
use serde_json::json;
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

#[tokio::test]
async fn the_user_directory_is_for_staff_and_only_admins_create_users() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        for (role, person) in w.by_role() {
            let list = c.get("/api/v1/users", &person.token).await;
            if role == Role::Customer {
                list.expect_error(403, "forbidden", None);
            } else {
                list.expect(200);
                let count = list.json()["items"].as_array().map(Vec::len).unwrap_or_default();
                assert!(count >= 11, "[{}] {role:?} sees {count} users", t.backend);
            }

            let email = format!("new.{}@test.example", role.as_str());
            let body =
                json!({"email": email, "name": "New Colleague", "role": "tam", "password": "long enough password"});
            let created = c.post("/api/v1/users", &person.token, &body).await;
            if role == Role::Admin {
                created.expect(201);
                let user = created.json();
                assert_eq!(user["email"], json!(email), "[{}]", t.backend);
                assert!(user["id"].as_str().is_some(), "[{}] no id in {user}", t.backend);
                assert!(
                    user.get("password").is_none() && user.get("password_hash").is_none(),
                    "[{}] {user}",
                    t.backend
                );
            } else {
                created.expect_error(403, "forbidden", None);
            }
        }
        // Only the admin's user was created.
        let users = c.get("/api/v1/users", &w.admin.token).await.json();
        let new: Vec<_> = users["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|u| u["email"].as_str().is_some_and(|e| e.starts_with("new.")))
            .collect();
        assert_eq!(new.len(), 1, "[{}] {new:?}", t.backend);
    }
}

#[tokio::test]
async fn a_customer_sees_only_their_own_user_record() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let me = c.get(&format!("/api/v1/users/{}", w.customer.id()), &w.customer.token).await;
        me.expect(200);
        assert_eq!(me.json()["email"], json!(w.customer.user.email), "[{}]", t.backend);
        for other in [&w.tam, &w.admin, &w.psm] {
            c.get(&format!("/api/v1/users/{}", other.id()), &w.customer.token).await.expect_error(
                404,
                "not_found",
                None,
            );
            // A change to someone else is not found either, before any permission check.
            c.patch(&format!("/api/v1/users/{}", other.id()), &w.customer.token, &json!({"name": "X"}))
                .await
                .expect_error(404, "not_found", None);
        }
        c.get("/api/v1/users/not-a-user", &w.customer.token).await.expect_error(404, "not_found", None);
        // Staff see colleagues by id.
        for (role, person) in w.by_role().into_iter().filter(|(r, _)| r.is_staff()) {
            let response = c.get(&format!("/api/v1/users/{}", w.tam2.id()), &person.token).await;
            assert_eq!(response.status, 200, "[{}] {role:?}: {}", t.backend, response.snippet());
        }
    }
}

#[tokio::test]
async fn team_load_settings_and_the_audit_log_are_limited_by_role() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        for (role, person) in w.by_role() {
            let leads = matches!(role, Role::Leadership | Role::Admin);
            for path in ["/api/v1/team/load", "/api/v1/settings/tam-load"] {
                let response = c.get(path, &person.token).await;
                if leads {
                    response.expect(200);
                } else {
                    response.expect_error(403, "forbidden", None);
                }
            }
            let band = json!({"band_min": 5.0, "band_max": 25.0, "weight_enterprise": 1.0,
                "weight_enterprise_on_ramp": 0.5, "weight_business": 0.25});
            let put = c.put("/api/v1/settings/tam-load", &person.token, &band).await;
            if leads {
                put.expect(200);
            } else {
                put.expect_error(403, "forbidden", None);
            }
            let audit = c.get("/api/v1/audit", &person.token).await;
            if role == Role::Admin {
                audit.expect(200);
            } else {
                audit.expect_error(403, "forbidden", None);
            }
        }
        let load = c.get("/api/v1/team/load", &w.leadership.token).await.json();
        let tams: Vec<&str> =
            load["tams"].as_array().expect("tams").iter().filter_map(|r| r["name"].as_str()).collect();
        assert!(tams.contains(&"Tina Tam") && tams.contains(&"Theo Tam"), "[{}] {tams:?}", t.backend);
    }
}

#[tokio::test]
async fn team_and_admin_pages_render_the_error_page_with_the_right_status() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        for (role, person) in w.by_role() {
            let browser = c.login_as(&person.user).await;
            let leads = matches!(role, Role::Leadership | Role::Admin);
            let admin = role == Role::Admin;
            for (path, allowed) in [("/team", leads), ("/admin/users", admin), ("/admin/audit", admin)] {
                let page = c.page_get(path, &browser).await;
                let context = format!("[{}] {role:?} GET {path}", t.backend);
                assert!(page.content_type().starts_with("text/html"), "{context}: {}", page.content_type());
                if allowed {
                    assert_eq!(page.status, 200, "{context}: {}", page.snippet());
                    assert!(!page.text().contains("Not allowed"), "{context}");
                } else {
                    assert_eq!(page.status, 403, "{context}: {}", page.snippet());
                    let html = page.text();
                    assert!(html.contains("Not allowed") && html.contains("403"), "{context}: {html}");
                }
            }
        }
    }
}

#[tokio::test]
async fn api_tokens_are_listed_and_revoked_only_by_their_owner() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let second = c.post("/api/v1/tokens", &w.tam.token, &json!({"name": "laptop"})).await;
        second.expect(201);
        let second = second.json();
        let secret = second["secret"].as_str().expect("secret shown once").to_string();
        assert!(secret.starts_with("tamhub_"), "[{}] {secret}", t.backend);

        let mine = c.get("/api/v1/tokens", &w.tam.token).await;
        mine.expect(200);
        let mine = mine.json();
        let names: Vec<&str> =
            mine["items"].as_array().expect("items").iter().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names.len(), 2, "[{}] the TAM has the testkit token and the laptop token: {names:?}", t.backend);
        assert!(mine.to_string().find(&secret).is_none(), "[{}] a listed token shows its secret", t.backend);

        let theirs = c.get("/api/v1/tokens", &w.tam2.token).await.json();
        assert_eq!(theirs["items"].as_array().map(Vec::len), Some(1), "[{}] {theirs}", t.backend);
        assert!(!theirs.to_string().contains("laptop"), "[{}] another user's token is listed", t.backend);

        // Another user cannot revoke it: not found, and it keeps working.
        let id = second["id"].as_str().expect("token id");
        let path = format!("/api/v1/tokens/{id}");
        c.api(Method::DELETE, &path, &w.tam2.token, None).await.expect_error(404, "not_found", None);
        c.api(Method::DELETE, &path, &w.admin.token, None).await.expect_error(404, "not_found", None);
        c.api(Method::DELETE, "/api/v1/tokens/not-a-token", &w.tam2.token, None).await.expect_error(
            404,
            "not_found",
            None,
        );
        c.get("/api/v1/me", &secret).await.expect(200);

        // Its owner can.
        c.api(Method::DELETE, &path, &w.tam.token, None).await.expect(204);
        c.get("/api/v1/me", &secret).await.expect_error(401, "unauthenticated", None);
    }
}

#[tokio::test]
async fn customer_contacts_of_accounts_outside_ones_scope_stay_hidden() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let other =
            crate::support::Person::new(&t, tamhub_domain::users::Role::Customer, "Otto Outside", Some(w.charlie))
                .await;
        // Support engineer Sam is engaged on Alpha only: Alpha's contact is listed, Charlie's is not.
        let listed = c.get("/api/v1/users", &w.support.token).await.expect(200).json();
        let emails: Vec<&str> =
            listed["items"].as_array().unwrap().iter().filter_map(|u| u["email"].as_str()).collect();
        assert!(emails.contains(&w.customer.user.email.as_str()), "[{b}] {emails:?}");
        assert!(!emails.contains(&other.user.email.as_str()), "[{b}] {emails:?}");
        c.get(&format!("/api/v1/users/{}", other.id()), &w.support.token).await.expect_error(404, "not_found", None);
        c.get(&format!("/api/v1/users/{}", w.customer.id()), &w.support.token).await.expect(200);
        // Leadership sees everyone.
        c.get(&format!("/api/v1/users/{}", other.id()), &w.leadership.token).await.expect(200);
    }
}

/// Everything of the SLA configuration, as an admin reads it.
async fn sla_config(c: &Client, admin: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for path in ["/api/v1/calendars", "/api/v1/sla-policies", "/api/v1/settings/default-calendar"] {
        out.push(c.get(path, admin).await.expect(200).json());
    }
    out
}

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//T//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n\
DTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[tokio::test]
async fn customers_may_not_see_the_sla_configuration_staff_read_it_and_only_admins_and_leadership_change_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let calendar = c.get("/api/v1/calendars", &w.admin.token).await.expect(200).json()["items"][0]["id"].clone();
        let calendar = calendar.as_str().expect("the default calendar").to_string();
        let policy = c.get("/api/v1/sla-policies", &w.admin.token).await.expect(200).json()["items"][0]["id"].clone();
        let policy = policy.as_str().expect("the default policy").to_string();
        let hours = json!({"name": "Tokyo", "tz": "Asia/Tokyo", "weekly": {"mon": [[540, 1020]]}});
        let new_policy =
            json!({"name": "Gold", "targets": [{"metric": "resolution", "priority": "low", "seconds": 900}]});
        let cal = format!("/api/v1/calendars/{calendar}");
        let pol = format!("/api/v1/sla-policies/{policy}");
        let reads = [
            "/api/v1/calendars".to_string(),
            cal.clone(),
            "/api/v1/settings/default-calendar".into(),
            "/api/v1/sla-policies".into(),
            pol.clone(),
        ];
        let before = sla_config(&c, &w.admin.token).await;
        for (role, person) in w.by_role() {
            for path in &reads {
                let response = c.get(path, &person.token).await;
                if role == Role::Customer {
                    response.expect_error(403, "forbidden", None);
                } else {
                    response.expect(200);
                }
            }
            if matches!(role, Role::Admin | Role::Leadership) {
                continue;
            }
            let writes = [
                c.post("/api/v1/calendars", &person.token, &hours).await,
                c.patch(&cal, &person.token, &json!({"name": "Renamed"})).await,
                c.api_raw(
                    Method::POST,
                    &format!("{cal}/holidays/import"),
                    Some(&person.token),
                    Some("text/calendar"),
                    ICS.as_bytes().to_vec(),
                )
                .await,
                c.put("/api/v1/settings/default-calendar", &person.token, &json!({"calendar_id": null})).await,
                c.post("/api/v1/sla-policies", &person.token, &new_policy).await,
                c.patch(&pol, &person.token, &json!({"name": "Renamed"})).await,
                c.api(Method::DELETE, &pol, &person.token, None).await,
            ];
            for response in writes {
                response.expect_error(403, "forbidden", None);
            }
            assert!(before == sla_config(&c, &w.admin.token).await, "[{b}] {role:?} changed the SLA configuration");
        }
        // Admins and leadership change each part.
        for (i, person) in [&w.admin, &w.leadership].into_iter().enumerate() {
            let mut body = hours.clone();
            body["name"] = json!(format!("Tokyo {i}"));
            let created = c.post("/api/v1/calendars", &person.token, &body).await.expect(201).json();
            let id = created["id"].as_str().expect("id").to_string();
            c.patch(&format!("/api/v1/calendars/{id}"), &person.token, &json!({"name": format!("Osaka {i}")}))
                .await
                .expect(200);
            let import = c
                .api_raw(
                    Method::POST,
                    &format!("/api/v1/calendars/{id}/holidays/import"),
                    Some(&person.token),
                    Some("text/calendar"),
                    ICS.as_bytes().to_vec(),
                )
                .await;
            assert_eq!(import.expect(200).json()["added"][0]["date"], "2026-12-25", "[{b}]");
            c.put("/api/v1/settings/default-calendar", &person.token, &json!({"calendar_id": id})).await.expect(200);
            let created = c.post("/api/v1/sla-policies", &person.token, &new_policy).await.expect(201).json();
            let path = format!("/api/v1/sla-policies/{}", created["id"].as_str().expect("id"));
            c.patch(&path, &person.token, &json!({"name": format!("Platinum {i}")})).await.expect(200);
            c.api(Method::DELETE, &path, &person.token, None).await.expect(204);
        }
        let names: Vec<String> = c.get("/api/v1/calendars", &w.support.token).await.expect(200).json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_string())
            .collect();
        assert!(names.contains(&"Osaka 0".into()) && names.contains(&"Osaka 1".into()), "[{b}] {names:?}");
        assert_eq!(names.len(), 3, "[{b}] only the admin's and leadership's calendars were added: {names:?}");
    }
}

#[tokio::test]
async fn notifications_belong_to_their_user_who_alone_reads_and_marks_them() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let ticket = crate::support::open_ticket(&c, &w.admin.token, Some(w.alpha), "high", "Escalated").await;
        let path = format!("/api/v1/tickets/{}/escalation", ticket["id"].as_str().expect("id"));
        c.post(&path, &w.admin.token, &crate::support::escalation_body(Some(w.tam.id()))).await.expect(201);

        let mine = c.get("/api/v1/notifications", &w.tam.token).await.expect(200).json();
        assert_eq!(mine["unread"], 1, "[{b}] {mine}");
        let note = &mine["items"][0];
        assert_eq!((note["kind"].as_str(), note["read_at"].is_null()), (Some("escalation"), true), "[{b}] {note}");
        assert_eq!(note["ticket_id"], ticket["id"], "[{b}]");
        let id = note["id"].as_str().expect("id").to_string();
        for (role, person) in w.by_role() {
            if role == Role::Tam {
                continue;
            }
            let theirs = c.get("/api/v1/notifications", &person.token).await.expect(200).json();
            assert!(!theirs.to_string().contains(&id), "[{b}] {role:?} sees the TAM's notification");
            let mark = format!("/api/v1/notifications/{id}/read");
            c.post(&mark, &person.token, &json!({})).await.expect_error(404, "not_found", None);
            c.post("/api/v1/notifications/read-all", &person.token, &json!({})).await.expect(204);
        }
        assert_eq!(c.get("/api/v1/notifications?unread=true", &w.tam.token).await.json()["unread"], 1, "[{b}]");
        c.post("/api/v1/notifications/not-an-id/read", &w.tam.token, &json!({})).await.expect_error(
            404,
            "not_found",
            None,
        );
        c.post(&format!("/api/v1/notifications/{id}/read"), &w.tam.token, &json!({})).await.expect(204);
        let after = c.get("/api/v1/notifications?unread=true", &w.tam.token).await.expect(200).json();
        assert_eq!((after["unread"].as_u64(), after["items"].as_array().map(Vec::len)), (Some(0), Some(0)), "[{b}]");
        let all = c.get("/api/v1/notifications", &w.tam.token).await.expect(200).json();
        assert_eq!(all["items"][0]["read_at"], "2026-03-02T09:00:00Z", "[{b}]");
        c.get("/api/v1/notifications?unread=maybe", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("unread"),
        );
    }
}
