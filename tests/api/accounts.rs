//! Accounts in the product: companies, managers and the team managed through
//! the API, one-time invitation links, a person's own password, signing out;
//! each change audited with its actor and no secret in any row.

use serde_json::{Value, json};

use crate::support::{PASSWORD, Seed, TestApp};

const GOOD: &str = "correct horse battery staple";

/// The token part of an invitation URL.
fn token_of(invitation: &Value) -> String {
    let url = invitation["url"].as_str().expect("url");
    assert!(url.contains("/invite/"), "{url}");
    url.rsplit('/').next().unwrap().to_string()
}

/// Every audit row's detail, request id and address, as one text.
fn audit_text(app: &TestApp) -> String {
    app.sql_text(
        "SELECT coalesce(string_agg(CAST(detail AS TEXT) || ' ' || coalesce(request_id, '') || ' ' || coalesce(client_addr, ''), '\n'), '') FROM platform_audit_log",
    )
}

#[tokio::test]
async fn owners_and_admins_create_list_rename_suspend_and_reactivate_companies() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let admin = app.admin_token(seed.admin);

    let created = app.post("/platform-admin/companies", json!({"name": "  Initech "})).bearer(&admin).send().await;
    let company = created.expect(201).json;
    assert_eq!((company["name"].as_str(), company["active"].as_bool()), (Some("Initech"), Some(true)));
    assert_eq!((company["managers"].as_i64(), company["open_tickets"].as_i64()), (Some(0), Some(0)));
    let id = company["id"].as_i64().unwrap();
    for taken in ["initech", " INITECH", "acme"] {
        let again = app.post("/platform-admin/companies", json!({"name": taken})).bearer(&admin).send().await;
        again.problem(409, "name_taken");
    }
    app.post("/platform-admin/companies", json!({"name": "   "}))
        .bearer(&admin)
        .send()
        .await
        .problem(422, "validation_failed");

    // The list: newest first, keyset paged, searchable, with counts.
    let page = app.get("/platform-admin/companies?limit=2").bearer(&admin).send().await.expect(200).json;
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Initech", "Globex"]);
    let next = page["next_cursor"].as_str().expect("another page");
    let rest = app.get(&format!("/platform-admin/companies?limit=2&cursor={next}")).bearer(&admin).send().await;
    let rest = rest.expect(200).json;
    assert_eq!(rest["items"][0]["name"], "Acme");
    assert_eq!(rest["next_cursor"], Value::Null);
    let acme = &rest["items"][0];
    // Ada, Bo and Dee manage Acme (Dee is still active here); two Acme tickets are open.
    assert_eq!((acme["managers"].as_i64(), acme["open_tickets"].as_i64()), (Some(3), Some(2)), "{acme}");
    let found = app.get("/platform-admin/companies?q=glob").bearer(&admin).send().await.expect(200).json;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["name"], "Globex");
    app.get("/platform-admin/companies?q=%25").bearer(&admin).send().await.expect(200);
    let none = app.get("/platform-admin/companies?q=%25").bearer(&admin).send().await.json;
    assert_eq!(none["items"].as_array().unwrap().len(), 0, "a % is a character, not a wildcard");

    let renamed = app.patch(&format!("/platform-admin/companies/{id}"), json!({"name": "Initrode"})).bearer(&admin);
    assert_eq!(renamed.send().await.expect(200).json["name"], "Initrode");
    let taken = app.patch(&format!("/platform-admin/companies/{id}"), json!({"name": "GLOBEX"})).bearer(&admin);
    taken.send().await.problem(409, "name_taken");
    app.get("/platform-admin/companies/999").bearer(&admin).send().await.problem(404, "not_found");

    // Suspension: Acme's managers cannot act for it; the platform still reads its tickets.
    let ada = app.user_token(seed.acme_manager);
    let suspend = app.patch(&format!("/platform-admin/companies/{}", seed.acme), json!({"active": false}));
    assert_eq!(suspend.bearer(&admin).send().await.expect(200).json["active"], false);
    let list = app.get("/api/support/tickets").bearer(&ada).company(seed.acme).send().await;
    list.problem(403, "company_suspended");
    let ticket = format!("/api/support/tickets/{}", seed.acme_billing);
    app.get(&ticket).bearer(&ada).company(seed.acme).send().await.problem(403, "company_suspended");
    // Bo also manages Globex, which is not suspended; /api/me still works and says which is.
    let bo = app.user_token(seed.both_manager);
    app.get("/api/support/tickets").bearer(&bo).company(seed.globex).send().await.expect(200);
    let me = app.get("/api/me").bearer(&bo).send().await.expect(200).json;
    let acme_membership = me["companies"].as_array().unwrap().iter().find(|c| c["id"] == seed.acme).unwrap().clone();
    assert_eq!(acme_membership["active"], false);
    let platform_view = format!("/platform-admin/tickets/{}", seed.acme_billing);
    app.get(&platform_view).bearer(&admin).send().await.expect(200);
    let reactivate = app.patch(&format!("/platform-admin/companies/{}", seed.acme), json!({"active": true}));
    reactivate.bearer(&admin).send().await.expect(200);
    app.get(&ticket).bearer(&ada).company(seed.acme).send().await.expect(200);

    // Audited with the acting admin and before/after.
    let updates = app.sql_i64(&format!(
        "SELECT count(*) FROM platform_audit_log WHERE action = 'company.update' AND actor_kind = 'admin' AND actor_id = {}",
        seed.admin
    ));
    assert_eq!(updates, 3);
    let detail = app.sql_text(&format!(
        "SELECT detail FROM platform_audit_log WHERE action = 'company.update' AND company_id = {id}"
    ));
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail, json!({"before": {"name": "Initech"}, "after": {"name": "Initrode"}}));
    assert_eq!(app.audit_count("company.create"), 3);
}

