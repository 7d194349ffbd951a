//! Timestamps: stored as microseconds since the Unix epoch (UTC), shown as
//! RFC 3339.

use serde::{Serialize, Serializer};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Timestamp((now.unix_timestamp_nanos() / 1000) as i64)
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time, any offset; `None` when it is not one.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(raw.trim(), &Rfc3339).ok()?;
        Some(Timestamp((dt.unix_timestamp_nanos() / 1000) as i64))
    }

    pub fn to_rfc3339(self) -> String {
        self.instant().and_then(|dt| dt.format(&Rfc3339).ok()).unwrap_or_default()
    }

    /// The instant as a date-time; `None` past what `time` can hold.
    fn instant(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1000).ok()
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .description(Some("An instant in UTC, RFC 3339"))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

impl Serialize for Timestamp {
    /// The same text as [`Timestamp::to_rfc3339`], formatted on the stack:
    /// a list page holds hundreds of timestamps.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const CAPACITY: usize = 64;
        let mut buf = [0u8; CAPACITY];
        let mut rest = &mut buf[..];
        let formatted = self.instant().is_some_and(|dt| dt.format_into(&mut rest, &Rfc3339).is_ok());
        // What the formatter wrote is what it took off the front of `rest`.
        let written = if formatted { CAPACITY - rest.len() } else { 0 };
        s.serialize_str(std::str::from_utf8(&buf[..written]).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_in_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-26T15:09:29.123456+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-26T13:09:29.123456Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
        assert!(Timestamp::parse_rfc3339("2026-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn json_holds_the_same_text_as_to_rfc3339() {
        for micros in [0, 1, 1_500_000, 1_796_000_000_123_456, 253_402_300_799_999_999, i64::MAX, i64::MIN, -1] {
            let t = Timestamp(micros);
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::Value::String(t.to_rfc3339()), "{micros}");
        }
    }
}
