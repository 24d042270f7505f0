//! What a digest says, put together for one reader: each launch's value and the reader's own
//! role section first (from the guide revision a published digest froze, or the current published
//! revision of a draft), what customers are telling us, the FAQ and the questions still open.
//! The web page, the email and the Atom entry all render this one value.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{Audience, Digest, db};
use crate::auth::Team;
use crate::error::AppResult;
use crate::insights::{self, Caches, Period};
use crate::launches;
use crate::launches::guide::{GuideContent, SECTIONS, section_for_team};
use crate::web::markdown::{self, SafeHtml};
use crate::web::money::format_arr_short;

/// How many rising themes a digest shows.
pub const THEMES: usize = 5;
/// A theme counts as rising with at least this many items in its last four complete weeks.
const MIN_RISING: i64 = 3;

/// What a published digest froze beyond the guides (stored as JSON in `digests.snapshot`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    /// The themes that rose most in the period, with a customer's words each.
    pub themes: Vec<ThemeNews>,
    /// Questions about the digest's launches still waiting for an answer.
    pub open_questions: Vec<OpenQuestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThemeNews {
    pub theme_id: i64,
    pub name: String,
    /// Items in the period.
    pub items: i64,
    /// Items in the last four complete weeks of the period, and in the four before.
    pub last4: i64,
    pub prev4: i64,
    pub accounts: i64,
    /// ARR of those accounts, in `currency` (the reporting currency), in cents.
    pub arr_cents: i64,
    pub currency: String,
    pub quote: Option<Quote>,
}

impl ThemeNews {
    pub fn trend_text(&self) -> String {
        insights::trend(self.last4, self.prev4).text
    }

    pub fn arr_text(&self) -> String {
        format_arr_short(self.arr_cents, &self.currency)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quote {
    pub feedback_id: i64,
    pub text: String,
    pub account: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenQuestion {
    pub id: i64,
    pub text: String,
    pub team: String,
    /// The day it was asked (YYYY-MM-DD).
    pub asked_on: String,
    pub launch: Option<String>,
}

/// One role section of a guide, rendered.
#[derive(Debug, Clone)]
pub struct Section {
    pub key: &'static str,
    pub heading: &'static str,
    pub markdown: String,
    pub html: SafeHtml,
}

#[derive(Debug, Clone)]
pub struct FaqItem {
    pub q: String,
    pub a_markdown: String,
    pub a: SafeHtml,
}

/// One launch of a digest, as its reader sees it.
#[derive(Debug, Clone)]
pub struct ComposedLaunch {
    pub launch_id: i64,
    pub name: String,
    pub summary: String,
    pub status_label: &'static str,
    pub date_text: String,
    /// The guide revision quoted; `None` when the launch has no published guide.
    pub revision: Option<i32>,
    pub value: Section,
    /// The reader's own role section (none for readers without one, e.g. product).
    pub own: Option<Section>,
    pub prepare: Section,
    /// The other teams' sections, in the guide's order.
    pub others: Vec<Section>,
    pub faq: Vec<FaqItem>,
}

impl ComposedLaunch {
    pub fn guide_path(&self) -> String {
        format!("/launches/{}/guide", self.launch_id)
    }
}

/// A digest put together for one reader.
#[derive(Debug, Clone)]
pub struct Composed {
    pub digest: Digest,
    pub intro: SafeHtml,
    /// Whose sections come first: the digest's team, or the reader's for an everyone digest.
    pub reader_team: Option<Team>,
    pub launches: Vec<ComposedLaunch>,
    pub snapshot: Snapshot,
}

impl Composed {
    /// "For sales" etc., the heading of the reader's own sections.
    pub fn reader_label(&self) -> Option<&'static str> {
        self.reader_team.map(Team::label)
    }

    pub fn faq_count(&self) -> usize {
        self.launches.iter().map(|l| l.faq.len()).sum()
    }
}

fn section(key: &'static str, content: &GuideContent) -> Section {
    let heading = SECTIONS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, h, _)| *h)
        .unwrap_or("");
    let text = content.section(key).to_owned();
    Section {
        key,
        heading,
        html: markdown::render(&text),
        markdown: text,
    }
}

