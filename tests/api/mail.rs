//! Email notifications against a real SMTP server (aiosmtpd, see
//! `support/smtp.rs`): who hears of each event, choices and unsubscribe
//! links, threading, invitations, and the faults: the server down then up,
//! a refused address given up as dead, and a SIGKILL with emails waiting.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{
    Seed, TestApp,
    process::{Workdir, start_server},
    smtp::{Sink, recipients},
};

const FROM: &str = "Support <support@platform.test>";

/// An app whose mail goes to `url`, with its sender running.
async fn app_mailing(url: &str, change: impl FnOnce(&mut ticketing::config::Config)) -> TestApp {
    let url = url.to_string();
    let app = TestApp::with_config(|c| {
        c.mail.enabled = true;
        c.mail.url = url;
        c.mail.from = FROM.into();
        c.mail.public_url = "https://support.example".into();
        c.mail.coalesce_secs = 0;
        c.mail.retry_max_delay_secs = 1;
        change(c);
    })
    .await;
    let s = &app.state;
    let mailer = s.mailer.clone().expect("the mailer is configured");
    let run = ticketing::mail::sender::run(s.store.clone(), mailer, s.config.mail.clone(), s.mail_health.clone());
    tokio::spawn(run);
    app
}

/// Waits until the outbox holds nothing pending.
async fn drained(app: &TestApp) {
    for _ in 0..400 {
        if app.sql_i64("SELECT count(*) FROM mail_outbox WHERE state = 'pending'") == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not drain");
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn text(m: &Value) -> &str {
    m["text"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_reaches_exactly_the_right_people() {
    let sink = Sink::start(None);
    let app = app_mailing(&sink.url(), |_| {}).await;
    let seed = Seed::new(&app).await;
    // Dan (disabled) covers billing; Dee (disabled) asked for all of Acme's tickets.
    app.sql_exec(&format!(
        "INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) VALUES ({}, 'billing', 0);
         INSERT INTO notification_settings VALUES ('user', {}, 'all_company_tickets', TRUE);",
        seed.disabled_admin, seed.disabled_manager
    ));
    seed.disable_accounts(&app);
    drained(&app).await;
    sink.clear();
    let (ada, bo, gus) =
        (app.user_token(seed.acme_manager), app.user_token(seed.both_manager), app.user_token(seed.globex_manager));
    let (owner, sal) = (app.admin_token(seed.owner), app.admin_token(seed.support_assigned));
    let opt_in = |what: &str| json!({"choices": {what: true}});
    app.put("/platform-admin/me/notifications", opt_in("all_new_tickets")).bearer(&owner).send().await.expect(200);

    // A new ticket: the agent covering billing, and the owner who asked for every new ticket.
    let body = json!({"subject": "billing", "description": "We were charged twice <b>really</b>"});
    let created = app.post("/api/support/tickets", body).bearer(&ada).company(seed.acme).send().await.expect(201);
    let new_id = created.json["ticket"]["id"].as_i64().unwrap();
    let got = sink.wait_for(2).await;
    assert_eq!(recipients(&got), ["billing@platform.test", "owner@platform.test"]);
    let mail = &got[0];
    assert_eq!(mail["subject"], format!("[#{new_id}] New ticket: Billing"));
    assert!(
        text(mail).contains("Ada opened a ticket:") && text(mail).contains("> We were charged twice <b>really</b>")
    );
    assert!(mail["html"].as_str().unwrap().contains("We were charged twice &lt;b&gt;really&lt;/b&gt;"), "escaped");
    assert!(text(mail).contains(&format!("https://support.example/admin/tickets/{new_id}")));
    assert!(
        text(mail).contains("because you cover the subject billing") || text(&got[1]).contains("because you cover")
    );
    sink.clear();

    // A tenant's message on an unassigned ticket: the covering agents; on an assigned one: the assignee.
    let post = |path: String, token: &str, company: Option<i64>, body: Value| {
        let mut req = app.post(&path, body).bearer(token);
        if let Some(c) = company {
            req = req.company(c);
        }
        req
    };
    let web = format!("/api/support/tickets/{}/messages", seed.acme_web);
    post(web, &ada, Some(seed.acme), json!({"body": "Still broken"})).send().await.expect(201);
    assert_eq!(recipients(&sink.wait_for(1).await), ["web@platform.test"]);
    sink.clear();
    let billing = format!("/api/support/tickets/{}/messages", seed.acme_billing);
    post(billing.clone(), &ada, Some(seed.acme), json!({"body": "Any news?"})).send().await.expect(201);
    assert_eq!(recipients(&sink.wait_for(1).await), ["sal@platform.test"]);
    sink.clear();
    // A ticket no one covers or holds: nobody.
    let email = format!("/api/support/tickets/{}/messages", seed.globex_email);
    post(email, &gus, Some(seed.globex), json!({"body": "Hello?"})).send().await.expect(201);

    // An agent's public reply: the creator; with Bo's opt-in, Bo too; never Globex's Gus or disabled Dee.
    let reply = format!("/platform-admin/tickets/{}/messages", seed.acme_billing);
    post(reply.clone(), &sal, None, json!({"body": "Refunded today."})).send().await.expect(201);
    let got = sink.wait_for(1).await;
    assert_eq!(recipients(&got), ["ada@acme.test"], "Gus's message reached no one, and only Ada hears Sal");
    assert!(text(&got[0]).contains(&format!("https://support.example/manager/tickets/{}", seed.acme_billing)));
    sink.clear();
    app.put("/api/me/notifications", opt_in("all_company_tickets")).bearer(&bo).send().await.expect(200);
    post(reply.clone(), &sal, None, json!({"body": "And the second one."})).send().await.expect(201);
    assert_eq!(recipients(&sink.wait_for(2).await), ["ada@acme.test", "bo@both.test"]);
    sink.clear();

    // An internal note: the assignee only, never a tenant.
    post(reply.clone(), &owner, None, json!({"body": "Check the ledger", "internal": true})).send().await.expect(201);
    let got = sink.wait_for(1).await;
    assert_eq!(recipients(&got), ["sal@platform.test"]);
    assert!(text(&got[0]).contains("internal note"));
    sink.clear();

    // An assignment: the new assignee (not the one who assigned).
    let assign = format!("/platform-admin/tickets/{}/assign", seed.acme_web);
    app.patch(&assign, json!({"admin_id": seed.support_web})).bearer(&owner).send().await.expect(200);
    assert_eq!(recipients(&sink.wait_for(1).await), ["web@platform.test"]);
    sink.clear();

    // Status: in progress tells no one; solved tells the customer side.
    let status = format!("/platform-admin/tickets/{}/status", seed.acme_billing);
    app.patch(&status, json!({"status": "in_progress"})).bearer(&sal).send().await.expect(200);
    app.patch(&status, json!({"status": "solved"})).bearer(&sal).send().await.expect(200);
    let got = sink.wait_for(2).await;
    assert_eq!(recipients(&got), ["ada@acme.test", "bo@both.test"]);
    assert!(got[0]["subject"].as_str().unwrap().contains("Solved"), "{}", got[0]["subject"]);

    // Threading: one Message-ID each, one thread root per ticket.
    let all = app.sql_i64(&format!(
        "SELECT count(*) FROM mail_outbox WHERE ticket_id = {} AND state = 'sent'",
        seed.acme_billing
    ));
    assert!(all >= 6);
    let root = format!("<ticket-{}@platform.test>", seed.acme_billing);
    assert_eq!(got[0]["in_reply_to"], root);
    assert_eq!(got[0]["references"], root);
    assert_ne!(got[0]["message_id"], got[1]["message_id"]);
    assert!(got[0]["message_id"].as_str().unwrap().ends_with("@platform.test>"));
    // Sent emails keep no text.
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM mail_outbox WHERE state = 'sent' AND CAST(payload AS TEXT) <> '{}'"),
        0
    );
    assert_eq!(app.sql_i64("SELECT count(*) FROM mail_outbox WHERE to_addr IN ('dan@platform.test', 'dee@acme.test', 'gus@globex.test')"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choices_and_one_click_unsubscribe_links_work_and_forged_links_do_not() {
    let sink = Sink::start(None);
    let app = app_mailing(&sink.url(), |_| {}).await;
    let seed = Seed::new(&app).await;
    drained(&app).await;
    sink.clear();
    let (ada, sal) = (app.user_token(seed.acme_manager), app.admin_token(seed.support_assigned));
    let mine = app.get("/api/me/notifications").bearer(&ada).send().await.expect(200).json;
    assert_eq!(mine, json!({"email_enabled": true, "choices": {"agent_reply": true, "all_company_tickets": false}}));
    let agents = app.get("/platform-admin/me/notifications").bearer(&sal).send().await.expect(200).json;
    assert!(agents["choices"].get("all_new_tickets").is_none(), "an opt-in for owners and admins only: {agents}");
    let unknown = json!({"choices": {"all_new_tickets": true}});
    app.put("/api/me/notifications", unknown).bearer(&ada).send().await.problem(422, "validation_failed");

    let reply = format!("/platform-admin/tickets/{}/messages", seed.acme_billing);
    app.post(&reply, json!({"body": "First"})).bearer(&sal).send().await.expect(201);
    let got = sink.wait_for(1).await;
    assert_eq!(got[0]["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    let header = got[0]["list_unsubscribe"].as_str().unwrap();
    let url = header.trim_start_matches('<').trim_end_matches('>');
    let token = url.split("token=").nth(1).unwrap();
    assert!(url.starts_with("https://support.example/api/notifications/unsubscribe?token="), "{url}");
    assert!(text(&got[0]).contains(&format!("https://support.example/unsubscribe?token={token}")));
    sink.clear();

    // Edited and forged links are refused and change nothing.
    let (payload, signature) = token.split_once('.').unwrap();
    let edited = format!("{}.{signature}", base64_of(&format!("user.{}.agent_reply", seed.both_manager)));
    for bad in [edited.as_str(), &format!("{payload}.AAAAAAAAAAAAAAAAAAAAAA"), "nonsense", ""] {
        let path = format!("/api/notifications/unsubscribe?token={bad}");
        app.post(&path, json!({})).send().await.problem(404, "not_found");
        app.get(&path).send().await.problem(404, "not_found");
    }
    let info = app.get(&format!("/api/notifications/unsubscribe?token={token}")).send().await.expect(200).json;
    assert_eq!(info, json!({"email": "ada@acme.test", "what": "agent_reply", "on": true}));
    // One click, as a mail client sends it: a form body, no token of the person.
    let one_click = app
        .req(axum::http::Method::POST, &format!("/api/notifications/unsubscribe?token={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .raw_body("List-Unsubscribe=One-Click")
        .send()
        .await;
    assert_eq!(one_click.expect(200).json["on"], false);
    let mine = app.get("/api/me/notifications").bearer(&ada).send().await.expect(200).json;
    assert_eq!(mine["choices"]["agent_reply"], false);
    app.post(&reply, json!({"body": "Second"})).bearer(&sal).send().await.expect(201);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.messages().is_empty(), "Ada turned these off: {:?}", sink.messages());

    // Back on from the account page's choices.
    app.put("/api/me/notifications", json!({"choices": {"agent_reply": true}})).bearer(&ada).send().await.expect(200);
    app.post(&reply, json!({"body": "Third"})).bearer(&sal).send().await.expect(201);
    assert_eq!(recipients(&sink.wait_for(1).await), ["ada@acme.test"]);
}

fn base64_of(text: &str) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_close_together_go_out_as_one_email_and_invitations_are_sent() {
    let sink = Sink::start(None);
    let app = app_mailing(&sink.url(), |c| c.mail.coalesce_secs = 2).await;
    let seed = Seed::new(&app).await;
    drained(&app).await;
    sink.clear();
    let sal = app.admin_token(seed.support_assigned);
    let reply = format!("/platform-admin/tickets/{}/messages", seed.acme_billing);
    app.post(&reply, json!({"body": "Looking at it now."})).bearer(&sal).send().await.expect(201);
    let with_status = json!({"body": "Found it: refunded.", "status": "solved"});
    app.post(&reply, with_status).bearer(&sal).send().await.expect(201);
    let got = sink.wait_for(1).await;
    assert_eq!(got.len(), 1, "one email for both: {got:#?}");
    let body = text(&got[0]);
    assert!(body.contains("Looking at it now.") && body.contains("Found it: refunded."), "{body}");
    assert!(body.contains("replied and set the status to Solved"), "{body}");
    sink.clear();

    let owner = app.admin_token(seed.owner);
    let made = app
        .post("/platform-admin/users", json!({"email": "nina@acme.test", "name": "Nina", "company_ids": [seed.acme]}));
    let made = made.bearer(&owner).send().await.expect(201).json;
    let got = sink.wait_for(1).await;
    assert_eq!(recipients(&got), ["nina@acme.test"]);
    let url = made["invitation"]["url"].as_str().unwrap();
    assert!(url.starts_with("https://support.example/invite/"));
    assert!(text(&got[0]).contains(url), "{}", text(&got[0]));
    assert!(got[0]["list_unsubscribe"].as_str().unwrap().is_empty(), "an invitation has nothing to unsubscribe from");
    drained(&app).await;
    let token = url.rsplit('/').next().unwrap();
    assert_eq!(
        app.sql_i64(&format!("SELECT count(*) FROM mail_outbox WHERE CAST(payload AS TEXT) LIKE '%{token}%'")),
        0,
        "the link leaves the outbox once sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_smtp_server_down_emails_wait_and_arrive_once_it_is_back() {
    let port = free_port();
    let app = app_mailing(&format!("smtp://127.0.0.1:{port}"), |c| c.mail.max_attempts = 50).await;
    let seed = Seed::new(&app).await;
    let ada = app.user_token(seed.acme_manager);
    for n in 0..3 {
        let body = json!({"subject": "website", "description": format!("Broken page {n}")});
        app.post("/api/support/tickets", body).bearer(&ada).company(seed.acme).send().await.expect(201);
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let waiting = app.sql_i64("SELECT count(*) FROM mail_outbox WHERE state = 'pending'");
    assert!(waiting >= 3, "{waiting}");
    assert!(app.sql_i64("SELECT max(attempts) FROM mail_outbox") >= 1, "they were tried");
    let health = app.get("/healthz").send().await.expect(200).json;
    assert_eq!(health["mail"]["state"], "failing", "{health}");

    let sink = Sink::start(Some(port));
    let got = sink.wait_for(usize::try_from(waiting).unwrap()).await;
    drained(&app).await;
    assert_eq!(got.len(), usize::try_from(waiting).unwrap(), "each once: {:#?}", recipients(&got));
    let mut ids: Vec<&str> = got.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len());
    let website: Vec<_> = got
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("Broken") || text(m).contains("Broken page"))
        .collect();
    assert_eq!(website.len(), 3);
    let health = app.get("/healthz").send().await.expect(200).json;
    assert_eq!(health["mail"], json!({"state": "ok", "detail": null, "pending": 0, "dead": 0}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_is_given_up_after_its_attempts_and_reported() {
    let sink = Sink::start(None);
    let app = app_mailing(&sink.url(), |c| c.mail.max_attempts = 3).await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let body = json!({"email": "bounce@acme.test", "name": "Bounce", "company_ids": [seed.acme]});
    app.post("/platform-admin/users", body).bearer(&owner).send().await.expect(201);
    for _ in 0..200 {
        if app.sql_i64("SELECT count(*) FROM mail_outbox WHERE state = 'dead'") == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.sql_i64("SELECT attempts FROM mail_outbox WHERE state = 'dead'"), 3);
    assert!(app.sql_text("SELECT last_error FROM mail_outbox WHERE state = 'dead'").contains("550"));
    assert_eq!(app.sql_i64("SELECT count(*) FROM mail_outbox WHERE state = 'dead' AND payload <> '{}'"), 0);
    let metrics = app.get("/metrics").send().await.expect(200);
    let text = String::from_utf8_lossy(&metrics.bytes).to_string();
    assert!(text.contains("ticketing_mail_dead 1"), "{text}");
    let health = app.get("/healthz").send().await.expect(200).json;
    assert_eq!(health["mail"]["dead"], 1);
    let problems = ticketing::store::check(&app.state.config.database).unwrap();
    assert!(problems.iter().any(|p| p.contains("given up")), "{problems:?}");
}

#[test]
fn emails_waiting_when_the_server_is_killed_are_all_sent_after_the_restart() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let cli = Workdir::new();
    cli.ok(&["demo"]);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let env = [
        ("TICKETING_MAIL_ENABLED", "true"),
        ("TICKETING_MAIL_URL", url.as_str()),
        ("TICKETING_MAIL_FROM", FROM),
        ("TICKETING_MAIL_PUBLIC_URL", "https://support.example"),
        ("TICKETING_MAIL_COALESCE_SECS", "0"),
        ("TICKETING_MAIL_RETRY_MAX_DELAY_SECS", "1"),
    ];
    let (mut server, addr) = start_server(&cli.db(), &env);
    let token = cli.ok(&["token", "user", "manager@acme.example"]).trim().to_string();
    for n in 0..3 {
        let body = format!(r#"{{"subject": "website", "description": "Page {n} is blank"}}"#);
        let (status, _, _) =
            crate::support::process::http_with(&addr, "POST", "/api/support/tickets", Some(&body), &token)
                .expect("an answer");
        assert_eq!(status, 201);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let waiting: i64 =
        conn.query_row("SELECT count(*) FROM mail_outbox WHERE state = 'pending'", [], |r| r.get(0)).unwrap();
    assert!(waiting >= 3, "{waiting} emails waited in the outbox");

    let sink = Sink::start(Some(port));
    let (_server, _) = start_server(&cli.db(), &env);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sink.messages().len() < usize::try_from(waiting).unwrap() {
        assert!(std::time::Instant::now() < deadline, "{} of {waiting} arrived", sink.messages().len());
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(700));
    let got = sink.messages();
    assert_eq!(got.len(), usize::try_from(waiting).unwrap(), "none twice: {:?}", recipients(&got));
    assert!(recipients(&got).iter().all(|r| r == "support@example.com"), "{:?}", recipients(&got));
    let sent: i64 = conn.query_row("SELECT count(*) FROM mail_outbox WHERE state = 'sent'", [], |r| r.get(0)).unwrap();
    assert_eq!(sent, waiting);
}
