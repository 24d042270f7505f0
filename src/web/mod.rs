//! Shared page pieces: the layout context, navigation, static assets and small formatting helpers.

pub mod assets;
pub mod charts;
pub mod cursor;
pub mod error_page;
pub mod form;
pub mod format;
pub mod labels;
pub mod markdown;
pub mod money;

use tower_sessions::Session;

use crate::auth::session::{self, Flash};
use crate::auth::{CurrentUser, Permission, User};
use crate::error::AppResult;

/// "Are you sure?" before a destructive action: what will happen, the button, and a way back.
#[derive(askama::Template, askama_web::WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub explanation: String,
    /// Where the confirming form posts.
    pub action: String,
    pub button: &'static str,
    pub back: String,
}

/// One entry of the top navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The sections of the product, in navigation order, with what a role needs to see them.
/// Later features add their line here.
const SECTIONS: &[(&str, &str, &str, Permission)] = &[
    ("home", "/", "Home", Permission::Read),
    ("feedback", "/feedback", "Feedback", Permission::Read),
    ("themes", "/themes", "Themes", Permission::Read),
    ("accounts", "/accounts", "Accounts", Permission::Read),
    ("nps", "/nps", "NPS", Permission::Read),
    ("launches", "/launches", "Launches", Permission::Read),
    ("digests", "/digests", "Digests", Permission::Read),
    ("questions", "/questions", "Questions", Permission::Read),
    ("admin", "/admin", "Admin", Permission::Administer),
];

/// What every page's layout needs: who is signed in, the CSRF token, a flash message, navigation.
pub struct Layout {
    pub title: String,
    pub user: Option<User>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub nav: Vec<NavItem>,
    pub css: &'static str,
    /// Credit the BANKING77 data set in the footer (decided once, from the signed-in request).
    pub credit_banking77: bool,
}

impl Layout {
    pub async fn for_user(
        current: &CurrentUser,
        title: impl Into<String>,
        section: &str,
    ) -> AppResult<Self> {
        let user = &current.user;
        let nav = SECTIONS
            .iter()
            .filter(|(_, _, _, permission)| user.can(*permission))
            .map(|(key, href, label, _)| NavItem {
                href,
                label,
                current: *key == section,
            })
            .collect();
        Ok(Layout {
            title: title.into(),
            user: Some(user.clone()),
            csrf: session::csrf_token(&current.session).await?,
            flash: session::take_flash(&current.session).await?,
            nav,
            css: assets::css_path(),
            credit_banking77: current.credit_banking77,
        })
    }

    /// The layout of a page shown to someone not signed in (sign-in, errors).
    pub async fn anonymous(session: Option<&Session>, title: impl Into<String>) -> AppResult<Self> {
        let (csrf, flash) = match session {
            Some(session) => (
                session::csrf_token(session).await?,
                session::take_flash(session).await?,
            ),
            None => (String::new(), None),
        };
        Ok(Layout {
            title: title.into(),
            user: None,
            csrf,
            flash,
            nav: Vec::new(),
            css: assets::css_path(),
            credit_banking77: false,
        })
    }

    /// For error pages rendered where no session is at hand.
    pub fn bare(title: impl Into<String>) -> Self {
        Layout {
            title: title.into(),
            user: None,
            csrf: String::new(),
            flash: None,
            nav: Vec::new(),
            css: assets::css_path(),
            credit_banking77: false,
        }
    }
}
