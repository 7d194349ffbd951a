//! One-click unsubscribe links: "this person, this kind of email", signed
//! with a key derived from the token secret, so a link cannot be forged or
//! edited into someone else's.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::AccountKind;

type HmacSha256 = Hmac<Sha256>;

/// What an unsubscribe link stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub kind: AccountKind,
    pub id: i64,
    /// The kind of email (`agent_reply`, ...).
    pub what: String,
}

/// Signs and checks unsubscribe tokens.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

/// The longest token a link carries; anything longer is refused unread.
const MAX_TOKEN: usize = 200;

impl Signer {
    /// A signer whose key is derived from `secret` for this one purpose.
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_key());
        mac.update(b"ticketing unsubscribe links v1");
        Signer { key: mac.finalize().into_bytes().to_vec() }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable_key())
    }

    /// `<payload>.<signature>`, both URL-safe.
    pub fn sign(&self, link: &Unsubscribe) -> String {
        let payload = format!("{}.{}.{}", link.kind.as_str(), link.id, link.what);
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(&signature[..16]))
    }

    /// What a token stands for, if it was signed here and not edited.
    pub fn verify(&self, token: &str) -> Option<Unsubscribe> {
        if token.len() > MAX_TOKEN {
            return None;
        }
        let (payload, signature) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_truncated_left(&signature).ok()?;
        if signature.len() != 16 {
            return None;
        }
        let text = String::from_utf8(payload).ok()?;
        let mut parts = text.splitn(3, '.');
        let kind = match parts.next()? {
            "user" => AccountKind::User,
            "admin" => AccountKind::Admin,
            _ => return None,
        };
        let id = parts.next()?.parse().ok()?;
        Some(Unsubscribe { kind, id, what: parts.next()?.to_string() })
    }
}

/// HMAC takes keys of any length; this cannot happen.
fn unreachable_key() -> HmacSha256 {
    panic!("HMAC-SHA256 accepts keys of every length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_checks_out_and_an_edited_or_foreign_one_does_not() {
        let signer = Signer::new(b"a secret of at least thirty-two bytes!!");
        let link = Unsubscribe { kind: AccountKind::User, id: 7, what: "agent_reply".into() };
        let token = signer.sign(&link);
        assert_eq!(signer.verify(&token), Some(link));
        let (payload, signature) = token.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode("user.8.agent_reply");
        assert_eq!(signer.verify(&format!("{other}.{signature}")), None, "someone else's id");
        assert_eq!(signer.verify(&format!("{payload}.{}", URL_SAFE_NO_PAD.encode([0u8; 16]))), None);
        assert_eq!(signer.verify(&format!("{payload}.")), None, "no signature");
        assert_eq!(signer.verify(&format!("{payload}.{}", &signature[..4])), None, "a short signature");
        assert_eq!(Signer::new(b"another secret of thirty-two bytes!!").verify(&token), None);
        assert_eq!(signer.verify("not a token"), None);
    }
}
