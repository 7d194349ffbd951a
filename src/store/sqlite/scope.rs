//! The visibility rule's two promises as SQLite SQL: which tickets a
//! [`Scope`] sees (over the ticket alias `t`), and which messages an
//! [`Audience`] sees (tenants never an internal note). Every query that
//! reads tickets, threads or the search index takes its condition from here.

use rusqlite::types::Value;

use crate::access::{Audience, Scope};

/// The second promise as a condition over a row's internal flag (a message
/// or a search row): what [`Audience::sees`] says, in SQL.
pub(super) fn sees(audience: Audience, internal: &str) -> String {
    match audience {
        Audience::Staff => "1".to_string(),
        Audience::Tenant => format!("{internal} = 0"),
    }
}

/// The rule as a condition over `tickets t`, with its positional parameters.
pub(super) fn predicate(scope: &Scope) -> (&'static str, Vec<Value>) {
    match *scope {
        Scope::Company(company) => ("t.company_id = ?", vec![Value::Integer(company.get())]),
        Scope::All => ("1", vec![]),
        // The unary `+` keeps SQLite from answering the OR with two index
        // lookups whose union must then be sorted: the list walks the
        // last-activity index in order and stops after one page instead.
        Scope::Support(admin) => (
            "+t.assigned_admin_id = ? OR +t.subject IN \
             (SELECT cov.subject FROM ticket_coverage cov WHERE cov.platform_admin_id = ?)",
            vec![Value::Integer(admin.get()), Value::Integer(admin.get())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::{
        access::TicketFacts,
        domain::{AdminId, CompanyId},
        store::sqlite::{migrate, query::Sql},
    };

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
        for scope in [
            Scope::Company(CompanyId(1)),
            Scope::Company(CompanyId(2)),
            Scope::Company(CompanyId(3)),
            Scope::All,
            Scope::Support(AdminId(1)),
            Scope::Support(AdminId(2)),
        ] {
            let (cond, params) = predicate(&scope);
            let mut sql = Sql::new("SELECT t.id FROM tickets t WHERE 1");
            sql.and(cond, params);
            sql.push(" ORDER BY t.id", []);
            let from_sql: Vec<i64> = sql.query(&conn, |r| r.get(0)).unwrap();
            let coverage = match scope {
                Scope::Support(a) => coverage_of(a.get()),
                _ => vec![],
            };
            let from_rust: Vec<i64> = tickets
                .iter()
                .enumerate()
                .filter(|(_, (c, s, a))| {
                    let facts =
                        TicketFacts { company_id: CompanyId(*c), subject: s, assigned_admin_id: a.map(AdminId) };
                    scope.allows(&facts, &coverage)
                })
                .map(|(i, _)| i as i64 + 1)
                .collect();
            assert_eq!(from_sql, from_rust, "{scope:?}");
        }
    }

    /// For both audiences and both kinds of message, the SQL and the Rust
    /// rule agree.
    #[test]
    fn the_sql_message_condition_and_the_rust_rule_agree() {
        let conn = Connection::open_in_memory().unwrap();
        for audience in [Audience::Tenant, Audience::Staff] {
            for internal in [false, true] {
                let sql = format!("SELECT {} FROM (SELECT ?1 AS internal)", sees(audience, "internal"));
                let from_sql: bool = conn.query_row(&sql, [internal], |r| r.get(0)).unwrap();
                assert_eq!(from_sql, audience.sees(internal), "{audience:?} sees internal={internal}");
            }
        }
    }
}
