//! ETags and `If-None-Match`: a list's tag is a hash of the page it answers
//! with; a ticket's tag is its version (last change and newest message), so
//! a poll that changed nothing is answered 304 without loading the thread.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{
    domain::{MessageId, TicketId, Timestamp},
    http::error::ApiError,
    service::tickets::KnownVersions,
    store::TicketVersion,
};

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// The entity tags an `If-None-Match` value names (weak or strong), and
/// whether it is `*`.
fn named_tags(headers: &HeaderMap) -> (bool, Vec<&str>) {
    let Some(value) = if_none_match(headers) else { return (false, Vec::new()) };
    let tags: Vec<&str> = value.split(',').map(str::trim).map(|t| t.trim_start_matches("W/")).collect();
    (tags.contains(&"*"), tags)
}

/// Whether the request's `If-None-Match` names `tag` (weak or strong) or is `*`.
fn client_holds(headers: &HeaderMap, tag: &str) -> bool {
    let (any, tags) = named_tags(headers);
    any || tags.contains(&tag)
}

/// Answers 304 when the client holds `tag`, else the body `make` builds.
fn respond(request_headers: &HeaderMap, tag: String, make: impl FnOnce() -> Vec<u8>) -> Response {
    let tag_value = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\""));
    if client_holds(request_headers, &tag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response();
    }
    (
        StatusCode::OK,
        [(header::ETAG, tag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        make(),
    )
        .into_response()
}

/// Answers JSON with a strong ETag of its bytes; `If-None-Match` with the
/// same tag gets 304 and no body.
pub fn json_with_etag(request_headers: &HeaderMap, value: &impl Serialize) -> Result<Response, ApiError> {
    // A list page is some kilobytes: start there rather than grow by doubling.
    let mut body = Vec::with_capacity(16 * 1024);
    serde_json::to_writer(&mut body, value).map_err(ApiError::internal)?;
    // XXH3: fast on a page of kilobytes, and the same on every server and
    // every start, so a poll to another server of the same database still
    // gets its 304.
    let tag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    Ok(respond(request_headers, tag, || body))
}

/// A ticket's tag: `"t<id>.<updated micros>.<newest message id>.<read mark>"`,
/// all as the viewer sees them (so marking it read changes the viewer's tag,
/// and nobody else's).
pub fn ticket_tag(id: TicketId, version: &TicketVersion) -> String {
    let message = |m: Option<MessageId>| m.map_or(0, MessageId::get);
    format!("\"t{id}.{}.{}.{}\"", version.updated.micros(), message(version.newest_message), message(version.read_mark))
}

/// The versions of ticket `id` that the request's `If-None-Match` names.
pub fn known_versions(headers: &HeaderMap, id: TicketId) -> KnownVersions {
    let (any, tags) = named_tags(headers);
    let prefix = format!("\"t{id}.");
    let versions = tags
        .iter()
        .filter_map(|t| t.strip_prefix(&prefix)?.strip_suffix('"'))
        .filter_map(|rest| {
            let mut parts = rest.split('.');
            let (Some(updated), Some(newest), Some(mark), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return None;
            };
            let message = |raw: &str| raw.parse::<i64>().ok().map(|id| (id != 0).then_some(MessageId(id)));
            Some(TicketVersion {
                updated: Timestamp(updated.parse().ok()?),
                newest_message: message(newest)?,
                read_mark: message(mark)?,
            })
        })
        .collect();
    KnownVersions { any, versions }
}

/// A ticket's answer: 304 when the client's copy is current, else the body.
pub fn ticket_response(
    request_headers: &HeaderMap,
    id: TicketId,
    version: &TicketVersion,
    body: Option<Vec<u8>>,
) -> Response {
    respond(request_headers, ticket_tag(id, version), || body.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_tag_round_trips_through_if_none_match() {
        let version = TicketVersion {
            updated: Timestamp(1_764_000_000_123_456),
            newest_message: Some(MessageId(42)),
            read_mark: None,
        };
        let tag = ticket_tag(TicketId(7), &version);
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("W/{tag}, \"other\"")).unwrap());
        let known = known_versions(&headers, TicketId(7));
        assert!(!known.any);
        assert_eq!(known.versions, [version]);
        assert!(known_versions(&headers, TicketId(8)).versions.is_empty(), "another ticket's tag is not this one's");
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(known_versions(&headers, TicketId(7)).any);
    }
}
