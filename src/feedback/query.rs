//! The feedback list's filters and cursor, as they travel in a URL.

use crate::web::cursor;
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};

use super::{NpsBand, Source};
use crate::accounts::{Lifecycle, Segment};
use crate::validation::FieldErrors;

/// Filters exactly as they come in the query string (shareable, back-button safe).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Full-text search (stemmed English; quotes, `or` and `-word` work; words match as
    /// prefixes, in the item's title and body and in its account's name). At most 500 characters.
    #[param(max_length = 500)]
    pub q: Option<String>,
    #[param(schema_with = source_schema)]
    pub source: Option<String>,
    /// The account's external id (as items show it), or its Goldthread id.
    pub account: Option<String>,
    #[param(schema_with = segment_schema)]
    pub segment: Option<String>,
    #[param(schema_with = lifecycle_schema)]
    pub lifecycle: Option<String>,
    /// Received on or after this day (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Received on or before this day (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    #[param(schema_with = nps_schema)]
    pub nps: Option<String>,
    /// Reporter's user id.
    #[param(value_type = Option<i64>)]
    pub reporter: Option<String>,
    /// With `q`: `relevance` (the default: best match first among the newest 500 matches, then
    /// the older matches newest first; every match once) or `newest` (every match newest first).
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// Import id: the items that import created or updated.
    #[param(value_type = Option<i64>)]
    pub import: Option<String>,
    /// A theme id (items tagged with it, suggested or confirmed), or `untagged`.
    pub theme: Option<String>,
    /// `active` (the default) or `archived`.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Items per page (1–200, default 50); a number out of range is refused.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

pub fn status_schema() -> utoipa::openapi::Object {
    enum_schema(["active", "archived"])
}

/// A text parameter that takes one of `values` (for the OpenAPI document).
pub fn enum_schema<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}

pub fn source_schema() -> utoipa::openapi::Object {
    enum_schema(Source::ALL.iter().map(|s| s.as_str()))
}

fn segment_schema() -> utoipa::openapi::Object {
    enum_schema(Segment::ALL.iter().map(|s| s.as_str()))
}

fn lifecycle_schema() -> utoipa::openapi::Object {
    enum_schema(Lifecycle::ALL.iter().map(|s| s.as_str()))
}

fn nps_schema() -> utoipa::openapi::Object {
    enum_schema(["detractor", "passive", "promoter"])
}

fn sort_schema() -> utoipa::openapi::Object {
    enum_schema(["relevance", "newest"])
}

/// Validated filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub q: Option<String>,
    pub source: Option<Source>,
    pub account_id: Option<i64>,
    pub segment: Option<Segment>,
    pub lifecycle: Option<Lifecycle>,
    pub from: Option<OffsetDateTime>,
    /// Exclusive upper bound (the day after `to`).
    pub until: Option<OffsetDateTime>,
    pub nps: Option<NpsBand>,
    pub reporter_id: Option<i64>,
    /// The account as typed: its external id (or its id, see `account_id`).
    pub account_external_id: Option<String>,
    /// Searches list newest first instead of best match first (exports walk them that way).
    pub newest_first: bool,
    pub import_id: Option<i64>,
    /// Items carrying this theme (suggested or confirmed).
    pub theme_id: Option<i64>,
    /// Items carrying no theme at all (rejections aside).
    pub untagged: bool,
    /// Archived items instead of live ones.
    pub archived: bool,
    /// Hybrid search: items close in meaning to `q` and the rank each adds
    /// ([`Filter::add_semantic`]); they match even without a shared word.
    pub semantic: Vec<(i64, f32)>,
}

/// Items at least this close (cosine) to the search join its matches.
pub const SEMANTIC_MIN_COSINE: f32 = 0.5;
/// At most this many items join a search by meaning.
pub const SEMANTIC_MATCHES: usize = 100;
/// A semantic match adds `cosine × this` to its full-text rank (`ts_rank` of a good word match
/// is about 0.1–0.3), so a paraphrase ranks near a word match and an item that has both first.
pub const SEMANTIC_WEIGHT: f32 = 0.5;

