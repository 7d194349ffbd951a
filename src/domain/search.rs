//! Turning a user's search words into an FTS5 query that cannot be a syntax
//! error: each word is quoted and made a prefix, and all must match.

/// Returns `None` when the text holds no searchable word.
pub fn fts_query(raw: &str) -> Option<String> {
    let words: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.chars().take(64).collect::<String>()))
        .collect();
    if words.is_empty() { None } else { Some(words.join(" ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefixes_and_syntax_is_neutralised() {
        assert_eq!(fts_query("conta form").unwrap(), "\"conta\"* \"form\"*");
        assert_eq!(fts_query("\"a\" OR (b* NEAR c)").unwrap(), "\"a\"* \"OR\"* \"b\"* \"NEAR\"* \"c\"*");
        assert_eq!(fts_query(" --- ** "), None);
        assert_eq!(fts_query("café").unwrap(), "\"café\"*");
    }
}
