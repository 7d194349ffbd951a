//! Ticket coverage: the subjects a platform support agent answers for.

use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::{
    DbError, DbResult, accounts,
    audit::{self, Actor, AuditMeta},
};
use crate::domain::{AdminRole, Subject, Timestamp};

/// An agent's subjects, sorted. `NotFound` when there is no such admin.
pub fn get(conn: &Connection, admin_id: i64) -> DbResult<Vec<String>> {
    if accounts::admin_by_id(conn, admin_id)?.is_none() {
        return Err(DbError::NotFound);
    }
    subjects_of(conn, admin_id)
}

fn subjects_of(conn: &Connection, admin_id: i64) -> DbResult<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT subject FROM ticket_coverage WHERE platform_admin_id = ?1 ORDER BY subject")?;
    let rows = stmt.query_map([admin_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces an agent's whole subject set; the audit row records before and
/// after. The same set again writes nothing.
pub fn replace(
    conn: &Connection,
    actor_admin_id: i64,
    admin_id: i64,
    subjects: &[Subject],
    meta: &AuditMeta,
) -> DbResult<Vec<String>> {
    let before = get(conn, admin_id)?;
    let mut after: Vec<String> = subjects.iter().map(|s| s.as_str().to_string()).collect();
    after.sort();
    after.dedup();
    if before == after {
        return Ok(after);
    }
    conn.prepare_cached("DELETE FROM ticket_coverage WHERE platform_admin_id = ?1")?.execute([admin_id])?;
    let now = Timestamp::now().micros();
    let mut insert =
        conn.prepare_cached("INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) VALUES (?1, ?2, ?3)")?;
    for subject in &after {
        insert.execute((admin_id, subject, now))?;
    }
    audit::append(
        conn,
        &audit::Entry::new("team.coverage.update", Actor::Admin(actor_admin_id))
            .detail(json!({"admin_id": admin_id, "before": before, "after": after})),
        meta,
    )?;
    Ok(after)
}

/// A member of the platform team as the team page shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamMember {
    pub id: i64,
    pub name: String,
    /// Left out for support agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: AdminRole,
    /// Left out for support agents (who see active members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Left out where the caller may not read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<String>>,
}

/// The platform team with each member's coverage.
pub fn team(conn: &Connection) -> DbResult<Vec<TeamMember>> {
    accounts::list_admins(conn)?
        .into_iter()
        .map(|a| {
            Ok(TeamMember {
                coverage: Some(subjects_of(conn, a.id)?),
                id: a.id,
                name: a.name,
                email: Some(a.email),
                role: a.role,
                active: Some(a.active),
            })
        })
        .collect()
}
