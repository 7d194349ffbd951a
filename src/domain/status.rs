//! The closed sets: ticket statuses, kinds of account, platform roles,
//! message senders.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FieldError;

/// A support ticket's status. Any other value is refused at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Triaged,
    InProgress,
    WaitingOnTenant,
    NeedsEngineering,
    Solved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Triaged,
        Status::InProgress,
        Status::WaitingOnTenant,
        Status::NeedsEngineering,
        Status::Solved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triaged => "triaged",
            Status::InProgress => "in_progress",
            Status::WaitingOnTenant => "waiting_on_tenant",
            Status::NeedsEngineering => "needs_engineering",
            Status::Solved => "solved",
            Status::Closed => "closed",
        }
    }

    /// Not solved or closed: still work for someone (what "open" counts and
    /// the `open` filter mean).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Solved | Status::Closed)
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| {
            FieldError::new(
                "status",
                "invalid_status",
                "must be one of new, triaged, in_progress, waiting_on_tenant, needs_engineering, solved, closed",
            )
        })
    }
}

/// The two kinds of account: tenant users (managers of companies) and
/// platform admins. Tokens, sign-in, the audit log's actors and the command
/// line all speak of this one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    User,
    Admin,
}

impl AccountKind {
    /// `user` or `admin`, as tokens, the audit log and the command line say it.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::User => "user",
            AccountKind::Admin => "admin",
        }
    }
}

/// A platform admin's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminRole {
    PlatformOwner,
    PlatformAdmin,
    PlatformSupport,
}

impl AdminRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::PlatformOwner => "platform_owner",
            AdminRole::PlatformAdmin => "platform_admin",
            AdminRole::PlatformSupport => "platform_support",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "platform_owner" => Ok(AdminRole::PlatformOwner),
            "platform_admin" => Ok(AdminRole::PlatformAdmin),
            "platform_support" => Ok(AdminRole::PlatformSupport),
            _ => Err(FieldError::new(
                "role",
                "invalid_role",
                "must be one of platform_owner, platform_admin, platform_support",
            )),
        }
    }

    /// Owners and admins see every ticket and manage the team.
    pub fn has_full_access(self) -> bool {
        matches!(self, AdminRole::PlatformOwner | AdminRole::PlatformAdmin)
    }
}

/// Who wrote a message in a ticket's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderType {
    Tenant,
    Agent,
    System,
}

impl SenderType {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderType::Tenant => "tenant",
            SenderType::Agent => "agent",
            SenderType::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "tenant" => Some(SenderType::Tenant),
            "agent" => Some(SenderType::Agent),
            "system" => Some(SenderType::System),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_and_others_are_refused() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        for bad in ["", "open", "Closed", "closed ", "in-progress"] {
            assert!(Status::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_owner_and_admin_have_full_access() {
        assert!(AdminRole::parse("platform_owner").unwrap().has_full_access());
        assert!(AdminRole::parse("platform_admin").unwrap().has_full_access());
        assert!(!AdminRole::parse("platform_support").unwrap().has_full_access());
        assert!(AdminRole::parse("owner").is_err());
    }
}
