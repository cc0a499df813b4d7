//! Operations endpoints, the OpenAPI document, and what unknown paths answer.

use axum::http::Method;
use tamhub_testkit::TestApp;

use crate::support::{As, Client};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let b = t.backend;
        let health = c.page(Method::GET, "/healthz", As::Anonymous, None).await;
        health.expect(200);
        assert_eq!(health.text(), "ok", "[{b}]");
        let ready = c.page(Method::GET, "/readyz", As::Anonymous, None).await;
        ready.expect(200);
        assert_eq!(ready.text(), "ready", "[{b}]");
        let metrics = c.page(Method::GET, "/metrics", As::Anonymous, None).await;
        metrics.expect(200);
        assert!(metrics.content_type().starts_with("text/plain"), "[{b}] {}", metrics.content_type());
        let text = metrics.text();
        assert!(text.contains("tamhub_http_requests_total"), "[{b}] {text}");
        // Routes are labelled by template, never by raw path.
        assert!(text.contains("route=\"/readyz\""), "[{b}] {text}");
        // Every response carries a request id.
        assert!(ready.headers.contains_key("x-request-id"), "[{b}]");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_accounts_api() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let b = t.backend;
        let doc = c.page(Method::GET, "/api/v1/openapi.json", As::Anonymous, None).await;
        doc.expect(200);
        assert!(doc.content_type().starts_with("application/json"), "[{b}] {}", doc.content_type());
        let doc = doc.json();
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')), "[{b}] {}", doc["openapi"]);
        let paths = doc["paths"].as_object().expect("paths");
        for path in
            ["/api/v1/accounts", "/api/v1/accounts/{id}", "/api/v1/accounts/{id}/handoff/sign-off", "/api/v1/users"]
        {
            assert!(paths.contains_key(path), "[{b}] {path} missing from {:?}", paths.keys().collect::<Vec<_>>());
        }
        assert!(paths["/api/v1/accounts"]["post"].is_object() && paths["/api/v1/accounts"]["get"].is_object(), "[{b}]");
        let parameters: Vec<&str> = paths["/api/v1/accounts"]["get"]["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for name in ["phase", "q", "sort", "limit", "cursor"] {
            assert!(parameters.contains(&name), "[{b}] list parameter {name} undocumented: {parameters:?}");
        }
        let schemas = doc["components"]["schemas"].as_object().expect("components.schemas");
        for schema in ["AccountOut", "AccountIn", "ErrorBody"] {
            assert!(schemas.contains_key(schema), "[{b}] {schema} missing");
        }
        // The phase enum documents the same wire names the API accepts.
        let phase = serde_json::to_string(&schemas["Phase"]).expect("JSON");
        assert!(phase.contains("\"gate_3\"") && phase.contains("\"post_launch\""), "[{b}] {phase}");
    }
}

#[tokio::test]
async fn unknown_paths_answer_404_as_json_under_the_api_and_as_a_page_elsewhere() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let b = t.backend;
        for path in ["/api/v1/nope", "/api/v1/accounts/x/y/z", "/api/v2/accounts"] {
            let response = c.page(Method::GET, path, As::Anonymous, None).await;
            response.expect_error(404, "not_found", None);
        }
        for path in ["/nope", "/accounts/x/y/z", "/admin/nothing-here"] {
            let response = c.page(Method::GET, path, As::Anonymous, None).await;
            response.expect(404);
            assert!(response.content_type().starts_with("text/html"), "[{b}] {path}: {}", response.content_type());
            assert!(response.text().contains("Page not found"), "[{b}] {path}: {}", response.snippet());
        }
        c.page(Method::GET, "/static/missing.css", As::Anonymous, None).await.expect(404);
        // A known path with a method it does not serve is refused, not served.
        let wrong_method = c.page(Method::DELETE, "/api/v1/accounts", As::Anonymous, None).await;
        assert_eq!(wrong_method.status, 405, "[{b}] {}", wrong_method.snippet());
    }
}
