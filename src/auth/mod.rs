//! Who is asking and what they may do: users, roles, passwords, sessions, CSRF and API tokens.

pub mod api;
pub mod csrf;
pub mod db;
pub mod extract;
pub mod password;
pub mod session;
pub mod throttle;
pub mod tokens;

use serde::{Deserialize, Serialize};

pub use extract::{ApiUser, ClientAddress, CurrentUser};

/// A user's role decides what they may do; see [`Role::can`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ProductOps,
    Pm,
    Revenue,
    Viewer,
}

/// Things a role may be allowed to do. Every route checks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Users, roles, API tokens, the audit log.
    Administer,
    /// Edit readiness guides and digests.
    EditGuides,
    /// Create, edit, merge themes.
    EditThemes,
    /// Confirm and reject tags on feedback.
    TagFeedback,
    /// Answer questions from revenue teams; propose guide drafts.
    AnswerQuestions,
    /// Log feedback and questions.
    LogFeedback,
    /// Edit accounts and import data.
    ManageData,
    /// Acknowledge guides for a team.
    Acknowledge,
    /// Read everything that is not admin-only.
    Read,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::ProductOps,
        Role::Pm,
        Role::Revenue,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProductOps => "product_ops",
            Role::Pm => "pm",
            Role::Revenue => "revenue",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::ProductOps => "Product ops lead",
            Role::Pm => "Product manager",
            Role::Revenue => "Revenue team",
            Role::Viewer => "Viewer",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Admin => "Everything, including users, API tokens and the audit log.",
            Role::ProductOps => "Curates themes, writes readiness guides and digests.",
            Role::Pm => "Browses and tags feedback, edits themes, answers questions.",
            Role::Revenue => "Logs feedback and questions, reads guides and digests.",
            Role::Viewer => "Reads everything, changes nothing.",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::ProductOps => !matches!(permission, Administer),
            Role::Pm => matches!(
                permission,
                EditThemes | TagFeedback | AnswerQuestions | LogFeedback | Read
            ),
            Role::Revenue => matches!(permission, LogFeedback | Acknowledge | Read),
            Role::Viewer => matches!(permission, Read),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                format!("Choose a role: admin, product_ops, pm, revenue or viewer (not \"{s}\")")
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Team {
    Product,
    ProductOps,
    Sales,
    Success,
    Support,
    Marketing,
    Other,
}

impl Team {
    pub const ALL: [Team; 7] = [
        Team::Product,
        Team::ProductOps,
        Team::Sales,
        Team::Success,
        Team::Support,
        Team::Marketing,
        Team::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Team::Product => "product",
            Team::ProductOps => "product_ops",
            Team::Sales => "sales",
            Team::Success => "success",
            Team::Support => "support",
            Team::Marketing => "marketing",
            Team::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Team::Product => "Product",
            Team::ProductOps => "Product ops",
            Team::Sales => "Sales",
            Team::Success => "Customer success",
            Team::Support => "Support",
            Team::Marketing => "Marketing",
            Team::Other => "Other",
        }
    }
}

impl std::str::FromStr for Team {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Team::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "Choose a team: product, product_ops, sales, success, support, marketing or other (not \"{s}\")"
                )
            })
    }
}

impl std::fmt::Display for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in person, as every handler sees them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: Team,
}

impl User {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// Refuse with 403 unless the user's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), crate::error::AppError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden)
        }
    }
}

/// Normalise an email for lookup and storage.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_as_documented() {
        // product_ops can do everything a PM can; nobody but admin administers.
        for p in [
            Permission::EditThemes,
            Permission::TagFeedback,
            Permission::AnswerQuestions,
            Permission::LogFeedback,
            Permission::Read,
        ] {
            assert!(Role::Pm.can(p));
            assert!(Role::ProductOps.can(p));
        }
        for role in [Role::ProductOps, Role::Pm, Role::Revenue, Role::Viewer] {
            assert!(!role.can(Permission::Administer), "{role}");
        }
        assert!(!Role::Pm.can(Permission::EditGuides));
        assert!(Role::ProductOps.can(Permission::EditGuides));
        assert!(!Role::Viewer.can(Permission::LogFeedback));
        assert!(Role::Revenue.can(Permission::Acknowledge));
        assert_eq!("product_ops".parse::<Role>(), Ok(Role::ProductOps));
        assert!("root".parse::<Role>().is_err());
    }
}
