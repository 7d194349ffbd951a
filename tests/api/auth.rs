//! Sign-in, tokens and revocation.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use ticketing::{
    access::Acting,
    domain::{AccountKind, UserId},
    service::accounts::UserChanges,
};

use crate::support::{PASSWORD, SECRET, Seed, TestApp};

fn without_request_id(mut v: Value) -> Value {
    v.as_object_mut().expect("object").remove("request_id");
    v
}

#[tokio::test]
async fn a_manager_and_an_admin_sign_in_and_see_who_they_are() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;

    let login =
        app.post("/api/auth/login", json!({"email": "BO@both.test", "password": PASSWORD})).send().await.expect(200);
    assert_eq!(login.json["user"]["id"], seed.both_manager);
    assert_eq!(login.json["companies"].as_array().unwrap().len(), 2);
    assert!(login.json["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(login.json["user"].get("password_hash").is_none());
    let token = login.json["token"].as_str().unwrap().to_string();
    let me = app.get("/api/me").bearer(&token).send().await.expect(200);
    assert_eq!(me.json["user"]["email"], "bo@both.test");

    let login = app
        .post("/platform-admin/auth/login", json!({"email": "owner@platform.test", "password": PASSWORD}))
        .send()
        .await
        .expect(200);
    assert_eq!(login.json["admin"]["role"], "platform_owner");
    let token = login.json["token"].as_str().unwrap().to_string();
    let me = app.get("/platform-admin/me").bearer(&token).send().await.expect(200);
    assert_eq!(me.json["admin"]["id"], seed.owner);
    assert_eq!(app.audit_count("auth.login"), 2, "each sign-in is on the record");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_identical_401s() {
    let app = TestApp::new().await;
    Seed::new(&app).await;
    for path in ["/api/auth/login", "/platform-admin/auth/login"] {
        let known = if path.starts_with("/api") { "ada@acme.test" } else { "owner@platform.test" };
        let wrong = app
            .post(path, json!({"email": known, "password": "not the password"}))
            .send()
            .await
            .problem(401, "unauthorized");
        let unknown = app
            .post(path, json!({"email": "nobody@nowhere.test", "password": "not the password"}))
            .send()
            .await
            .problem(401, "unauthorized");
        assert_eq!(without_request_id(wrong.json.clone()), without_request_id(unknown.json.clone()));
        assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
        // A disabled account with the right password says the same.
    }
    app.sql_exec("UPDATE users SET active = FALSE WHERE email = 'ada@acme.test'");
    let disabled = app
        .post("/api/auth/login", json!({"email": "ada@acme.test", "password": PASSWORD}))
        .send()
        .await
        .problem(401, "unauthorized");
    assert_eq!(disabled.json["detail"], "the email or the password is wrong");
}

#[tokio::test]
async fn a_token_of_one_kind_is_refused_on_the_other_kinds_routes() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    app.get("/platform-admin/tickets")
        .bearer(&app.user_token(seed.acme_manager))
        .send()
        .await
        .problem(401, "unauthorized");
    app.get("/api/support/tickets")
        .bearer(&app.admin_token(seed.owner))
        .company(seed.acme)
        .send()
        .await
        .problem(401, "unauthorized");
}

#[tokio::test]
async fn disabling_an_account_or_changing_its_password_revokes_its_tokens_at_once() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let token = app.user_token(seed.acme_manager);
    app.get("/api/me").bearer(&token).send().await.expect(200);
    app.state
        .store
        .update_user(
            UserId(seed.acme_manager),
            UserChanges { active: Some(false), ..UserChanges::default() },
            Acting::Cli,
            Default::default(),
        )
        .await
        .unwrap();
    app.get("/api/me").bearer(&token).send().await.problem(401, "unauthorized");

    let admin_token = app.admin_token(seed.admin);
    app.get("/platform-admin/me").bearer(&admin_token).send().await.expect(200);
    let hash = app.state.hasher.hash("a brand new password").unwrap();
    app.state.store.set_password(AccountKind::Admin, seed.admin, hash, Default::default()).await.unwrap();
    app.get("/platform-admin/me").bearer(&admin_token).send().await.problem(401, "unauthorized");
    app.post("/platform-admin/auth/login", json!({"email": "admin@platform.test", "password": "a brand new password"}))
        .send()
        .await
        .expect(200);
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(sub: i64, kind: &str) -> Value {
    json!({"sub": sub.to_string(), "kind": kind, "ver": 1, "iat": now(), "nbf": now(), "exp": now() + 600,
           "iss": "ticketing", "aud": "ticketing-api"})
}

fn sign(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).unwrap()
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let good = claims(seed.owner, "admin");
    assert_eq!(
        app.get("/platform-admin/me").bearer(&sign(&good, SECRET.as_bytes())).send().await.status,
        200,
        "the hand-made token is valid"
    );

    let mut bad_tokens: Vec<(&str, String)> = Vec::new();
    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    bad_tokens.push(("alg none", format!("{header_none}.{payload}.")));
    let signed = sign(&good, SECRET.as_bytes());
    let parts: Vec<&str> = signed.split('.').collect();
    let mut edited = good.clone();
    edited["sub"] = json!(seed.admin.to_string());
    bad_tokens
        .push(("edited payload", format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(edited.to_string()), parts[2])));
    bad_tokens.push(("wrong key", sign(&good, b"some-other-secret-that-is-long-enough!!")));
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 60);
    expired["iat"] = json!(now() - 120);
    expired["nbf"] = json!(now() - 120);
    bad_tokens.push(("expired", sign(&expired, SECRET.as_bytes())));
    let mut future = good.clone();
    future["nbf"] = json!(now() + 120);
    bad_tokens.push(("future nbf", sign(&future, SECRET.as_bytes())));
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-else");
    bad_tokens.push(("wrong aud", sign(&wrong_aud, SECRET.as_bytes())));
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("someone-else");
    bad_tokens.push(("wrong iss", sign(&wrong_iss, SECRET.as_bytes())));
    let mut string_exp = good.clone();
    string_exp["exp"] = json!("9999999999");
    bad_tokens.push(("string exp", sign(&string_exp, SECRET.as_bytes())));
    let mut old_version = good.clone();
    old_version["ver"] = json!(0);
    bad_tokens.push(("old token version", sign(&old_version, SECRET.as_bytes())));
    let hs512 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &good, &EncodingKey::from_secret(SECRET.as_bytes()))
            .unwrap();
    bad_tokens.push(("HS512", hs512));
    bad_tokens.push(("garbage", "not-a-token".into()));

    for (name, token) in bad_tokens {
        let resp = app.get("/platform-admin/me").bearer(&token).send().await;
        assert_eq!(resp.status, 401, "{name}: {}", resp.json);
        assert_eq!(resp.header("www-authenticate"), Some("Bearer"), "{name}");
        assert_eq!(resp.header("content-type"), Some("application/problem+json"), "{name}");
    }
    for header in ["Basic abc", "Bearer", "Bearer ", "bearer"] {
        let resp = app.get("/platform-admin/me").header("authorization", header).send().await;
        assert_eq!(resp.status, 401, "{header}");
    }
}

