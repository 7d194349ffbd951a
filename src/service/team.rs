//! The platform team: who is on it, what each support agent covers, and the
//! companies as the team's filters need them.

use serde_json::json;

use crate::{
    access::{TeamView, may_read_coverage, team_view},
    domain::{Actor, AdminId, AdminRole, AuditAction, AuditEntry, AuditMeta, Subject},
    store::{Store, StoreError, StoreResult, TeamMemberRecord, Tx},
};

/// The team as one member sees it.
#[derive(Debug)]
pub struct Team {
    pub view: TeamView,
    pub members: Vec<TeamMemberRecord>,
}

impl Store {
    /// The team as `viewer` may see it: owners and admins see everyone with
    /// coverage; a support agent sees the active members, and their own
    /// coverage only.
    pub async fn team(&self, viewer: AdminId, role: AdminRole) -> StoreResult<Team> {
        self.read((viewer, role), |tx, (viewer, role)| Box::pin(team(tx, *viewer, *role))).await
    }

    /// `of`'s subjects, if `viewer` may read them.
    pub async fn coverage(&self, viewer: AdminId, role: AdminRole, of: AdminId) -> StoreResult<Vec<String>> {
        if !may_read_coverage(viewer, role, of) {
            return Err(StoreError::forbidden("forbidden_role", "support agents may read only their own coverage"));
        }
        self.read(of, |tx, of| Box::pin(coverage(tx, *of))).await
    }

    /// Replaces `of`'s whole subject set; the same set again writes nothing.
    pub async fn replace_coverage(
        &self,
        actor: AdminId,
        of: AdminId,
        subjects: Vec<Subject>,
        meta: AuditMeta,
    ) -> StoreResult<Vec<String>> {
        self.write((actor, of, subjects, meta), |tx, (actor, of, subjects, meta)| {
            Box::pin(replace_coverage(tx, *actor, *of, subjects, meta))
        })
        .await
    }
}

async fn team(tx: &mut dyn Tx, viewer: AdminId, role: AdminRole) -> StoreResult<Team> {
    let view = team_view(role);
    let open = match view {
        TeamView::Full => tx.open_tickets_by_assignee().await?,
        TeamView::NamesAndRoles => Vec::new(),
    };
    let mut members = Vec::new();
    for admin in tx.admins().await? {
        if view == TeamView::NamesAndRoles && !admin.account.active {
            continue;
        }
        let coverage = match may_read_coverage(viewer, role, admin.account.id) {
            true => Some(tx.coverage(admin.account.id).await?),
            false => None,
        };
        let open_tickets = (view == TeamView::Full)
            .then(|| open.iter().find(|(id, _)| *id == admin.account.id).map_or(0, |(_, n)| *n));
        members.push(TeamMemberRecord { admin, coverage, open_tickets });
    }
    Ok(Team { view, members })
}

async fn coverage(tx: &mut dyn Tx, of: AdminId) -> StoreResult<Vec<String>> {
    if tx.admin(of).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    tx.coverage(of).await
}

async fn replace_coverage(
    tx: &mut dyn Tx,
    actor: AdminId,
    of: AdminId,
    subjects: &[Subject],
    meta: &AuditMeta,
) -> StoreResult<Vec<String>> {
    if tx.admin_for_change(of).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let before = tx.coverage(of).await?;
    let mut after: Vec<String> = subjects.iter().map(|s| s.as_str().to_string()).collect();
    after.sort();
    after.dedup();
    if before == after {
        return Ok(after);
    }
    let now = tx.now().await?;
    tx.replace_coverage(of, &after, now).await?;
    let entry = AuditEntry::new(AuditAction::TeamCoverageUpdate, Actor::Admin(actor))
        .detail(json!({"admin_id": of, "before": before, "after": after}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(after)
}