#[tokio::test]
async fn a_manager_is_invited_sets_a_password_through_the_link_and_is_signed_in() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let body = json!({"email": "new@acme.test", "name": "Nina New", "company_ids": [seed.acme, seed.globex]});
    let created = app.post("/platform-admin/users", body).bearer(&owner).send().await.expect(201).json;
    assert_eq!(created["user"]["email"], "new@acme.test");
    assert_eq!(created["companies"].as_array().unwrap().len(), 2);
    assert!(created["invitation"]["expires_at"].is_string());
    let token = token_of(&created["invitation"]);
    let user_id = created["user"]["id"].as_i64().unwrap();
    app.post("/platform-admin/users", json!({"email": "NEW@acme.test", "name": "Twin", "company_ids": [seed.acme]}))
        .bearer(&owner)
        .send()
        .await
        .problem(409, "email_taken");
    app.post("/platform-admin/users", json!({"email": "x@acme.test", "name": "X", "company_ids": []}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    app.post("/platform-admin/users", json!({"email": "x@acme.test", "name": "X", "company_ids": [999]}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");

    // Nobody can sign in before the link is used, not even with an empty guess.
    let login = json!({"email": "new@acme.test", "password": "!invited"});
    app.post("/api/auth/login", login).send().await.problem(401, "unauthorized");

    let path = format!("/api/auth/invitations/{token}");
    let who = app.get(&path).send().await.expect(200).json;
    assert_eq!(who, json!({"email": "new@acme.test", "name": "Nina New", "kind": "user"}));

    // Weak passwords: 422, and the message says why.
    for (weak, why) in [("short one", "at least 12"), ("new@acme.test", "email"), ("password1234", "common")] {
        let resp = app.post(&path, json!({"password": weak})).send().await.problem(422, "validation_failed");
        let message = resp.json["errors"][0]["message"].as_str().unwrap().to_string();
        assert!(message.contains(why), "{weak}: {message}");
    }
    let signed_in = app.post(&path, json!({"password": GOOD})).send().await.expect(200).json;
    assert_eq!(signed_in["kind"], "user");
    assert_eq!(signed_in["user"]["id"], user_id);
    let session = signed_in["token"].as_str().unwrap().to_string();
    app.get("/api/support/tickets").bearer(&session).company(seed.acme).send().await.expect(200);
    app.post("/api/auth/login", json!({"email": "new@acme.test", "password": GOOD})).send().await.expect(200);

    // Used, expired and guessed links are refused the same way.
    let used = app.post(&path, json!({"password": "another good passphrase"})).send().await.problem(404, "not_found");
    let used_get = app.get(&path).send().await.problem(404, "not_found");
    let reset = app.post(&format!("/platform-admin/users/{user_id}/invitation"), json!({})).bearer(&owner);
    let fresh = token_of(&reset.send().await.expect(200).json["invitation"]);
    app.get("/api/support/tickets").bearer(&session).company(seed.acme).send().await.problem(401, "unauthorized");
    app.sql_exec("UPDATE invitations SET expires_at = 1 WHERE used_at IS NULL");
    let fresh_path = format!("/api/auth/invitations/{fresh}");
    let expired = app.post(&fresh_path, json!({"password": GOOD})).send().await.problem(404, "not_found");
    let guessed_path = format!("/api/auth/invitations/{}", "A".repeat(43));
    let guessed = app.post(&guessed_path, json!({"password": GOOD})).send().await.problem(404, "not_found");
    let too_long =
        app.get(&format!("/api/auth/invitations/{}", "A".repeat(500))).send().await.problem(404, "not_found");
    for other in [&used_get, &expired, &guessed, &too_long] {
        assert_eq!(other.json["detail"], used.json["detail"]);
    }

    // The link's hash alone is stored; no secret reaches the audit log.
    assert_eq!(app.sql_i64(&format!("SELECT count(*) FROM invitations WHERE token_hash = '{token}'")), 0);
    let audit = audit_text(&app);
    for secret in [token.as_str(), fresh.as_str(), GOOD, "argon2", session.as_str()] {
        assert!(!audit.contains(secret), "{secret} in the audit log");
    }
    let actor = |action: &str| {
        app.sql_text(&format!(
            "SELECT actor_kind || ':' || coalesce(CAST(actor_id AS TEXT), '') FROM platform_audit_log WHERE action = '{action}' ORDER BY id DESC LIMIT 1"
        ))
    };
    assert_eq!(actor("user.create"), format!("admin:{}", seed.owner));
    assert_eq!(actor("account.invite"), format!("admin:{}", seed.owner), "the reset, too");
    assert_eq!(actor("account.password_set"), format!("user:{user_id}"));
    assert_eq!(app.audit_count("account.invite"), 2);
}

#[tokio::test]
async fn managers_are_renamed_moved_disabled_and_enabled() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let admin = app.admin_token(seed.admin);
    let ada = app.user_token(seed.acme_manager);
    let path = format!("/platform-admin/users/{}", seed.acme_manager);
    let moved = app.patch(&path, json!({"name": "Ada B.", "company_ids": [seed.globex]})).bearer(&admin);
    let moved = moved.send().await.expect(200).json;
    assert_eq!(moved["user"]["name"], "Ada B.");
    assert_eq!(moved["companies"][0]["id"], seed.globex);
    app.get("/api/support/tickets").bearer(&ada).company(seed.acme).send().await.problem(403, "not_a_member");
    let users = app.get(&format!("/platform-admin/companies/{}/users", seed.globex)).bearer(&admin).send().await;
    let emails: Vec<String> =
        users.expect(200).json["items"].as_array().unwrap().iter().map(|m| m["user"]["email"].to_string()).collect();
    assert!(emails.iter().any(|e| e.contains("ada@acme.test")), "{emails:?}");

    app.patch(&path, json!({"active": false})).bearer(&admin).send().await.expect(200);
    app.get("/api/me").bearer(&ada).send().await.problem(401, "unauthorized");
    app.patch(&path, json!({"active": true})).bearer(&admin).send().await.expect(200);
    app.post("/api/auth/login", json!({"email": "ada@acme.test", "password": PASSWORD})).send().await.expect(200);
    app.patch("/platform-admin/users/999", json!({"active": false}))
        .bearer(&admin)
        .send()
        .await
        .problem(404, "not_found");
    app.patch(&path, json!({"password": "sneaky"})).bearer(&admin).send().await.problem(422, "invalid_body");

    let detail = app.sql_text("SELECT detail FROM platform_audit_log WHERE action = 'user.update' ORDER BY id LIMIT 1");
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["before"], json!({"name": "Ada", "companies": [seed.acme]}));
    assert_eq!(detail["after"], json!({"name": "Ada B.", "companies": [seed.globex]}));
    assert_eq!(app.audit_count("user.update"), 3);
}

#[tokio::test]
async fn only_owners_touch_owners_the_last_owner_stays_and_nobody_disables_themselves() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let (owner, admin) = (app.admin_token(seed.owner), app.admin_token(seed.admin));
    let member = |role: &str, email: &str| json!({"email": email, "name": "Member", "role": role});

    // An admin adds agents and admins, never an owner.
    let agent = app.post("/platform-admin/team", member("platform_support", "agent@platform.test")).bearer(&admin);
    let agent = agent.send().await.expect(201).json;
    assert_eq!(agent["admin"]["role"], "platform_support");
    let invitation = token_of(&agent["invitation"]);
    let who = app.get(&format!("/api/auth/invitations/{invitation}")).send().await.expect(200).json;
    assert_eq!(who["kind"], "admin");
    let signed_in = app.post(&format!("/api/auth/invitations/{invitation}"), json!({"password": GOOD})).send().await;
    let signed_in = signed_in.expect(200).json;
    assert_eq!(
        (signed_in["kind"].as_str(), signed_in["admin"]["role"].as_str()),
        (Some("admin"), Some("platform_support"))
    );
    app.get("/platform-admin/tickets").bearer(signed_in["token"].as_str().unwrap()).send().await.expect(200);

    let new_owner = member("platform_owner", "boss@platform.test");
    app.post("/platform-admin/team", new_owner.clone()).bearer(&admin).send().await.problem(403, "owner_only");
    let owner_path = format!("/platform-admin/team/{}", seed.owner);
    for change in [json!({"role": "platform_admin"}), json!({"active": false}), json!({"name": "Renamed"})] {
        app.patch(&owner_path, change).bearer(&admin).send().await.problem(403, "owner_only");
    }
    let admin_path = format!("/platform-admin/team/{}", seed.admin);
    app.patch(&admin_path, json!({"role": "platform_owner"})).bearer(&admin).send().await.problem(403, "owner_only");
    app.post(&format!("{owner_path}/invitation"), json!({})).bearer(&admin).send().await.problem(403, "owner_only");
    app.patch(&admin_path, json!({"active": false})).bearer(&admin).send().await.problem(409, "self_disable");

    // The one owner can be neither demoted nor disabled (nor disable themselves).
    app.patch(&owner_path, json!({"role": "platform_admin"})).bearer(&owner).send().await.problem(409, "last_owner");
    app.patch(&owner_path, json!({"active": false})).bearer(&owner).send().await.problem(409, "self_disable");
    // With a second owner, the first may step down.
    let second = app.post("/platform-admin/team", new_owner).bearer(&owner).send().await.expect(201).json;
    let second_id = second["admin"]["id"].as_i64().unwrap();
    let demoted = app.patch(&owner_path, json!({"role": "platform_admin"})).bearer(&owner).send().await.expect(200);
    assert_eq!(demoted.json["role"], "platform_admin");
    // Demoted, the former owner is no longer allowed to touch the remaining one.
    let owner = app.admin_token(seed.owner);
    let second_path = format!("/platform-admin/team/{second_id}");
    app.patch(&second_path, json!({"active": false})).bearer(&owner).send().await.problem(403, "owner_only");
    // An admin manages agents: a role change, a disable, a new link.
    let agent_path = format!("/platform-admin/team/{}", agent["admin"]["id"]);
    let promoted = app.patch(&agent_path, json!({"role": "platform_admin"})).bearer(&admin).send().await.expect(200);
    assert_eq!(promoted.json["role"], "platform_admin");
    app.patch(&agent_path, json!({"active": false})).bearer(&admin).send().await.expect(200);
    app.get("/platform-admin/tickets")
        .bearer(signed_in["token"].as_str().unwrap())
        .send()
        .await
        .problem(401, "unauthorized");
    app.patch(&agent_path, json!({"role": "root"})).bearer(&admin).send().await.problem(422, "invalid_body");

    let actor =
        app.sql_text("SELECT string_agg(k, ',') FROM (SELECT DISTINCT actor_kind AS k FROM platform_audit_log WHERE action = 'admin.update') d");
    assert_eq!(actor, "admin");
    let detail = app.sql_text(&format!(
        "SELECT detail FROM platform_audit_log WHERE action = 'admin.update' AND replace(CAST(detail AS TEXT), ' ', '') LIKE '%\"admin_id\":{}%' ORDER BY id LIMIT 1",
        seed.owner
    ));
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["before"], json!({"role": "platform_owner"}));
    assert_eq!(detail["after"], json!({"role": "platform_admin"}));
}

