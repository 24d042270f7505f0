//! Readiness coverage per launch and team, and the `/readiness` overview.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use sqlx::PgPool;

use super::guide::{RevisionFacts, asks_again};
use super::{GUIDE_TEAMS, Launch, Readiness, TeamCoverage, db};
use crate::app::AppState;
use crate::auth::{CurrentUser, Permission, Team};
use crate::error::AppResult;
use crate::web::Layout;

/// Each guide team's coverage of each launch: members who acknowledged the current published
/// revision (a minor revision since keeps an acknowledgement current) and checklist progress.
pub async fn coverage(
    pool: &PgPool,
    launch_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<TeamCoverage>>> {
    let sizes = db::team_sizes(pool).await?;
    let acks = db::acknowledgements(pool, launch_ids).await?;
    let facts = db::facts_for(pool, launch_ids).await?;
    let published = db::published_numbers(pool, launch_ids).await?;
    let items = db::checklist(pool, launch_ids).await?;
    let mut out = HashMap::new();
    for &id in launch_ids {
        let facts: Vec<RevisionFacts> = facts
            .iter()
            .filter(|f| f.launch_id == id)
            .map(|f| RevisionFacts {
                number: f.number,
                minor: f.minor,
            })
            .collect();
        let current = published
            .iter()
            .find(|p| p.launch_id == id)
            .and_then(|p| p.published_number);
        let teams = GUIDE_TEAMS
            .iter()
            .chain(std::iter::once(&Team::ProductOps))
            .map(|team| {
                let members = sizes
                    .iter()
                    .find(|s| s.team == team.as_str())
                    .map(|s| s.members)
                    .unwrap_or(0);
                let acknowledged = match current {
                    Some(p) => acks
                        .iter()
                        .filter(|a| a.launch_id == id && a.team == team.as_str())
                        .filter(|a| !asks_again(&facts, Some(a.revision), p))
                        .count() as i64,
                    None => 0,
                };
                let mine = items
                    .iter()
                    .filter(|i| i.launch_id == id && i.team == team.as_str());
                TeamCoverage {
                    team: *team,
                    members,
                    acknowledged,
                    items: mine.clone().count() as i64,
                    items_done: mine.filter(|i| i.done_at.is_some()).count() as i64,
                }
            })
            .collect();
        out.insert(id, teams);
    }
    Ok(out)
}

/// Launches still to come, or shipped in the last 30 days.
pub fn is_upcoming(l: &Launch, today: time::Date) -> bool {
    match l.status.as_str() {
        "planned" | "building" | "beta" => true,
        "retired" => false,
        _ => l
            .shipped_date
            .or(l.target_date)
            .is_some_and(|d| d >= today - time::Duration::days(30)),
    }
}

pub struct Cell {
    pub team: &'static str,
    pub readiness: Readiness,
    pub ack: String,
    pub checklist: String,
}

pub struct Row {
    pub launch: Launch,
    pub guide_state: &'static str,
    pub cells: Vec<Cell>,
    pub at_risk: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "readiness/overview.html")]
pub struct ReadinessPage {
    layout: Layout,
    teams: Vec<&'static str>,
    rows: Vec<Row>,
}

pub fn cells(teams: &[TeamCoverage]) -> Vec<Cell> {
    teams
        .iter()
        .map(|c| Cell {
            team: c.team.label(),
            readiness: c.readiness(),
            ack: if c.members == 0 {
                "nobody in the team".into()
            } else {
                format!(
                    "{} of {} acknowledged ({} %)",
                    c.acknowledged,
                    c.members,
                    c.ack_percent()
                )
            },
            checklist: c.checklist_text(),
        })
        .collect()
}

pub async fn page(State(state): State<AppState>, current: CurrentUser) -> AppResult<ReadinessPage> {
    current.user.require(Permission::Read)?;
    let today = crate::insights::today();
    let launches: Vec<Launch> = db::list(&state.pool)
        .await?
        .into_iter()
        .filter(|l| is_upcoming(l, today))
        .collect();
    let ids: Vec<i64> = launches.iter().map(|l| l.id).collect();
    let cov = coverage(&state.pool, &ids).await?;
    let states = db::published_numbers(&state.pool, &ids).await?;
    let rows = launches
        .into_iter()
        .map(|launch| {
            let cells = cells(cov.get(&launch.id).map(Vec::as_slice).unwrap_or(&[]));
            let guide_state = states
                .iter()
                .find(|s| s.launch_id == launch.id)
                .map(|s| {
                    if s.published_number.is_some() {
                        "Published"
                    } else {
                        super::guide::state_label(&s.state)
                    }
                })
                .unwrap_or("No guide");
            Row {
                at_risk: cells
                    .iter()
                    .filter(|c| c.readiness != Readiness::Ready)
                    .count(),
                launch,
                guide_state,
                cells,
            }
        })
        .collect();
    Ok(ReadinessPage {
        layout: Layout::for_user(&current, "Readiness", "launches").await?,
        teams: GUIDE_TEAMS
            .iter()
            .chain(std::iter::once(&Team::ProductOps))
            .map(|t| t.label())
            .collect(),
        rows,
    })
}
