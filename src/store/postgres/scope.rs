//! The visibility rule's two promises as PostgreSQL SQL: which tickets a
//! [`Scope`] sees (over the ticket alias `t`), and which messages an
//! [`Audience`] sees (tenants never an internal note). Every query that
//! reads tickets, threads or the search table takes its condition from here.

use super::query::{Param, p};
use crate::access::{Audience, Scope};

/// The second promise as a condition over a row's `internal` flag.
pub(super) fn sees(audience: Audience, internal: &str) -> String {
    match audience {
        Audience::Staff => "TRUE".to_string(),
        Audience::Tenant => format!("NOT {internal}"),
    }
}

/// The rule as a condition over `tickets t`, with its `?` parameters.
pub(super) fn predicate(scope: &Scope) -> (&'static str, Vec<Param>) {
    match *scope {
        Scope::Company(company) => ("t.company_id = ?", vec![p(company)]),
        Scope::All => ("TRUE", vec![]),
        Scope::Support(admin) => (
            "t.assigned_admin_id = ? OR t.subject IN \
             (SELECT cov.subject FROM ticket_coverage cov WHERE cov.platform_admin_id = ?)",
            vec![p(admin), p(admin)],
        ),
    }
}
