//! What an attacker found, one class at a time: memory a client can grow,
//! request ids, slow clients, proxies, lock-out, text that looks empty or
//! lies, searches with no word, odd tokens, file modes, what support agents
//! see, write floods and sign-in bursts.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    support::process::{run, sigterm, start_server, ticketing},
    support::{PASSWORD, SECRET, Seed, TestApp},
};

/// The resident memory of a process, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Sends one raw request on its own connection and reads the whole answer.
fn exchange(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn made_up_methods_and_paths_neither_grow_memory_nor_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(&dir.path().join("t.db"), &[("TICKETING_METRICS_ENABLED", "true")]);
    let request = |method: &str, path: &str| {
        exchange(&addr, &format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"))
    };
    // Warm up: every kind of answer has been made once.
    for i in 0..200 {
        request(&format!("WARM{i}"), &format!("/warm/{i}"));
        request("GET", &format!("/api/warm/{i}"));
    }
    let before = rss_kb(server.id());
    for i in 0..2000 {
        let answer = request(&format!("MADEUP{i}"), &format!("/made/up/{i}?x={i}"));
        assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    }
    let after = rss_kb(server.id());
    assert!(after <= before + 3 * 1024, "RSS grew from {before} kB to {after} kB");

    let metrics = request("GET", "/metrics");
    let series: Vec<&str> = metrics.lines().filter(|l| l.starts_with("ticketing_http_requests_total{")).collect();
    assert!(!metrics.contains("MADEUP") && !metrics.contains("/made/up"), "client values became labels");
    assert!(series.iter().any(|l| l.contains("method=\"other\"") && l.contains("route=\"unmatched\"")), "{metrics}");
    assert!(series.len() < 20, "{} series: {series:?}", series.len());
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[test]
fn a_client_request_id_is_kept_only_when_short_and_plain() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    let (mut server, addr) = start_server(&db, &[]);
    let token = run(ticketing(&db).args(["token", "user", "manager@acme.example"])).1.trim().to_string();
    let owner = run(ticketing(&db).args(["token", "admin", "owner@example.com"])).1.trim().to_string();
    let create = |request_id: &str| {
        let body = json!({"subject": "website", "description": "Request id check"}).to_string();
        exchange(
            &addr,
            &format!(
                "POST /api/support/tickets HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nX-Request-Id: {request_id}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let stored = || {
        let answer = exchange(
            &addr,
            &format!(
                "GET /platform-admin/audit-log?action=ticket.create&limit=1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {owner}\r\nConnection: close\r\n\r\n"
            ),
        );
        let body: serde_json::Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        body["items"][0]["request_id"].as_str().unwrap().to_string()
    };

    let long = "A".repeat(10_000);
    let answer = create(&long);
    assert!(answer.starts_with("HTTP/1.1 201"), "{}", &answer[..200.min(answer.len())]);
    let echoed = header(&answer, "x-request-id").unwrap().to_string();
    assert!(echoed.len() <= 64 && !echoed.contains("AAAAAAAAAA"), "{echoed}");
    assert_eq!(stored(), echoed, "the audit row holds the generated id");

    let forged = "abc\"level=error";
    let answer = create(forged);
    let echoed = header(&answer, "x-request-id").unwrap().to_string();
    assert_ne!(echoed, forged);
    assert_eq!(stored(), echoed);

    let answer = create("trace-42.a_b");
    assert_eq!(header(&answer, "x-request-id"), Some("trace-42.a_b"), "a plain id is kept");
    assert_eq!(stored(), "trace-42.a_b");

    sigterm(&server);
    assert!(server.wait().unwrap().success());
    let log = server.log();
    assert!(log.contains("trace-42.a_b"), "the log carries request ids");
    assert!(!log.contains("AAAAAAAAAA") && !log.contains("level=error"), "a client's id reached the log");
}

#[test]
fn a_connection_that_never_finishes_its_headers_is_closed_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) =
        start_server(&dir.path().join("t.db"), &[("TICKETING_SERVER_HEADER_READ_TIMEOUT_SECS", "1")]);
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ").unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(4), "closed after {waited:?}");
    assert!(waited >= Duration::from_millis(900), "closed too early, after {waited:?}");

    // An idle keep-alive connection is closed after as long.
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(started.elapsed() < Duration::from_secs(4), "the idle connection stayed open {:?}", started.elapsed());
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[test]
fn past_the_connection_cap_new_connections_wait_and_open_ones_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(&dir.path().join("t.db"), &[("TICKETING_SERVER_MAX_CONNECTIONS", "3")]);
    let ask = |stream: &mut TcpStream| {
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let mut open: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            assert!(ask(&mut s).starts_with("HTTP/1.1 200"));
            s
        })
        .collect();
    let mut waiting = TcpStream::connect(&addr).unwrap();
    waiting.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    waiting.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    assert!(waiting.read(&mut buf).is_err(), "a fourth connection is not served while three are open");
    for s in &mut open {
        assert!(ask(s).starts_with("HTTP/1.1 200"), "the open connections are still served");
    }
    drop(open.pop());
    waiting.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = waiting.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "served once a slot is free");
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

