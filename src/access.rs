//! THE visibility rule: who may see which ticket. It exists once, as a SQL
//! predicate over `tickets t` that every read path (lists, detail, search,
//! polling, the writes that load a ticket first) includes, and once as its
//! Rust twin, which the tests hold against the SQL.
//!
//! - a tenant manager sees the tickets of the company named by the request;
//! - a platform owner or admin sees every ticket;
//! - a platform support agent sees a ticket when its subject is in the agent's
//!   coverage or the ticket is assigned to the agent.

use rusqlite::types::Value;

/// The set of tickets a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A manager acting for this company.
    Company(i64),
    /// A platform owner or admin.
    All,
    /// A platform support agent, by admin id.
    Support(i64),
}

/// The facts about one ticket that the rule looks at.
#[derive(Debug, Clone)]
pub struct TicketFacts<'a> {
    pub company_id: i64,
    pub subject: &'a str,
    pub assigned_admin_id: Option<i64>,
}

impl Scope {
    /// The rule as a SQL condition over the ticket alias `t`, with its
    /// positional parameters.
    pub fn predicate(&self) -> (&'static str, Vec<Value>) {
        match *self {
            Scope::Company(company) => ("t.company_id = ?", vec![Value::Integer(company)]),
            Scope::All => ("1", vec![]),
            // The unary `+` keeps SQLite from answering the OR with two index
            // lookups whose union must then be sorted: the list walks the
            // last-activity index in order and stops after one page instead.
            Scope::Support(admin) => (
                "+t.assigned_admin_id = ? OR +t.subject IN \
                 (SELECT cov.subject FROM ticket_coverage cov WHERE cov.platform_admin_id = ?)",
                vec![Value::Integer(admin), Value::Integer(admin)],
            ),
        }
    }

    /// The same rule in Rust, given the agent's coverage.
    pub fn allows(&self, ticket: &TicketFacts<'_>, coverage: &[String]) -> bool {
        match *self {
            Scope::Company(company) => ticket.company_id == company,
            Scope::All => true,
            Scope::Support(admin) => {
                ticket.assigned_admin_id == Some(admin) || coverage.iter().any(|s| s == ticket.subject)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{migrate, query::Sql};
    use rusqlite::Connection;

    /// Every (scope, ticket) pair: the SQL and the Rust rule agree.
    #[test]
    fn the_sql_predicate_and_the_rust_rule_agree() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate::run(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO companies(id, name, created_at) VALUES (1, 'A', 0), (2, 'B', 0);
             INSERT INTO users(id, email, name, password_hash, created_at, updated_at) VALUES (1, 'u@x', 'U', 'h', 0, 0);
             INSERT INTO platform_admins(id, email, name, role, password_hash, created_at, updated_at) VALUES
               (1, 's1@x', 'S1', 'platform_support', 'h', 0, 0), (2, 's2@x', 'S2', 'platform_support', 'h', 0, 0);
             INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) VALUES (1, 'website', 0), (1, 'email', 0);",
        )
        .unwrap();
        let tickets = [
            (1, "website", None),
            (2, "website", Some(2)),
            (1, "billing", Some(1)),
            (2, "billing", None),
            (2, "email", Some(2)),
        ];
        for (i, (company, subject, assignee)) in tickets.iter().enumerate() {
            conn.execute(
                "INSERT INTO tickets(id, company_id, created_by_user_id, subject, assigned_admin_id, last_activity_at, created_at, updated_at)
                 VALUES (?1, ?2, 1, ?3, ?4, 0, 0, 0)",
                (i as i64 + 1, company, subject, assignee),
            )
            .unwrap();
        }
        let coverage_of = |admin: i64| -> Vec<String> {
            let mut s = conn.prepare("SELECT subject FROM ticket_coverage WHERE platform_admin_id = ?1").unwrap();
            s.query_map([admin], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        for scope in
            [Scope::Company(1), Scope::Company(2), Scope::Company(3), Scope::All, Scope::Support(1), Scope::Support(2)]
        {
            let (cond, params) = scope.predicate();
            let mut sql = Sql::new("SELECT t.id FROM tickets t WHERE 1");
            sql.and(cond, params);
            sql.push(" ORDER BY t.id", []);
            let from_sql: Vec<i64> = sql.query(&conn, |r| r.get(0)).unwrap();
            let coverage = match scope {
                Scope::Support(a) => coverage_of(a),
                _ => vec![],
            };
            let from_rust: Vec<i64> = tickets
                .iter()
                .enumerate()
                .filter(|(_, (c, s, a))| {
                    scope.allows(&TicketFacts { company_id: *c, subject: s, assigned_admin_id: *a }, &coverage)
                })
                .map(|(i, _)| i as i64 + 1)
                .collect();
            assert_eq!(from_sql, from_rust, "{scope:?}");
        }
    }
}
