//! Text input: trimmed of Unicode white space (zero-width characters too),
//! refused as empty when nothing visible is left, bounded in length, free of
//! the bidi controls that make text display as something else, and free of
//! control characters where a single line is expected.

use icu_properties::{
    CodePointMapData, CodePointSetData,
    props::{DefaultIgnorableCodePoint, GeneralCategory, WhiteSpace},
};
use serde::Serialize;

/// One field's problem, as the API reports it under `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.to_string(), code, message: message.into() }
    }

    /// A field the client must send and did not.
    pub fn required(field: &str) -> Self {
        Self::new(field, "required", "is required")
    }

    /// Parses a field the client must send; without it, "required".
    pub fn parse_required<T>(
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Result<T, FieldError> {
        raw.map_or_else(|| Err(Self::required(field)), parse)
    }

    /// The same error reported under another field name.
    pub fn for_field(mut self, field: &str) -> Self {
        self.field = field.to_string();
        self
    }
}

/// Collects the problems of several fields while each is parsed, so that an
/// answer lists them all rather than the first.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// The parsed value, or `None` with its problem kept.
    pub fn take<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e)).ok()
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    /// Every problem kept so far.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `value` when no field had a problem, else every problem.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}')
}

/// Trims white space, Unicode's and the zero-width characters, at both ends.
/// (Other invisible characters stay: a trailing variation selector belongs
/// to the emoji before it.)
pub fn normalise(raw: &str) -> &str {
    raw.trim_matches(is_blank)
}

/// Whether a character shows nothing: white space, every
/// Default_Ignorable_Code_Point (zero-width spaces and joiners, bidi marks,
/// soft hyphens, Hangul fillers, variation selectors), every format character
/// (general category Cf), and the braille blank U+2800 (a symbol that draws
/// as an empty cell, in neither set).
pub fn is_invisible(c: char) -> bool {
    CodePointSetData::new::<WhiteSpace>().contains(c)
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        || CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
        || c == '\u{2800}'
}

/// The bidi embedding, override and isolate controls (U+202A..U+202E,
/// U+2066..U+2069): they let text display in another order than it reads, so
/// a message could show as something else. The marks (LRM, RLM, ALM) are
/// harmless and stay allowed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn bounded(field: &str, raw: &str, max_chars: usize, single_line: bool) -> Result<String, FieldError> {
    let text = normalise(raw);
    if text.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain bidi embedding, override or isolate controls (U+202A-U+202E, U+2066-U+2069)",
        ));
    }
    if text.chars().all(is_invisible) {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(field, "too_long", format!("must be at most {max_chars} characters")));
    }
    let bad_control = |c: char| c.is_control() && (single_line || (c != '\n' && c != '\t' && c != '\r'));
    if text.chars().any(bad_control) {
        return Err(FieldError::new(field, "invalid_characters", "must not contain control characters"));
    }
    Ok(text.to_string())
}

/// The OpenAPI schema of a text type: a string of 1 to `MAX_CHARS`.
macro_rules! text_schema {
    ($ty:ident, $max:expr, $description:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                super::page::text_schema(1, $max, $description)
            }
        }

        impl utoipa::ToSchema for $ty {}
    };
}

/// A ticket subject or sub-subject (a topic such as `website` or `contact`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        bounded("subject", raw, Self::MAX_CHARS, true).map(Subject)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

text_schema!(Subject, Subject::MAX_CHARS, "A subject of the catalogue (GET /api/support/subjects)");

/// A message body or ticket description: several lines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded(field, raw, Self::MAX_CHARS, false).map(Body)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_schema!(Body, Body::MAX_CHARS, "Text; several lines allowed");

/// A person's or company's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        bounded("name", raw, Self::MAX_CHARS, true).map(Name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_schema!(Name, Name::MAX_CHARS, "A display name");

/// An email address, as a login name: trimmed and compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