async fn fail_login(app: &TestApp, peer: &str, forwarded: Option<&str>, email: &str) -> u16 {
    let mut req = app.post("/api/auth/login", json!({"email": email, "password": "wrong password"})).sent_from(peer);
    if let Some(xff) = forwarded {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.status.as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_login_bucket() {
    let app = TestApp::with_config(|c| {
        c.server.trusted_proxies = vec!["10.0.0.0/8".into()];
        c.auth.rate_limit.per_email_per_minute = 2;
    })
    .await;
    let seed = Seed::new(&app).await;
    for _ in 0..2 {
        assert_eq!(fail_login(&app, "10.0.0.2", Some("203.0.113.1"), "ada@acme.test").await, 401);
    }
    assert_eq!(fail_login(&app, "10.0.0.2", Some("203.0.113.1"), "ada@acme.test").await, 429);
    assert_eq!(fail_login(&app, "10.0.0.2", Some("203.0.113.2"), "ada@acme.test").await, 401, "another client");
    let ok = app
        .post("/api/auth/login", json!({"email": "ada@acme.test", "password": PASSWORD}))
        .sent_from("10.0.0.2")
        .header("x-forwarded-for", "198.51.100.4, 10.0.0.9")
        .send()
        .await
        .expect(200);
    assert!(ok.json["token"].is_string());
    let owner = app.admin_token(seed.owner);
    let log = app.get("/platform-admin/audit-log?action=auth.login&limit=1").bearer(&owner).send().await.expect(200);
    assert_eq!(log.json["items"][0]["client_addr"], "198.51.100.4", "the audit row records the client, not the proxy");

    // Without trusted proxies the header is ignored: one bucket, the peer's.
    let plain = TestApp::with_config(|c| c.auth.rate_limit.per_email_per_minute = 2).await;
    Seed::new(&plain).await;
    assert_eq!(fail_login(&plain, "10.0.0.2", Some("203.0.113.1"), "ada@acme.test").await, 401);
    assert_eq!(fail_login(&plain, "10.0.0.2", Some("203.0.113.2"), "ada@acme.test").await, 401);
    assert_eq!(fail_login(&plain, "10.0.0.2", Some("203.0.113.3"), "ada@acme.test").await, 429);
}

#[tokio::test]
async fn strangers_failures_do_not_stop_a_correct_login_from_another_address() {
    let app = TestApp::with_config(|c| {
        c.auth.rate_limit.per_email_per_minute = 3;
        c.auth.rate_limit.per_email_all_addresses_per_minute = 10;
    })
    .await;
    Seed::new(&app).await;
    let login = |peer: &'static str| {
        let app = &app;
        async move {
            app.post("/platform-admin/auth/login", json!({"email": "owner@platform.test", "password": PASSWORD}))
                .sent_from(peer)
                .send()
                .await
                .status
                .as_u16()
        }
    };
    // The owner signs in from the office once.
    assert_eq!(login("192.0.2.10").await, 200);
    // A stranger guesses until held back; the owner elsewhere is not.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(fail_login(&app, "198.51.100.66", None, "owner@platform.test").await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    assert_eq!(login("203.0.113.20").await, 200, "a correct password from another address signs in");
    // Many strangers at once: the account's loose limit holds new addresses
    // back, never the address its owner signed in from.
    for i in 1..=12 {
        fail_login(&app, &format!("198.51.100.{i}"), None, "owner@platform.test").await;
    }
    assert_eq!(fail_login(&app, "198.51.100.99", None, "owner@platform.test").await, 429);
    assert_eq!(login("192.0.2.10").await, 200, "the owner's own address still signs in");
    // A success clears its pair: the owner's typos earlier do not pile up.
    let typos = TestApp::with_config(|c| c.auth.rate_limit.per_email_per_minute = 2).await;
    Seed::new(&typos).await;
    for _ in 0..5 {
        assert_eq!(fail_login(&typos, "192.0.2.1", None, "ada@acme.test").await, 401);
        let ok = typos
            .post("/api/auth/login", json!({"email": "ada@acme.test", "password": PASSWORD}))
            .sent_from("192.0.2.1");
        ok.send().await.expect(200);
    }
}

#[tokio::test]
async fn a_burst_of_sign_ins_past_the_hash_cap_is_answered_503_with_retry_after() {
    let app = TestApp::with_config(|c| {
        // The real cost, so that hashes overlap.
        c.auth.password.memory_kib = 19456;
        c.auth.password.iterations = 2;
        c.auth.password.max_concurrent = 1;
    })
    .await;
    Seed::new(&app).await;
    let attempts = (0..24).map(|i| {
        let app = &app;
        async move {
            app.post("/api/auth/login", json!({"email": format!("nobody{i}@x.test"), "password": "whatever pass"}))
                .sent_from(&format!("192.0.2.{i}"))
                .send()
                .await
        }
    });
    let answers = futures_join_all(attempts).await;
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "the cap held some back: {:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().any(|r| r.status == 401), "the ones in the cap were checked");
    for r in busy {
        assert_eq!(r.header("retry-after"), Some("1"));
        assert_eq!(r.json["code"], "busy");
    }
}

/// Runs futures concurrently on this task (a tiny `join_all`).
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, result) in handles.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.expect("finished")).collect()
}

