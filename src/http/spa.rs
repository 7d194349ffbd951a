//! The embedded web UI (the committed `vite build` output in `assets/`).
//! UI routes answer `index.html`; files answer themselves; a missing file is
//! a 404, never `index.html` (a stale script tag must fail loudly, not parse
//! HTML as JavaScript).

use axum::{
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use super::error::Problem;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Vite puts content-hashed files here; their name changes with their content.
const HASHED_DIR: &str = "static/";

fn cache_control(path: &str) -> &'static str {
    if path.starts_with(HASHED_DIR) {
        // The name is the content's hash: it can be kept forever.
        "public, max-age=31536000, immutable"
    } else if path == "index.html" {
        // Always revalidate, so a new release's script names are seen at once.
        "no-cache"
    } else {
        "public, max-age=3600"
    }
}

fn file(path: &str) -> Option<Response> {
    let asset = Assets::get(path)?;
    let mime = asset.metadata.mimetype();
    let mut response = asset.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(path)));
    Some(response)
}

/// The fallback for every path that is not an API route.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let last = path.rsplit('/').next().unwrap_or("");
    let looks_like_file = path.starts_with(HASHED_DIR) || last.contains('.');
    if looks_like_file {
        return file(path).unwrap_or_else(|| Problem::for_status(StatusCode::NOT_FOUND).into_response_with(|_| {}));
    }
    file("index.html").unwrap_or_else(|| {
        Problem::new(StatusCode::NOT_FOUND, "ui_missing", "the web UI was not built into this binary")
            .into_response_with(|_| {})
    })
}
