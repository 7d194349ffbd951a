//! Authentication: password hashing (argon2id) and login tokens (JWT).

pub mod invitation;
pub mod password;
pub mod token;

pub use password::{Busy, Hasher};
pub use token::{Claims, TokenKeys};

/// Fills `buf` with bytes from the operating system's secure source.
pub fn random_bytes(buf: &mut [u8]) -> anyhow::Result<()> {
    getrandom::fill(buf).map_err(|e| anyhow::anyhow!("no secure randomness available: {e}"))
}

/// A strong generated password: 20 characters from an unambiguous alphabet
/// (about 115 bits).
pub fn generate_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    random_bytes(&mut bytes)?;
    // 256 is not a multiple of the alphabet's size; rejection sampling would
    // remove the slight bias, which does not matter at this length.
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}