#[tokio::test]
async fn login_is_rate_limited_per_email_with_retry_after() {
    let app = TestApp::with_config(|c| c.auth.rate_limit.per_email_per_minute = 3).await;
    Seed::new(&app).await;
    for _ in 0..3 {
        app.post("/api/auth/login", json!({"email": "ada@acme.test", "password": "wrong password"}))
            .send()
            .await
            .expect(401);
    }
    let limited = app
        .post("/api/auth/login", json!({"email": "ada@acme.test", "password": PASSWORD}))
        .send()
        .await
        .problem(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another account is not held back by this one.
    app.post("/api/auth/login", json!({"email": "gus@globex.test", "password": PASSWORD})).send().await.expect(200);
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address() {
    let app = TestApp::with_config(|c| c.auth.rate_limit.per_address_per_minute = 2).await;
    Seed::new(&app).await;
    app.post("/api/auth/login", json!({"email": "a1@x.test", "password": "whatever1"})).send().await.expect(401);
    app.post("/platform-admin/auth/login", json!({"email": "a2@x.test", "password": "whatever2"}))
        .send()
        .await
        .expect(401);
    app.post("/api/auth/login", json!({"email": "a3@x.test", "password": "whatever3"}))
        .send()
        .await
        .problem(429, "rate_limited");
}
