//! The API test suite: one binary, one module per feature, all driving the
//! real router over a real database: a SQLite file, or PostgreSQL when
//! `TICKETING_TEST_DATABASE_URL` is set (see `support`).
#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap has failed; the panic says where")]

mod access_matrix;
mod accounts;
mod auth;
mod cli;
mod daily;
mod desk;
mod errors;
mod fuzz;
mod hardening;
mod limits;
mod mail;
mod ops;
mod postgres;
mod query_plans;
mod races;
mod support;
mod tickets;
mod ui;
