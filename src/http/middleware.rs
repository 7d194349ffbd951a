//! The middleware stack: request ids, tracing without the Authorization
//! header, panics caught as 500s, timeouts, compression, security headers,
//! `Cache-Control: no-store` on API answers, and the last step that makes
//! every error a problem+json body carrying the request id.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use super::{
    client::{ClientIp, REQUEST_ID, TrustedProxies, client_address, request_id, sanitize_request_id},
    error::{PROBLEM_JSON, Problem},
    metrics::method_label,
};

/// The UI loads only its own scripts and styles: no inline script, no
/// framing, no plugins.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn wrap(app: Router, timeout: Duration, proxies: Arc<TrustedProxies>) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            // The request id is checked (short, plain characters) and the
            // method is a known one or `other`; the path and the address are
            // written quoted and escaped, so no client can forge log fields.
            let id = request_id(req.headers()).unwrap_or("");
            let route = req
                .extensions()
                .get::<axum::extract::MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| logged_path(req.uri().path()));
            let client = req.extensions().get::<ClientIp>().and_then(|c| c.0);
            tracing::info_span!(
                "request",
                method = method_label(req.method()),
                route = ?route,
                request_id = %id,
                client = client.map(tracing::field::display),
            )
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(tower_http::LatencyUnit::Micros));
    let layers = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(sanitize_request_id))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(proxies, client_address))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(axum::middleware::from_fn(finish))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response_with(|_| {})
        }))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    app.layer(layers)
}

/// A path that matched no API route, as the log shows it: an invitation
/// link's token is left out, so the log holds no usable link.
fn logged_path(path: &str) -> String {
    if path.starts_with("/invite/") { "/invite/{token}".to_string() } else { path.to_owned() }
}

fn is_api(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/platform-admin")
        || path == "/healthz"
        || path == "/metrics"
}

/// Makes every error answer a problem+json with the request id, and marks
/// API answers `no-store` (they carry private data and have ETags for reuse).
async fn finish(req: Request, next: Next) -> Response {
    let request_id = request_id(req.headers()).map(str::to_owned);
    let api = is_api(req.uri().path());
    let mut response = next.run(req).await;

    let problem = match response.extensions_mut().remove::<Problem>() {
        Some(p) => Some(p),
        None if response.status().is_client_error() || response.status().is_server_error() => {
            let is_problem =
                response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
            (!is_problem).then(|| Problem::for_status(response.status()))
        }
        None => None,
    };
    if let Some(mut problem) = problem {
        problem.request_id = request_id;
        let (mut parts, _) = response.into_parts();
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        parts.headers.remove(header::CONTENT_LENGTH);
        response = Response::from_parts(parts, Body::from(serde_json::to_vec(&problem).unwrap_or_default()));
    }
    if api {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_token_never_reaches_the_log() {
        assert_eq!(logged_path("/invite/Zm9vYmFyYmF6"), "/invite/{token}");
        assert_eq!(logged_path("/manager/tickets/7"), "/manager/tickets/7");
    }
}