impl Filter {
    /// Hybrid search: with the sentence encoder, embed `q` once (a repeated query, such as the
    /// next page, comes from a cache) and rank the newest items' stored vectors against it
    /// (a bounded candidate set, [`crate::embeddings::similar::WINDOW`]). Without a model, or
    /// without `q`, the search stays full-text only.
    pub async fn add_semantic(&mut self, pool: &sqlx::PgPool) -> anyhow::Result<()> {
        let (Some(q), Some(sem)) = (self.q.as_deref(), crate::embeddings::shared()) else {
            return Ok(());
        };
        let near = crate::embeddings::similar::for_query(
            pool,
            &sem,
            q,
            SEMANTIC_MIN_COSINE,
            SEMANTIC_MATCHES,
        )
        .await?;
        self.semantic = near
            .into_iter()
            .map(|n| (n.id, n.cosine * SEMANTIC_WEIGHT))
            .collect();
        Ok(())
    }
}

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    /// Newest-first lists: strictly older than this item.
    Time {
        received_at: OffsetDateTime,
        id: i64,
    },
    /// Ranked search: strictly after this (rank, id). `since` is the oldest ranked match when
    /// the search matched more than [`super::db::RANKED_MATCHES`] items: the matches from it on
    /// are ranked, the older ones follow newest first (a [`Cursor::Time`] walks them).
    Rank {
        rank: f32,
        id: i64,
        since: Option<(OffsetDateTime, i64)>,
    },
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl ListParams {
    /// Parse into filters; what cannot be understood is reported per field (and ignored).
    pub fn parse(&self) -> (Filter, Option<Cursor>, i64, FieldErrors) {
        let mut errors = FieldErrors::default();
        let mut copy = self.clone();
        for (field, value) in copy.fields_mut() {
            if errors.check_text(field, value.as_deref(), false) {
                *value = None;
            }
        }
        let this = &copy;
        let mut filter = Filter {
            q: present(&this.q).map(|q| q.chars().take(500).collect()),
            ..Filter::default()
        };
        if let Some(s) = present(&this.source) {
            match s.parse::<Source>() {
                Ok(v) => filter.source = Some(v),
                Err(_) => errors.add("source", format!("There is no source called \"{s}\"")),
            }
        }
        if let Some(s) = present(&this.account) {
            filter.account_id = s.parse::<i64>().ok();
            filter.account_external_id = Some(s.to_owned());
        }
        if let Some(s) = present(&this.segment) {
            match s.parse::<Segment>() {
                Ok(v) => filter.segment = Some(v),
                Err(_) => errors.add("segment", format!("There is no segment called \"{s}\"")),
            }
        }
        if let Some(s) = present(&this.lifecycle) {
            match s.parse::<Lifecycle>() {
                Ok(v) => filter.lifecycle = Some(v),
                Err(_) => errors.add("lifecycle", format!("There is no lifecycle called \"{s}\"")),
            }
        }
        if let Some(s) = present(&this.from) {
            match day(s) {
                Some(d) => filter.from = Some(d.with_time(Time::MIDNIGHT).assume_utc()),
                None => errors.add("from", "Enter the start date as YYYY-MM-DD"),
            }
        }
        if let Some(s) = present(&this.to) {
            match day(s).and_then(|d| d.next_day()) {
                Some(d) => filter.until = Some(d.with_time(Time::MIDNIGHT).assume_utc()),
                None => errors.add("to", "Enter the end date as YYYY-MM-DD"),
            }
        }
        if let (Some(from), Some(until)) = (filter.from, filter.until)
            && from >= until
        {
            errors.add("to", "The end date must be on or after the start date");
            filter.until = None;
        }
        if let Some(s) = present(&this.nps) {
            match s {
                "detractor" => filter.nps = Some(NpsBand::Detractor),
                "passive" => filter.nps = Some(NpsBand::Passive),
                "promoter" => filter.nps = Some(NpsBand::Promoter),
                _ => errors.add("nps", "Choose detractor, passive or promoter"),
            }
        }
        if let Some(s) = present(&this.reporter) {
            match s.parse::<i64>() {
                Ok(v) => filter.reporter_id = Some(v),
                Err(_) => errors.add("reporter", "Pick a reporter from the list"),
            }
        }
        if let Some(s) = present(&this.import) {
            match s.parse::<i64>() {
                Ok(v) => filter.import_id = Some(v),
                Err(_) => errors.add("import", "That import link is not valid"),
            }
        }
        if let Some(s) = present(&this.theme) {
            match s {
                "untagged" => filter.untagged = true,
                _ => match s.parse::<i64>() {
                    Ok(v) if v > 0 => filter.theme_id = Some(v),
                    _ => errors.add("theme", "Choose a theme from the list, or untagged"),
                },
            }
        }
        if let Some(s) = present(&this.status) {
            match s {
                "active" => {}
                "archived" => filter.archived = true,
                _ => errors.add("status", "Choose active or archived"),
            }
        }
        let cursor = present(&this.cursor).and_then(Cursor::decode);
        if present(&this.cursor).is_some() && cursor.is_none() {
            errors.add(
                "cursor",
                "That page link is not valid any more; showing the first page",
            );
        }
        if let Some(s) = present(&this.sort) {
            match s {
                "relevance" => {}
                "newest" => filter.newest_first = true,
                _ => errors.add("sort", "Choose relevance or newest"),
            }
        }
        let limit = match present(&this.limit).map(str::parse::<i64>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                errors.add(
                    "limit",
                    format!("Choose a limit from 1 to {MAX_LIMIT} items per page"),
                );
                n.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
            }
        };
        (filter, cursor, limit, errors)
    }

    fn fields_mut(&mut self) -> [(&'static str, &mut Option<String>); 15] {
        [
            ("q", &mut self.q),
            ("source", &mut self.source),
            ("account", &mut self.account),
            ("segment", &mut self.segment),
            ("lifecycle", &mut self.lifecycle),
            ("from", &mut self.from),
            ("to", &mut self.to),
            ("nps", &mut self.nps),
            ("reporter", &mut self.reporter),
            ("sort", &mut self.sort),
            ("import", &mut self.import),
            ("theme", &mut self.theme),
            ("status", &mut self.status),
            ("cursor", &mut self.cursor),
            ("limit", &mut self.limit),
        ]
    }

    /// A copy without the values holding control characters (refused by [`ListParams::parse`]),
    /// for what a page echoes back into its form and links: HTML cannot carry them.
    pub fn shown(&self) -> ListParams {
        let mut copy = self.clone();
        for (_, value) in copy.fields_mut() {
            if value
                .as_deref()
                .is_some_and(|v| crate::validation::control_character(v, false).is_some())
            {
                *value = None;
            }
        }
        copy
    }

    /// The same filters as a query string, without the cursor (for links and exports). A value
    /// [`ListParams::parse`] refuses for its control characters is left out, as parse ignores it
    /// (trimmed, `"\tx"` would otherwise come back as the filter `x`).
    pub fn to_query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("q", &self.q),
            ("source", &self.source),
            ("account", &self.account),
            ("segment", &self.segment),
            ("lifecycle", &self.lifecycle),
            ("from", &self.from),
            ("to", &self.to),
            ("nps", &self.nps),
            ("reporter", &self.reporter),
            ("sort", &self.sort),
            ("import", &self.import),
            ("theme", &self.theme),
            ("status", &self.status),
        ]
        .into_iter()
        .filter(|(_, v)| {
            v.as_deref()
                .is_none_or(|v| crate::validation::control_character(v, false).is_none())
        })
        .filter_map(|(k, v)| present(v).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The query string with one filter removed (for the "remove filter" chips).
    pub fn without(&self, field: &str) -> String {
        let mut copy = self.clone();
        match field {
            "q" => copy.q = None,
            "source" => copy.source = None,
            "account" => copy.account = None,
            "segment" => copy.segment = None,
            "lifecycle" => copy.lifecycle = None,
            "from" => copy.from = None,
            "to" => copy.to = None,
            "nps" => copy.nps = None,
            "reporter" => copy.reporter = None,
            "sort" => copy.sort = None,
            "import" => copy.import = None,
            "theme" => copy.theme = None,
            "status" => copy.status = None,
            _ => {}
        }
        copy.to_query()
    }
}

