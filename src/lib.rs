//! ticketing: a multi-tenant support ticketing system in one binary and one
//! SQLite file. The binary's `main` only parses the command line; everything
//! lives in this library, which the tests link against.

pub mod access;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod files;
pub mod http;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod service;
pub mod store;