#[tokio::test]
async fn signing_out_ends_this_session_only_and_everywhere_ends_them_all() {
    let app = TestApp::new().await;
    let _seed = Seed::new(&app).await;
    let login = |path: &'static str, email: &'static str| {
        let req = app.post(path, json!({"email": email, "password": PASSWORD}));
        async move { req.send().await.expect(200).json["token"].as_str().unwrap().to_string() }
    };
    for (login_path, me, logout, everywhere, email) in [
        ("/api/auth/login", "/api/me", "/api/auth/logout", "/api/me/sessions/revoke-all", "ada@acme.test"),
        (
            "/platform-admin/auth/login",
            "/platform-admin/me",
            "/platform-admin/auth/logout",
            "/platform-admin/me/sessions/revoke-all",
            "admin@platform.test",
        ),
    ] {
        let (laptop, phone) = (login(login_path, email).await, login(login_path, email).await);
        app.post(logout, json!({})).bearer(&laptop).send().await.expect(204);
        app.get(me).bearer(&laptop).send().await.problem(401, "unauthorized");
        app.post(logout, json!({})).bearer(&laptop).send().await.problem(401, "unauthorized");
        app.get(me).bearer(&phone).send().await.expect(200);

        let tablet = login(login_path, email).await;
        app.post(everywhere, json!({})).bearer(&phone).send().await.expect(204);
        app.get(me).bearer(&phone).send().await.problem(401, "unauthorized");
        app.get(me).bearer(&tablet).send().await.problem(401, "unauthorized");
        let again = login(login_path, email).await;
        app.get(me).bearer(&again).send().await.expect(200);
    }
    let rows = app.sql_text("SELECT replace(string_agg(CAST(detail AS TEXT), ' '), ': ', ':') FROM platform_audit_log WHERE action = 'auth.logout'");
    assert_eq!(app.audit_count("auth.logout"), 4, "{rows}");
    assert!(rows.contains("\"everywhere\":true") && rows.contains("\"everywhere\":false"), "{rows}");
    assert_eq!(app.count("revoked_tokens"), 2, "each signed-out token is kept until it would expire");
}

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_ends_every_other_session() {
    let app = TestApp::with_config(|c| c.auth.rate_limit.per_email_per_minute = 3).await;
    let seed = Seed::new(&app).await;
    let login = |password: &str| app.post("/api/auth/login", json!({"email": "ada@acme.test", "password": password}));
    let laptop = login(PASSWORD).send().await.expect(200).json["token"].as_str().unwrap().to_string();
    let phone = app.user_token(seed.acme_manager);
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let weak = app.post("/api/me/password", change(PASSWORD, "ada@acme.test")).bearer(&laptop).send().await;
    let weak = weak.problem(422, "validation_failed");
    assert_eq!(weak.json["errors"][0]["field"], "new_password");
    assert!(weak.json["errors"][0]["message"].as_str().unwrap().contains("email"));
    let same = app.post("/api/me/password", change(PASSWORD, PASSWORD)).bearer(&laptop).send().await;
    same.problem(422, "validation_failed");

    // A wrong current password is 403 and counts as a failed sign-in.
    for _ in 0..3 {
        let wrong = app.post("/api/me/password", change("not my password!", GOOD)).bearer(&laptop).send().await;
        wrong.problem(403, "wrong_password");
    }
    app.post("/api/me/password", change(PASSWORD, GOOD)).bearer(&laptop).send().await.problem(429, "rate_limited");
    login(PASSWORD).send().await.problem(429, "rate_limited");
    // From another address, the person goes on.
    let elsewhere = "10.1.1.1";
    let changed = app.post("/api/me/password", change(PASSWORD, GOOD)).bearer(&laptop).sent_from(elsewhere);
    let changed = changed.send().await.expect(200).json;
    let renewed = changed["token"].as_str().unwrap();
    app.get("/api/me").bearer(renewed).send().await.expect(200);
    app.get("/api/me").bearer(&laptop).send().await.problem(401, "unauthorized");
    app.get("/api/me").bearer(&phone).send().await.problem(401, "unauthorized");
    login(PASSWORD).sent_from(elsewhere).send().await.problem(401, "unauthorized");
    login(GOOD).sent_from(elsewhere).send().await.expect(200);

    // The platform twin.
    let admin = app.admin_token(seed.admin);
    let changed = app.post("/platform-admin/me/password", change(PASSWORD, GOOD)).bearer(&admin).send().await;
    let renewed = changed.expect(200).json["token"].as_str().unwrap().to_string();
    app.get("/platform-admin/me").bearer(&admin).send().await.problem(401, "unauthorized");
    app.get("/platform-admin/me").bearer(&renewed).send().await.expect(200);

    assert_eq!(app.audit_count("account.password_change"), 2);
    let audit = audit_text(&app);
    assert!(!audit.contains(GOOD) && !audit.contains(PASSWORD) && !audit.contains("argon2"), "{audit}");
}
