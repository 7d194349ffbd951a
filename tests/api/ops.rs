//! Operations: backup under load, restore, check, healthcheck, metrics, and a
//! clean stop on SIGTERM while requests are in flight.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::json;

use crate::support::{
    Seed, TestApp, create_ticket,
    process::{http, run, sigterm, start_server, ticketing},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_holds_every_acknowledged_write_and_passes_check() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let app = Arc::new(app);
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (app, stop, acknowledged) = (app.clone(), stop.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let id =
                    create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("writer {w} ticket {i}"))
                        .await;
                acknowledged.lock().unwrap().push(id);
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_backup: Vec<i64> = acknowledged.lock().unwrap().clone();
    let copy = app.db_path.with_file_name("copy.db");
    let db_path = app.db_path.clone();
    let copy_arg = copy.clone();
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(ticketing(&db_path).arg("backup").arg(&copy_arg))).await.unwrap();
    assert!(ok, "{err}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(before_backup.len() > 10, "writes were running: {}", before_backup.len());

    let (ok, out, err) = run(ticketing(&copy).arg("check"));
    assert!(ok, "the copy passes check: {out}{err}");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    for id in &before_backup {
        let found: i64 = conn.query_row("SELECT count(*) FROM tickets WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        assert_eq!(found, 1, "ticket {id} was acknowledged before the backup began");
    }
}

#[test]
fn check_passes_a_healthy_database_and_names_a_planted_inconsistency() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    let (ok, out, _) = run(ticketing(&db).arg("check"));
    assert!(ok, "{out}");
    assert!(out.starts_with("ok:"));

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE tickets SET status = 'solved' WHERE id = 1", []).unwrap();
    conn.execute("DELETE FROM platform_audit_log WHERE action = 'ticket.create' AND ticket_id = 2", []).unwrap();
    conn.execute("UPDATE ticket_tallies SET n = n + 1 WHERE rowid = (SELECT min(rowid) FROM ticket_tallies)", [])
        .unwrap();
    conn.execute("UPDATE read_marks SET live = 1 - live WHERE ticket_id = 3", []).unwrap();
    drop(conn);
    let (ok, out, err) = run(ticketing(&db).arg("check"));
    assert!(!ok);
    assert!(out.contains("ticket 1's status"), "{out}");
    assert!(out.contains("ticket 2 has no ticket.create row"), "{out}");
    assert!(out.contains("1 ticket tallies differ"), "{out}");
    assert!(out.contains("ticket 3 has read marks out of step with it"), "{out}");
    assert!(err.contains("4 problem(s)"), "{err}");
}

#[test]
fn restore_round_trips_and_refuses_while_a_server_runs_or_for_a_bad_file() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).args(["company", "create", "--name", "Kept"])).0);
    let copy = dir.path().join("copy.db");
    assert!(run(ticketing(&db).arg("backup").arg(&copy)).0);
    assert!(run(ticketing(&db).args(["company", "create", "--name", "Lost"])).0);

    let (mut child, _) = start_server(&db, &[]);
    let (ok, _, err) = run(ticketing(&db).arg("restore").arg(&copy));
    assert!(!ok && err.contains("another ticketing server"), "{err}");
    sigterm(&child);
    assert!(child.wait().unwrap().success());

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![7u8; 8192]).unwrap();
    let (ok, _, err) = run(ticketing(&db).arg("restore").arg(&garbage));
    assert!(!ok, "{err}");

    let (ok, _, err) = run(ticketing(&db).arg("restore").arg(&copy));
    assert!(ok, "{err}");
    let (_, companies, _) = run(ticketing(&db).args(["company", "list"]));
    assert!(companies.contains("Kept") && !companies.contains("Lost"), "{companies}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("before-restore"))
    );
}

#[test]
fn healthcheck_exits_zero_for_a_live_server_and_non_zero_otherwise() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let (mut child, addr) = start_server(&db, &[]);
    let (ok, out, _) = run(ticketing(&db).args(["healthcheck", "--url", &format!("http://{addr}/healthz")]));
    assert!(ok, "{out}");
    let (ok, _, _) = run(ticketing(&db).args(["healthcheck", "--url", &format!("http://{addr}/api/nothing-here")]));
    assert!(!ok, "a 404 is not healthy");
    sigterm(&child);
    assert!(child.wait().unwrap().success());
    let (ok, _, err) = run(ticketing(&db).args(["healthcheck", "--url", &format!("http://{addr}/healthz")]));
    assert!(!ok && err.starts_with("error:"), "{err}");
}

#[test]
fn sigterm_under_load_lets_in_flight_requests_finish_and_exits_zero() {
    if crate::support::sqlite_only("a server process on a SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    // Real argon2 cost, so each sign-in takes a while and some are in flight.
    let mut cmd_env = vec![
        ("TICKETING_AUTH_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "100000"),
        ("TICKETING_AUTH_RATE_LIMIT_PER_EMAIL_PER_MINUTE", "100000"),
    ];
    cmd_env.push(("TICKETING_AUTH_PASSWORD_MEMORY_KIB", "19456"));
    let (mut child, addr) = start_server(&db, &cmd_env);
    let answered = Arc::new(AtomicUsize::new(0));
    let broken = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for _ in 0..8 {
        let (addr, answered, broken, stop) = (addr.clone(), answered.clone(), broken.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let body = json!({"email": "manager@acme.example", "password": "demo-password"}).to_string();
            while !stop.load(Ordering::Relaxed) {
                match http(&addr, "POST", "/api/auth/login", Some(&body)) {
                    Some((200, true, _)) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(other) => {
                        eprintln!("broken answer: {other:?}");
                        broken.fetch_add(1, Ordering::Relaxed);
                    }
                    None => break,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(700));
    sigterm(&child);
    let status = child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    assert!(status.success(), "exit 0 on SIGTERM, got {status:?}");
    assert!(answered.load(Ordering::Relaxed) > 0, "requests were served");
    assert_eq!(broken.load(Ordering::Relaxed), 0, "no answer was cut short");
}

#[tokio::test]
async fn metrics_counters_move_with_traffic_and_a_token_guards_them() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let count = |text: &str| -> u64 {
        text.lines()
            .find(|l| {
                l.starts_with("ticketing_http_requests_total{")
                    && l.contains("route=\"/api/support/tickets\"")
                    && l.contains("status=\"200\"")
                    && l.contains("method=\"GET\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let token = app.user_token(seed.acme_manager);
    app.get("/api/support/tickets").bearer(&token).send().await.expect(200);
    let first = app.get("/metrics").send().await.expect(200);
    let text = String::from_utf8(first.bytes.clone()).unwrap();
    assert!(first.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    let before = count(&text);
    assert!(before >= 1, "{text}");
    assert!(text.contains("ticketing_writer_batches_total"), "{text}");
    assert!(text.contains("ticketing_database_size_bytes"), "{text}");
    assert!(text.contains("ticketing_http_request_duration_seconds_bucket"), "{text}");
    for _ in 0..3 {
        app.get("/api/support/tickets").bearer(&token).send().await.expect(200);
    }
    let after = count(&String::from_utf8(app.get("/metrics").send().await.bytes).unwrap());
    assert_eq!(after, before + 3);

    let guarded = TestApp::with_config(|c| c.metrics.token = "scrape-token-0123456789".into()).await;
    guarded.get("/metrics").send().await.problem(401, "unauthorized");
    guarded.get("/metrics").bearer("scrape-token-0123456789").send().await.expect(200);
    let off = TestApp::with_config(|c| c.metrics.enabled = false).await;
    off.get("/metrics").send().await.problem(404, "not_found");
}
