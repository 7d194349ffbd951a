//! Property tests of the parsers that face input: whatever comes in, they
//! answer (never panic), and what they accept has the promised shape.

use proptest::prelude::*;
use ticketing::{
    config::Config,
    domain::{Body, Cursor, Email, Order, PageRequest, SearchWords, Status, Subject, Timestamp, normalise},
    store::sqlite,
};

fn config() -> ProptestConfig {
    // Bounded, so CI stays quick; PROPTEST_CASES raises it for a longer hunt.
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_cursor_text_decodes_or_is_refused_and_real_cursors_round_trip(raw in ".{0,200}", at in any::<i64>(), id in any::<i64>(), oldest in any::<bool>()) {
        let _ = Cursor::decode(&raw);
        let c = Cursor { at, id, order: if oldest { Order::Oldest } else { Order::Newest } };
        prop_assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        let _ = PageRequest::parse(Some(&raw), Some(&raw));
    }

    #[test]
    fn accepted_text_is_trimmed_bounded_and_stable(raw in "\\PC{0,300}|[\\s\\u{200B}\\u{FEFF}a-z\\n\\t\\u{7}]{0,50}") {
        if let Ok(s) = Subject::parse(&raw) {
            prop_assert!(!s.as_str().is_empty());
            prop_assert_eq!(normalise(s.as_str()), s.as_str());
            prop_assert!(s.as_str().chars().count() <= Subject::MAX_CHARS);
            prop_assert!(!s.as_str().chars().any(char::is_control));
            prop_assert_eq!(Subject::parse(s.as_str()).unwrap(), s.clone());
        }
        if let Ok(b) = Body::parse("body", &raw) {
            prop_assert!(!b.as_str().is_empty());
            prop_assert_eq!(normalise(b.as_str()), b.as_str());
        }
        let _ = Email::parse(&raw);
        let _ = Status::parse(&raw);
        let _ = Timestamp::parse_rfc3339(&raw);
    }

    #[test]
    fn search_queries_are_only_quoted_prefix_words(raw in "\\PC{0,300}") {
        if let Some(q) = SearchWords::parse(&raw).map(|w| sqlite::fts_query(&w)) {
            for word in q.split(' ') {
                prop_assert!(word.starts_with('"') && word.ends_with("\"*"), "{}", word);
                let inner = &word[1..word.len() - 2];
                prop_assert!(!inner.is_empty() && inner.chars().all(char::is_alphanumeric), "{}", word);
            }
        }
    }

    #[test]
    fn any_config_text_parses_or_fails_with_one_line(raw in "\\PC{0,400}|\\[server\\]\\n[a-z_]{1,20} = [0-9\"a-z]{0,10}") {
        match Config::from_toml(&raw, std::path::Path::new("fuzz.toml")) {
            Ok(cfg) => { let _ = cfg.validate(); }
            Err(e) => prop_assert!(!e.to_string().contains('\n'), "{}", e),
        }
    }
}

/// The FTS query built from any input is valid FTS5 syntax in a real database.
#[test]
fn built_search_queries_never_break_sqlite() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    sqlite::migrate(&mut conn).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&"\\PC{0,100}", |raw| {
            if let Some(q) = SearchWords::parse(&raw).map(|w| sqlite::fts_query(&w)) {
                let result: rusqlite::Result<i64> = conn.query_row(
                    "SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?1",
                    [q.as_str()],
                    |r| r.get(0),
                );
                prop_assert!(result.is_ok(), "{} -> {:?}", q, result);
            }
            Ok(())
        })
        .unwrap();
}