/// Lay out one guide revision for a reader of `team`: value, the team's section, preparation,
/// then the other teams'.
pub fn lay_out(
    launch: &launches::Launch,
    revision: Option<i32>,
    content: &GuideContent,
    team: Option<Team>,
) -> ComposedLaunch {
    let own_key = team.and_then(section_for_team);
    let own = own_key.map(|k| section(k, content));
    let others = launches::GUIDE_TEAMS
        .iter()
        .filter_map(|t| section_for_team(*t))
        .filter(|k| Some(*k) != own_key)
        .map(|k| section(k, content))
        .filter(|s| !s.markdown.trim().is_empty())
        .collect();
    ComposedLaunch {
        launch_id: launch.id,
        name: launch.name.clone(),
        summary: launch.summary.clone(),
        status_label: launch.status_label(),
        date_text: launch.date_text(),
        revision,
        value: section("value", content),
        own,
        prepare: section("prepare", content),
        others,
        faq: content
            .faq
            .iter()
            .map(|f| FaqItem {
                q: f.q.clone(),
                a: markdown::render(&f.a),
                a_markdown: f.a.clone(),
            })
            .collect(),
    }
}

/// Whose sections come first for a reader of `reader` reading `audience`.
pub fn reader_team(audience: Audience, reader: Option<Team>) -> Option<Team> {
    audience
        .team()
        .or(reader.filter(|t| section_for_team(*t).is_some()))
}

/// The digest `digest` for a reader of team `reader` (`None`: nobody in particular).
pub async fn compose(
    pool: &PgPool,
    caches: &Caches,
    digest: Digest,
    reader: Option<Team>,
) -> AppResult<Composed> {
    let team = reader_team(digest.audience, reader);
    let rows = db::launches(pool, digest.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(launch) = launches::db::get(pool, row.launch_id).await? else {
            continue;
        };
        // A published digest quotes what it froze; a draft shows what readers see today.
        let number = if digest.is_published() {
            row.revision_number
        } else {
            row.published_number
        };
        let content = match number {
            Some(n) => launches::db::revision(pool, launch.id, n)
                .await?
                .map(|r| r.content)
                .unwrap_or_default(),
            None => GuideContent::default(),
        };
        out.push(lay_out(&launch, number, &content, team));
    }
    let snapshot = match digest
        .snapshot
        .as_ref()
        .and_then(|s| serde_json::from_value::<Snapshot>(s.clone()).ok())
    {
        Some(s) if digest.is_published() => s,
        _ => {
            let ids: Vec<i64> = rows.iter().map(|r| r.launch_id).collect();
            snapshot_now(pool, caches, &digest, &ids).await?
        }
    };
    Ok(Composed {
        intro: markdown::render(&digest.intro),
        reader_team: team,
        launches: out,
        snapshot,
        digest,
    })
}

/// Rising themes of the digest's period and the open questions about its launches, as of now.
pub async fn snapshot_now(
    pool: &PgPool,
    caches: &Caches,
    digest: &Digest,
    launch_ids: &[i64],
) -> AppResult<Snapshot> {
    let period = Period {
        from: digest.period_start,
        to: digest.period_end,
    };
    let figures =
        insights::figures::all_themes(pool, &caches.figures, &Default::default(), period).await?;
    let mut rising: Vec<(i64, &insights::ThemeFigures)> = figures
        .iter()
        .filter(|(_, f)| f.last4 >= MIN_RISING && f.last4 > f.prev4)
        .map(|(id, f)| (*id, f))
        .collect();
    rising.sort_by_key(|(id, f)| (std::cmp::Reverse(f.last4 - f.prev4), *id));
    let ids: Vec<i64> = rising.iter().map(|(id, _)| *id).collect();
    let names = db::active_theme_names(pool, &ids).await?;
    let start = digest.period_start.midnight().assume_utc();
    let end = (digest.period_end.next_day().unwrap_or(digest.period_end))
        .midnight()
        .assume_utc();
    let mut themes = Vec::new();
    for (id, f) in rising {
        let Some(name) = names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()) else {
            continue;
        };
        let quote = db::quote_for_theme(pool, id, start, end).await?;
        themes.push(ThemeNews {
            theme_id: id,
            name,
            items: f.period_items,
            last4: f.last4,
            prev4: f.prev4,
            accounts: f.accounts,
            arr_cents: f.arr_cents,
            currency: f.arr_currency.clone(),
            quote,
        });
        if themes.len() == THEMES {
            break;
        }
    }
    Ok(Snapshot {
        themes,
        open_questions: db::open_questions(pool, launch_ids).await?,
    })
}
