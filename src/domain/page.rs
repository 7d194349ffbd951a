//! Keyset pagination: a page request (limit and an opaque cursor) and a page
//! of results with the cursor of the next one. Never OFFSET.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;

use super::FieldError;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;

/// Which way a list runs: newest activity first (the default), or oldest
/// first (the longest-waiting tickets, what a support queue works from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Newest,
    Oldest,
}

impl Order {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "newest" => Ok(Order::Newest),
            "oldest" => Ok(Order::Oldest),
            _ => Err(FieldError::new("order", "invalid_order", "must be newest or oldest")),
        }
    }

    /// The cursor text's tag: a cursor names the order it was made in.
    fn tag(self) -> &'static str {
        match self {
            Order::Newest => "v1",
            Order::Oldest => "o1",
        }
    }
}

/// The position after which the next page starts: the sort key
/// (`at`, microseconds) and the id that breaks ties, in its list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: i64,
    pub order: Order,
}

impl Cursor {
    /// The longest cursor text this server gives out (and accepts).
    pub const MAX_CHARS: usize = 128;

    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", self.order.tag(), self.at, self.id))
    }

    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "invalid_cursor", "is not a cursor this server gave out");
        if raw.len() > Self::MAX_CHARS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split(':');
        let (Some(tag), Some(at), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let order = [Order::Newest, Order::Oldest].into_iter().find(|o| o.tag() == tag).ok_or_else(invalid)?;
        let at = at.parse().map_err(|_| invalid())?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Cursor { at, id, order })
    }
}

/// A page's size, its order and where it starts (`?limit=`, `?order=`,
/// `?cursor=`).
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    pub order: Order,
    pub after: Option<Cursor>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_LIMIT)
    }
}

impl PageRequest {
    /// The first page of this size, newest first.
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, order: Order::Newest, after: None }
    }

    /// The key of the row after which the next page starts.
    pub fn cursor_at(&self, at: i64, id: i64) -> Cursor {
        Cursor { at, id, order: self.order }
    }

    /// Parses `?limit=` and `?cursor=` of a newest-first list.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, Vec<FieldError>> {
        Self::parse_ordered(limit, cursor, None)
    }

    /// Parses `?limit=`, `?cursor=` and `?order=`; a cursor made in one
    /// order is refused in the other.
    pub fn parse_ordered(
        limit: Option<&str>,
        cursor: Option<&str>,
        order: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit.map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        "out_of_range",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let order = match order.map(Order::parse).transpose() {
            Ok(order) => order.unwrap_or_default(),
            Err(e) => {
                errors.push(e);
                Order::Newest
            }
        };
        let after = match cursor.map(str::trim) {
            None | Some("") => None,
            Some(raw) => match Cursor::decode(raw) {
                Ok(c) if c.order == order => Some(c),
                Ok(_) => {
                    errors.push(FieldError::new("cursor", "invalid_cursor", "belongs to a list in the other order"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        if errors.is_empty() { Ok(Self { limit, order, after }) } else { Err(errors) }
    }
}

/// One page of a list, newest first, and the cursor of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }

    /// Builds a page from up to `limit + 1` rows: the extra row, when there,
    /// only says that another page follows. `key` is a row's sort key and id.
    pub fn from_rows(mut rows: Vec<T>, page: &PageRequest, key: impl Fn(&T) -> (i64, i64)) -> Self {
        let more = rows.len() > page.limit as usize;
        rows.truncate(page.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| {
                let (at, id) = key(r);
                page.cursor_at(at, id).encode()
            })
        } else {
            None
        };
        Page { items: rows, next_cursor }
    }
}

/// A string schema with these lengths, for the OpenAPI document.
pub(crate) fn text_schema(
    min: usize,
    max: usize,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .description(Some(description))
        .into()
}

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_schema(1, Cursor::MAX_CHARS, "`next_cursor` of the previous page")
    }
}

impl utoipa::ToSchema for Cursor {}

impl utoipa::PartialSchema for PageRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
            .description(Some(format!("Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})")))
            .into()
    }
}

impl utoipa::ToSchema for PageRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor { at: 1_764_000_000_123_456, id: 42, order: Order::Newest };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        let oldest = Cursor { order: Order::Oldest, ..c };
        assert_eq!(Cursor::decode(&oldest.encode()).unwrap(), oldest);
        for bad in ["", "abc", "djE6MQ", "djI6MToy", "!!!!", &"A".repeat(200)] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_from_one_order_is_refused_in_the_other() {
        let newest = Cursor { at: 5, id: 9, order: Order::Newest }.encode();
        let oldest = Cursor { at: 5, id: 9, order: Order::Oldest }.encode();
        assert!(PageRequest::parse_ordered(None, Some(&newest), None).is_ok());
        assert!(PageRequest::parse_ordered(None, Some(&oldest), Some("oldest")).is_ok());
        let refused = PageRequest::parse_ordered(None, Some(&newest), Some("oldest")).unwrap_err();
        assert_eq!(refused[0].field, "cursor");
        assert!(PageRequest::parse_ordered(None, Some(&oldest), None).is_err());
        assert_eq!(PageRequest::parse_ordered(None, None, Some("sideways")).unwrap_err()[0].field, "order");
    }

    #[test]
    fn limits_outside_1_to_100_are_refused() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 25);
        assert_eq!(PageRequest::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_page_built_from_limit_plus_one_rows_has_a_next_cursor() {
        let key = |&(at, id): &(i64, i64)| (at, id);
        let request = PageRequest::first(2);
        let page = Page::from_rows(vec![(3, 3), (2, 2), (1, 1)], &request, key);
        assert_eq!(page.items.len(), 2);
        assert_eq!(
            Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap(),
            Cursor { at: 2, id: 2, order: Order::Newest }
        );
        let last = Page::from_rows(vec![(1, 1)], &request, key);
        assert!(last.next_cursor.is_none());
    }
}