#[tokio::test]
async fn bodies_of_invisible_characters_and_bidi_controls_are_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let manager = app.user_token(seed.acme_manager);
    let owner = app.admin_token(seed.owner);
    let before = app.write_counts();
    for blank in
        ["\u{200E}\u{200F}\u{00AD}", "\u{3164}\u{3164}", "\u{2800}\u{2800}\u{2800}", "\u{FE0F}\u{FE0F}", "\u{2061}"]
    {
        let resp = app
            .post("/api/support/tickets", json!({"subject": "website", "description": blank}))
            .bearer(&manager)
            .send()
            .await
            .problem(422, "validation_failed");
        assert_eq!(resp.json["errors"][0]["code"], "required", "{blank:?}");
        app.post(&format!("/platform-admin/tickets/{}/messages", seed.acme_web), json!({"body": blank}))
            .bearer(&owner)
            .send()
            .await
            .problem(422, "validation_failed");
    }
    for lying in ["Invoice \u{202E}gpj.exe", "a\u{2066}b\u{2069}", "\u{202A}x"] {
        let resp = app
            .post(&format!("/api/support/tickets/{}/messages", seed.acme_web), json!({"body": lying}))
            .bearer(&manager)
            .send()
            .await
            .problem(422, "validation_failed");
        assert_eq!(resp.json["errors"][0]["code"], "invalid_characters", "{lying:?}");
        app.post("/api/support/tickets", json!({"subject": "website", "sub_subject": lying, "description": "x"}))
            .bearer(&manager)
            .send()
            .await
            .problem(422, "validation_failed");
    }
    assert_eq!(app.write_counts(), before);
}

#[tokio::test]
async fn a_search_with_no_word_in_it_is_invalid_query() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let manager = app.user_token(seed.acme_manager);
    let owner = app.admin_token(seed.owner);
    for q in ["*", "%F0%9F%99%82", "%22", "--%20**"] {
        let resp =
            app.get(&format!("/api/support/tickets?q={q}")).bearer(&manager).send().await.problem(422, "invalid_query");
        assert_eq!(resp.json["errors"][0]["field"], "q", "{q}");
        app.get(&format!("/platform-admin/tickets?q={q}")).bearer(&owner).send().await.problem(422, "invalid_query");
    }
    assert_eq!(
        app.get("/api/support/tickets?q=").bearer(&manager).send().await.expect(200).ids().len(),
        2,
        "empty q: no filter"
    );
}

