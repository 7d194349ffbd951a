//! The use cases and their rules, written once over the storage primitives
//! ([`crate::store::Tx`]). Each file adds its use cases to
//! [`crate::store::Store`] as async methods, one transaction each; the rules
//! beside them are plain async functions over `&mut dyn Tx`, so every
//! storage backend runs the very same rules.

pub mod accounts;
mod audit;
pub mod notify;
pub mod team;
pub mod tickets;
