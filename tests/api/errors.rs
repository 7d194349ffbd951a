//! Bad input gets a clear problem+json and writes nothing.

use serde_json::json;

use crate::support::{Seed, TestApp};

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_problems() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let token = app.user_token(seed.acme_manager);
    let before = app.write_counts();

    app.req(axum::http::Method::POST, "/api/support/tickets")
        .bearer(&token)
        .header("content-type", "application/json")
        .raw_body("{\"subject\": ")
        .send()
        .await
        .problem(400, "malformed_json");
    app.req(axum::http::Method::POST, "/api/support/tickets")
        .bearer(&token)
        .header("content-type", "text/plain")
        .raw_body("{\"subject\":\"website\",\"description\":\"x\"}")
        .send()
        .await
        .problem(415, "unsupported_media_type");
    let huge = json!({"subject": "website", "description": "x".repeat(70 * 1024)});
    app.post("/api/support/tickets", huge).bearer(&token).send().await.problem(413, "body_too_large");
    app.post("/api/support/tickets", json!({"subject": 5, "description": "x"}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "invalid_body");
    app.post("/api/support/tickets", json!([1, 2])).bearer(&token).send().await.problem(422, "invalid_body");
    app.post("/api/support/tickets", json!({"subject": "website", "description": "x", "extra": 1}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "invalid_body");

    assert_eq!(app.write_counts(), before, "nothing was written");
}

#[tokio::test]
async fn invalid_fields_are_listed_one_by_one_and_nothing_is_written() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let token = app.user_token(seed.acme_manager);
    let before = app.write_counts();
    let resp = app
        .post("/api/support/tickets", json!({"subject": " \u{200B} ", "description": ""}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> =
        resp.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["subject", "description"]);
    let resp = app
        .post("/api/support/tickets", json!({"description": "no subject"}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["code"], "required");
    let resp = app
        .post("/api/support/tickets", json!({"subject": "gardening", "description": "x"}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["code"], "unknown_subject");
    let resp = app
        .post("/api/support/tickets", json!({"subject": "website", "sub_subject": "teapot", "description": "x"}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["field"], "sub_subject");
    let resp = app
        .post("/api/support/tickets", json!({"subject": "web\u{7}site", "description": "x"}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["code"], "invalid_characters");
    let resp = app
        .post("/api/support/tickets", json!({"subject": "website", "description": "x".repeat(20_001)}))
        .bearer(&token)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["code"], "too_long");
    assert_eq!(app.write_counts(), before);
}

#[tokio::test]
async fn unknown_paths_under_the_api_are_json_404s_and_bad_ids_are_400s() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    app.get("/api/typo").send().await.problem(404, "not_found");
    app.get("/api").send().await.problem(404, "not_found");
    app.get("/platform-admin/nothing/here").send().await.problem(404, "not_found");
    let admin = app.admin_token(seed.owner);
    app.get("/platform-admin/tickets/abc").bearer(&admin).send().await.problem(400, "invalid_path");
    app.get("/platform-admin/tickets/-1").bearer(&admin).send().await.problem(400, "invalid_path");
    app.get("/platform-admin/tickets/99999999999999999999").bearer(&admin).send().await.problem(400, "invalid_path");
    app.get("/platform-admin/tickets/999999").bearer(&admin).send().await.problem(404, "not_found");
    app.req(axum::http::Method::DELETE, "/platform-admin/tickets/1")
        .bearer(&admin)
        .send()
        .await
        .problem(405, "method_not_allowed");
}

#[tokio::test]
async fn bad_query_parameters_are_422s() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let admin = app.admin_token(seed.owner);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("cursor=garbage", "cursor"),
        ("status=open", "status"),
        ("assigned=someone", "assigned"),
        ("company_id=abc", "company_id"),
        ("updated_since=yesterday", "updated_since"),
    ] {
        let resp = app
            .get(&format!("/platform-admin/tickets?{query}"))
            .bearer(&admin)
            .send()
            .await
            .problem(422, "validation_failed");
        assert_eq!(resp.json["errors"][0]["field"], field, "{query}");
    }
    let resp =
        app.get("/platform-admin/audit-log?actor=robot").bearer(&admin).send().await.problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["field"], "actor");
}

#[tokio::test]
async fn a_tenant_company_header_must_name_a_membership() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let both = app.user_token(seed.both_manager);
    app.get("/api/support/tickets").bearer(&both).send().await.problem(400, "company_required");
    app.get("/api/support/tickets")
        .bearer(&both)
        .header("x-company-id", "acme")
        .send()
        .await
        .problem(400, "invalid_company_id");
    let not_member = app
        .get("/api/support/tickets")
        .bearer(&app.user_token(seed.acme_manager))
        .company(seed.globex)
        .send()
        .await
        .problem(403, "not_a_member");
    let missing = app
        .get("/api/support/tickets")
        .bearer(&app.user_token(seed.acme_manager))
        .company(424242)
        .send()
        .await
        .problem(403, "not_a_member");
    assert_eq!(not_member.json["detail"], missing.json["detail"], "a missing company and a foreign one look the same");
    // The single-company manager may leave the header out.
    app.get("/api/support/tickets").bearer(&app.user_token(seed.acme_manager)).send().await.expect(200);
}

#[tokio::test]
async fn api_answers_carry_security_headers_and_no_store() {
    let app = TestApp::new().await;
    let resp = app.get("/healthz").send().await.expect(200);
    assert_eq!(resp.json["status"], "ok");
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    assert!(resp.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert!(resp.header("x-request-id").is_some());
}
