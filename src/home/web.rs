//! The role's home page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;

use crate::app::AppState;
use crate::auth::{CurrentUser, Permission, Role};
use crate::error::AppResult;
use crate::web::Layout;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// A starting point on the home page. `ready == false` means a later release owns it, and the
/// page says so rather than pretending.
pub struct Tile {
    pub title: &'static str,
    pub text: &'static str,
    pub href: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/home.html")]
pub struct HomePage {
    layout: Layout,
    greeting: String,
    focus: &'static str,
    tiles: Vec<Tile>,
    upcoming: Vec<&'static str>,
}

fn tiles_for(role: Role) -> (&'static str, Vec<Tile>, Vec<&'static str>) {
    let mut tiles = Vec::new();
    let mut upcoming = Vec::new();
    let focus = match role {
        Role::Admin => "Keep the hub's people, tokens and integrations in order.",
        Role::ProductOps => "Curate themes, write readiness guides, watch alignment health.",
        Role::Pm => "See which customer problems matter, to whom, and in their own words.",
        Role::Revenue => "Log what customers say, read what is launching and how to prepare.",
        Role::Viewer => "Read what customers say and what product is launching.",
    };
    if role.can(Permission::Administer) {
        tiles.push(Tile {
            title: "Users",
            text: "Add people, set their role and team, disable accounts.",
            href: Some("/admin/users"),
        });
        tiles.push(Tile {
            title: "API tokens",
            text: "Connect support tools, survey tools and scripts.",
            href: Some("/admin/tokens"),
        });
        tiles.push(Tile {
            title: "Audit log",
            text: "Who changed what, and when.",
            href: Some("/admin/audit"),
        });
    }
    if role.can(Permission::LogFeedback) {
        upcoming
            .push("Logging customer feedback in one quick form, CSV import and the feedback inbox");
    } else {
        upcoming.push("Browsing customer feedback from sales, success, support and NPS");
    }
    if role.can(Permission::TagFeedback) {
        upcoming.push("Themes: feedback tagged automatically, with ARR at stake and trends");
    }
    if role.can(Permission::EditGuides) {
        upcoming.push("Readiness guides and digests per launch");
    } else {
        upcoming.push("Launch readiness guides and digests for your team");
    }
    (focus, tiles, upcoming)
}

async fn home(current: CurrentUser) -> AppResult<HomePage> {
    current.user.require(Permission::Read)?;
    let (focus, tiles, upcoming) = tiles_for(current.user.role);
    let first_name = current
        .user
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&current.user.name)
        .to_owned();
    Ok(HomePage {
        layout: Layout::for_user(&current, "Home", "home").await?,
        greeting: format!("Welcome, {first_name}"),
        focus,
        tiles,
        upcoming,
    })
}