impl NpsBand {
    /// Inclusive score range of the band.
    pub fn range(self) -> (i16, i16) {
        match self {
            NpsBand::Detractor => (0, 6),
            NpsBand::Passive => (7, 8),
            NpsBand::Promoter => (9, 10),
        }
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Cursor::Time { received_at, id } => {
                cursor::encode("t", *id, &received_at.unix_timestamp_nanos().to_string())
            }
            Cursor::Rank {
                rank,
                id,
                since: None,
            } => cursor::encode("r", *id, &rank.to_string()),
            Cursor::Rank {
                rank,
                id,
                since: Some((at, since_id)),
            } => cursor::encode(
                "r",
                *id,
                &format!("{rank};{};{since_id}", at.unix_timestamp_nanos()),
            ),
        }
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (kind, id, value) = cursor::decode(s)?;
        match kind.as_str() {
            "t" => Some(Cursor::Time {
                received_at: OffsetDateTime::from_unix_timestamp_nanos(value.parse().ok()?).ok()?,
                id,
            }),
            "r" => {
                let mut parts = value.split(';');
                let rank = parts.next()?.parse().ok().filter(|r: &f32| r.is_finite())?;
                let since = match (parts.next(), parts.next(), parts.next()) {
                    (None, _, _) => None,
                    (Some(at), Some(since_id), None) => Some((
                        OffsetDateTime::from_unix_timestamp_nanos(at.parse().ok()?).ok()?,
                        since_id.parse().ok()?,
                    )),
                    _ => return None,
                };
                Some(Cursor::Rank { rank, id, since })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for c in [
            Cursor::Time {
                received_at: datetime!(2026-03-01 12:34:56.789 UTC),
                id: 42,
            },
            Cursor::Rank {
                rank: 0.0607927,
                id: 7,
                since: None,
            },
            Cursor::Rank {
                rank: 0.25,
                id: 9,
                since: Some((datetime!(2026-02-03 04:05:06.007 UTC), 8)),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(Cursor::decode("not base64!"), None);
        assert_eq!(Cursor::decode(&cursor::encode("r", 1, "NaN")), None);
        assert_eq!(Cursor::decode(&cursor::encode("r", 1, "0.5;12")), None);
        assert_eq!(Cursor::decode(&cursor::encode("r", 1, "0.5;1;2;3")), None);
    }

    #[test]
    fn control_characters_in_filters_are_reported_and_dropped() {
        let p = ListParams {
            q: Some("card\0".into()),
            account: Some("crm-1\u{1}".into()),
            ..ListParams::default()
        };
        let (f, _, _, errors) = p.parse();
        assert_eq!(f.q, None);
        assert_eq!(f.account_external_id, None);
        assert!(errors.get("q").is_some_and(|m| m.contains("NUL")));
        assert!(errors.has("account"));
    }

    #[test]
    fn to_query_leaves_out_values_parse_refuses() {
        // Found by the query_filters fuzz target: `q=%09%23+ed` was refused by parse (a tab)
        // but came back from to_query trimmed, as the search "# ed".
        let p: ListParams = serde_urlencoded::from_str("q=%09%23+ed&source=support").unwrap();
        let (f, _, _, errors) = p.parse();
        assert_eq!(f.q, None);
        assert!(errors.has("q"));
        assert_eq!(p.to_query(), "source=support");
        let again: ListParams = serde_urlencoded::from_str(&p.to_query()).unwrap();
        assert_eq!(again.parse().0, f);
        assert_eq!(p.without("source"), "");
    }

    #[test]
    fn params_parse_and_report_what_they_ignore() {
        let p = ListParams {
            q: Some("  refund ".into()),
            source: Some("support".into()),
            segment: Some("galaxy".into()),
            from: Some("2026-01-01".into()),
            to: Some("2026-01-31".into()),
            nps: Some("detractor".into()),
            limit: Some("5000".into()),
            ..ListParams::default()
        };
        let (f, cursor, limit, errors) = p.parse();
        assert_eq!(f.q.as_deref(), Some("refund"));
        assert_eq!(f.source, Some(Source::Support));
        assert_eq!(f.segment, None);
        assert!(errors.get("segment").is_some());
        assert_eq!(f.until, Some(datetime!(2026-02-01 0:00 UTC)));
        assert_eq!(f.nps.map(NpsBand::range), Some((0, 6)));
        assert_eq!(cursor, None);
        assert_eq!(limit, MAX_LIMIT);
        assert_eq!(
            errors.get("limit"),
            Some("Choose a limit from 1 to 200 items per page")
        );
        assert_eq!(
            p.to_query(),
            "q=refund&source=support&segment=galaxy&from=2026-01-01&to=2026-01-31&nps=detractor"
        );
        assert_eq!(
            p.without("source"),
            "q=refund&segment=galaxy&from=2026-01-01&to=2026-01-31&nps=detractor"
        );
    }
}
