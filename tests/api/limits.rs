//! Limits, each with a test, against the real binary where the limit lives
//! in the HTTP server rather than the router.

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::json;

use crate::support::{
    Seed, TestApp,
    process::{http, run, sigterm, start_server, ticketing},
};

fn raw_exchange(addr: &str, request: &[u8], pause_then: Option<(Duration, &[u8])>) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = stream.write_all(request);
    if let Some((pause, rest)) = pause_then {
        std::thread::sleep(pause);
        let _ = stream.write_all(rest);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn oversized_headers_are_refused_and_the_server_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(&dir.path().join("t.db"), &[]);
    let huge =
        format!("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Junk: {}\r\nConnection: close\r\n\r\n", "a".repeat(1024 * 1024));
    let answer = raw_exchange(&addr, huge.as_bytes(), None);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431") || answer.starts_with("HTTP/1.1 400"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert_eq!(http(&addr, "GET", "/healthz", None).unwrap().0, 200, "still serving");
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[test]
fn a_request_whose_body_never_arrives_times_out_with_408() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    let (mut server, addr) = start_server(&db, &[("TICKETING_SERVER_REQUEST_TIMEOUT_SECS", "1")]);
    // Promises 100 bytes, sends 10, then stalls past the timeout.
    let head = b"POST /api/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"email\":";
    let answer = raw_exchange(&addr, head, Some((Duration::from_millis(2500), b"\"x\"}")));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("request_timeout"), "{answer}");
    assert_eq!(http(&addr, "GET", "/healthz", None).unwrap().0, 200);
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[test]
fn one_client_flooding_does_not_stop_the_server_serving_others() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(ticketing(&db).arg("demo")).0);
    let (mut server, addr) = start_server(&db, &[("TICKETING_AUTH_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "5")]);
    let token =
        String::from_utf8(ticketing(&db).args(["token", "user", "manager@acme.example"]).output().unwrap().stdout)
            .unwrap();
    let token = token.trim().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let limited = Arc::new(AtomicUsize::new(0));
    let mut flooders = Vec::new();
    for _ in 0..6 {
        let (addr, stop, limited) = (addr.clone(), stop.clone(), limited.clone());
        flooders.push(std::thread::spawn(move || {
            let body = json!({"email": "manager@acme.example", "password": "guess"}).to_string();
            while !stop.load(Ordering::Relaxed) {
                if let Some((429, _, _)) = http(&addr, "POST", "/api/auth/login", Some(&body)) {
                    limited.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Meanwhile, a signed-in manager keeps working.
    for _ in 0..20 {
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "GET /api/support/tickets HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{}", &answer[..answer.len().min(300)]);
    }
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.join().unwrap();
    }
    assert!(limited.load(Ordering::Relaxed) > 0, "the flood was rate limited");
    sigterm(&server);
    assert!(server.wait().unwrap().success());
}

#[test]
fn the_authorization_header_is_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(&dir.path().join("t.db"), &[("TICKETING_LOG", "trace")]);
    let secret = "Bearer sekrit-token-value-that-must-not-appear";
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(stream, "GET /api/me HTTP/1.1\r\nHost: t\r\nAuthorization: {secret}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"));
    sigterm(&server);
    assert!(server.wait().unwrap().success());
    let text = server.log();
    assert!(text.contains("/api/me"), "the request was logged at trace level");
    assert!(!text.contains("sekrit-token"), "the token leaked into the log");
}

#[tokio::test]
async fn deeply_nested_json_is_a_client_error_not_a_crash() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let token = app.user_token(seed.acme_manager);
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let resp = app
        .req(axum::http::Method::POST, "/api/support/tickets")
        .bearer(&token)
        .header("content-type", "application/json")
        .raw_body(deep)
        .send()
        .await;
    assert!(resp.status.is_client_error(), "{}", resp.status);
    let nested_object =
        format!("{{\"subject\": {}1{}, \"description\": \"x\"}}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let resp = app
        .req(axum::http::Method::POST, "/api/support/tickets")
        .bearer(&token)
        .header("content-type", "application/json")
        .raw_body(nested_object)
        .send()
        .await;
    assert!(resp.status.is_client_error(), "{}", resp.status);
    app.get("/healthz").send().await.expect(200);
}