fn sign(claims: &serde_json::Value, header: jsonwebtoken::Header) -> String {
    jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

#[tokio::test]
async fn tokens_from_the_future_too_long_lived_or_with_crit_are_refused() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let now = jsonwebtoken::get_current_timestamp();
    let ttl = app.state.config.auth.token_ttl_minutes * 60;
    let claims = |iat: u64, exp: u64| {
        json!({"sub": seed.owner.to_string(), "kind": "admin", "ver": 1, "iat": iat, "nbf": now - 10, "exp": exp,
               "iss": "ticketing", "aud": "ticketing-api"})
    };
    let hs256 = || jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let good = sign(&claims(now, now + 600), hs256());
    app.get("/platform-admin/me").bearer(&good).send().await.expect(200);

    let future_iat = sign(&claims(now + 600, now + 1200), hs256());
    let too_long = sign(&claims(now, now + ttl + 3600), hs256());
    let before_iat = sign(&claims(now, now - 1), hs256());
    let crit = {
        let header = base64_url(&json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}).to_string());
        let payload = base64_url(&claims(now, now + 600).to_string());
        let signing_input = format!("{header}.{payload}");
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        let signature =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
        format!("{signing_input}.{signature}")
    };
    for (name, token) in [
        ("iat in the future", future_iat),
        ("lifetime too long", too_long),
        ("exp before iat", before_iat),
        ("crit", crit),
    ] {
        let resp = app.get("/platform-admin/me").bearer(&token).send().await;
        assert_eq!(resp.status, 401, "{name}: {}", resp.json);
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[cfg(unix)]
#[test]
fn new_database_files_and_backups_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    let (mut server, addr) = start_server(&db, &[]);
    assert_eq!(exchange(&addr, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")[..12], *"HTTP/1.1 200");
    let backup = dir.path().join("backup.db");
    let (ok, _, err) = run(ticketing(&db).arg("backup").arg(&backup));
    assert!(ok, "{err}");
    for name in ["t.db", "t.db-wal", "t.db-shm", "t.db.lock", "t.db.secret", "backup.db"] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[tokio::test]
async fn a_support_agent_sees_names_and_roles_of_the_team_only() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    seed.disable_accounts(&app);
    let team = app.get("/platform-admin/team").bearer(&app.admin_token(seed.support_web)).send().await.expect(200);
    let members = team.json["items"].as_array().unwrap();
    assert!(!members.is_empty());
    for m in members {
        assert!(m.get("email").is_none(), "{m}");
        assert!(m.get("active").is_none(), "{m}");
        assert!(m["name"].is_string() && m["role"].is_string());
        assert_ne!(m["id"], seed.disabled_admin, "disabled members are left out");
    }
    assert!(!String::from_utf8_lossy(&team.bytes).contains('@'), "no email anywhere in the answer");
    let full = app.get("/platform-admin/team").bearer(&app.admin_token(seed.admin)).send().await.expect(200);
    assert!(full.json["items"].as_array().unwrap().iter().all(|m| m["email"].is_string()), "admins see emails");
}

#[tokio::test]
async fn one_account_writing_past_its_limit_gets_429_and_others_write_on() {
    let app = TestApp::with_config(|c| {
        c.limits.writes_per_minute = 60;
        c.limits.write_burst = 20;
    })
    .await;
    let seed = Seed::new(&app).await;
    let manager = app.user_token(seed.acme_manager);
    let mut statuses = Vec::new();
    for i in 0..25 {
        let resp = app
            .post("/api/support/tickets", json!({"subject": "website", "description": format!("flood {i}")}))
            .bearer(&manager)
            .send()
            .await;
        statuses.push(resp.status.as_u16());
        if resp.status == 429 {
            let retry: u64 = resp.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry));
            assert_eq!(resp.json["code"], "rate_limited");
        }
    }
    // The seed opened two tickets as Ada already: 18 of her burst are left.
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert!((18..=19).contains(&created), "{statuses:?}");
    assert!(statuses.ends_with(&[429, 429, 429]), "{statuses:?}");
    app.post(&format!("/api/support/tickets/{}/messages", seed.globex_email), json!({"body": "Still here"}))
        .bearer(&app.user_token(seed.globex_manager))
        .send()
        .await
        .expect(201);
    app.get("/api/support/tickets").bearer(&manager).send().await.expect(200);
}