text_schema!(Email, Email::MAX_CHARS, "An email address");

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let text = bounded("email", raw, Self::MAX_CHARS, true)?;
        let valid = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !text.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            return Err(FieldError::new("email", "invalid_email", "must be an email address"));
        }
        Ok(Email(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as given: never trimmed, never logged.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    /// A password someone chose for their account (`email`'s): 12 to 1,024
    /// characters, not the email (or its part before the `@`), and not one
    /// that zxcvbn (its lists of common passwords and words ship in the
    /// binary) guesses in under a million tries: a common password with
    /// digits added, a repeat, a sequence, a row of keys.
    pub fn new_secret(raw: &str, email: &str) -> Result<Self, FieldError> {
        let field = "password";
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("must be at least {} characters (a few words make a good one)", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(field, "too_long", format!("must be at most {} characters", Self::MAX_CHARS)));
        }
        let folded = raw.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if folded == email || (!local.is_empty() && folded == local) {
            return Err(FieldError::new(field, "is_email", "must not be your email address"));
        }
        if let Some(why) = common(raw, &email) {
            return Err(FieldError::new(field, "too_common", why));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password is too easy to guess, when it is one common password or
/// one simple pattern from end to end.
fn common(raw: &str, email: &str) -> Option<&'static str> {
    use zxcvbn::{Score, feedback::Warning};
    let estimate = zxcvbn::zxcvbn(raw, &[email]);
    // Below 10^6 guesses: a common password, perhaps with digits added, or a
    // pattern; anything stronger is the person's choice.
    if estimate.score() > Score::One {
        return None;
    }
    Some(match estimate.feedback().and_then(|f| f.warning()) {
        Some(
            Warning::StraightRowsOfKeysAreEasyToGuess
            | Warning::ShortKeyboardPatternsAreEasyToGuess
            | Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess
            | Warning::SequencesLikeAbcAreEasyToGuess,
        ) => "is a simple pattern (a repeat, a sequence or a row of keys); choose another",
        _ => "is one of the most common passwords (or close to one); choose another",
    })
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_trimmed_of_unicode_and_zero_width_space() {
        assert_eq!(Subject::parse("  website\u{200B}\u{00A0}").unwrap().as_str(), "website");
        assert_eq!(Subject::parse("\u{FEFF}\u{3000}").unwrap_err().code, "required");
        assert_eq!(Subject::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn control_characters_are_refused_in_subjects_but_newlines_allowed_in_bodies() {
        assert_eq!(Subject::parse("web\nsite").unwrap_err().code, "invalid_characters");
        assert_eq!(Subject::parse("web\u{7}site").unwrap_err().code, "invalid_characters");
        assert_eq!(Body::parse("body", "line one\n\tline two").unwrap().as_str(), "line one\n\tline two");
        assert_eq!(Body::parse("body", "bell\u{7}").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn lengths_are_bounded_in_characters() {
        assert!(Subject::parse(&"é".repeat(100)).is_ok());
        assert_eq!(Subject::parse(&"é".repeat(101)).unwrap_err().code, "too_long");
        assert_eq!(Body::parse("body", &"x".repeat(20_001)).unwrap_err().code, "too_long");
    }

    #[test]
    fn emails_need_one_at_and_no_spaces() {
        assert!(Email::parse(" Ada@Example.com ").is_ok());
        for bad in ["ada", "@x", "a@", "a b@x", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_made_only_of_invisible_characters_is_empty() {
        for blank in [
            "\u{200E}\u{200F}",          // bidi marks
            "\u{00AD}\u{00AD}",          // soft hyphens
            "\u{3164}\u{115F}\u{1160}",  // Hangul fillers
            "\u{2800}\u{2800}",          // braille blanks
            "\u{FE0F}\u{FE00}\u{E0100}", // variation selectors
            "\u{2061}\u{2064}",          // invisible operators (format characters)
            "\u{034F}",                  // combining grapheme joiner
        ] {
            assert_eq!(Body::parse("body", blank).unwrap_err().code, "required", "{blank:?}");
            assert_eq!(Subject::parse(blank).unwrap_err().code, "required", "{blank:?}");
        }
        assert!(Body::parse("body", "ok\u{00AD}").is_ok(), "visible text with an invisible character is fine");
        assert_eq!(
            Body::parse("body", "\u{2764}\u{FE0F}").unwrap().as_str(),
            "\u{2764}\u{FE0F}",
            "emoji keep their selector"
        );
    }

    #[test]
    fn bidi_embedding_override_and_isolate_controls_are_refused_everywhere() {
        for c in
            ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            let text = format!("invoice{c}fdp.exe");
            assert_eq!(Body::parse("body", &text).unwrap_err().code, "invalid_characters", "{c:?}");
            assert_eq!(Subject::parse(&text).unwrap_err().code, "invalid_characters", "{c:?}");
            assert_eq!(Name::parse(&text).unwrap_err().code, "invalid_characters", "{c:?}");
            assert!(Email::parse(&format!("a{c}@x.test")).is_err(), "{c:?}");
        }
        assert!(Body::parse("body", "\u{200F}שלום").is_ok(), "a right-to-left mark is allowed");
    }

    #[test]
    fn passwords_are_never_printed() {
        let p = Password::new_secret("correct horse battery", "ada@acme.test").unwrap();
        assert_eq!(format!("{p:?}"), "Password(..)");
    }

    #[test]
    fn a_password_is_long_enough_not_the_email_and_not_common() {
        let email = "ada.baker@acme.test";
        let code = |raw: &str| Password::new_secret(raw, email).err().map(|e| e.code);
        assert_eq!(code("short pass"), Some("too_short"));
        assert_eq!(code(&"x1".repeat(513)), Some("too_long"));
        assert_eq!(code("ADA.BAKER@acme.test"), Some("is_email"));
        assert_eq!(code("ada.baker@acme.test "), Some("is_email"));
        for common in
            ["123456789012", "qwertyuiopasdfgh", "aaaaaaaaaaaaaaa", "abcdefghijklmn", "password1234", "iloveyou1234"]
        {
            assert_eq!(code(common), Some("too_common"), "{common}");
        }
        for fine in ["correct horse battery", "demo-password", "Tr4in-station-umbrella", "ünïcødé pässwörd"] {
            assert_eq!(code(fine), None, "{fine}");
        }
        let why = Password::new_secret("123456789012", email).unwrap_err().message;
        assert!(why.contains("choose another"), "{why}");
    }
}
