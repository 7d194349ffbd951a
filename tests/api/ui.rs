//! The embedded web UI as the server serves it.

use crate::support::TestApp;

#[tokio::test]
async fn ui_routes_answer_index_html_that_is_never_cached() {
    let app = TestApp::new().await;
    for path in
        ["/", "/login", "/admin/login", "/manager/tickets", "/manager/tickets/3", "/admin/tickets/7", "/admin/team"]
    {
        let resp = app.get(path).send().await.expect(200);
        assert!(resp.header("content-type").unwrap().starts_with("text/html"), "{path}");
        assert_eq!(resp.header("cache-control"), Some("no-cache"), "{path}");
        assert!(String::from_utf8_lossy(&resp.bytes).contains("<div id=\"app\">"), "{path}");
        assert!(resp.header("content-security-policy").unwrap().contains("script-src 'self'"));
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_with_their_content_type_and_missing_files_are_404() {
    let app = TestApp::new().await;
    let index = String::from_utf8(app.get("/").send().await.bytes).unwrap();
    let script = index.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("a script tag");
    assert!(script.starts_with("/static/"), "{script}");
    let resp = app.get(script).send().await.expect(200);
    assert_eq!(resp.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(resp.header("content-type").unwrap().contains("javascript"));
    let css =
        index.split("href=\"").find_map(|s| s.split('"').next().filter(|h| h.ends_with(".css"))).expect("a stylesheet");
    assert!(app.get(css).send().await.expect(200).header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(app.get("/favicon.svg").send().await.expect(200).header("content-type"), Some("image/svg+xml"));

    app.get("/static/index-doesnotexist.js").send().await.problem(404, "not_found");
    app.get("/robots.txt").send().await.problem(404, "not_found");
    // Unknown API paths stay JSON, never the UI.
    app.get("/api/support/nothing").send().await.problem(404, "not_found");
}

#[tokio::test]
async fn no_inline_script_in_the_page() {
    let app = TestApp::new().await;
    let index = String::from_utf8(app.get("/").send().await.bytes).unwrap();
    for tag in index.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap();
        assert!(open.contains("src="), "every script is a file: <script{open}>");
    }
    assert!(!index.contains(" style="), "no inline styles");
}
