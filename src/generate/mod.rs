//! Synthetic volume for load tests: accounts and feedback rows from a seeded generator, reusing
//! BANKING77 sentences and the demo's vocabulary with variation. Pure: no SQL here.

pub mod db;

use std::fmt::Write as _;
use std::sync::Arc;

use crate::accounts::{Lifecycle, NewAccount, Segment};
use crate::demo::content::{NAME_FIRST, NAME_SECOND, PEOPLE, PLANS, TLDS, banking77};
use crate::demo::notes::{
    COMPETITORS, DETRACTOR_COMMENTS, PASSIVE_COMMENTS, PROMOTER_COMMENTS, SALES_NOTES,
    SUCCESS_NOTES,
};
use crate::tagging::rng::SplitMix64 as Rng;

/// The columns the generator fills, in `COPY` order.
pub const FEEDBACK_COLUMNS: &str = "source, external_id, title, body, account_id, contact_email, reporter_id, received_at, nps_score, arr_cents_snapshot, currency_snapshot, metadata";

/// `count` made-up accounts with external ids `gen-<tag>-a<i>`.
pub fn accounts(count: usize, tag: &str, seed: u64) -> Vec<NewAccount> {
    let mut rng = Rng::from_state(seed ^ 0xACC0);
    (0..count)
        .map(|i| {
            let first = rng.pick(NAME_FIRST).copied().unwrap_or("Northwind");
            let (second, slug) = rng.pick(NAME_SECOND).copied().unwrap_or(("Labs", "labs"));
            let tld = rng.pick(TLDS).copied().unwrap_or("com");
            let segment = Segment::ALL[rng.weighted(&[60, 30, 10])];
            let lifecycle = Lifecycle::ALL[rng.weighted(&[15, 75, 10])];
            let arr = match segment {
                Segment::Smb => rng.range(5_000, 60_000),
                Segment::MidMarket => rng.range(60_000, 400_000),
                Segment::Enterprise => rng.range(400_000, 4_000_000),
            };
            NewAccount {
                external_id: format!("gen-{tag}-a{i}"),
                name: format!("{first} {second} {}", i + 1),
                domain: Some(format!(
                    "{}{slug}{}.{tld}",
                    first.to_ascii_lowercase(),
                    i + 1
                )),
                arr_cents: (lifecycle != Lifecycle::Prospect).then_some(arr / 100 * 10_000),
                currency: "USD".into(),
                segment: Some(segment),
                plan: Some(PLANS[rng.below(4)].to_string()),
                lifecycle,
            }
        })
        .collect()
}

/// What every feedback generator shares: the sentences, the accounts and the reporters.
pub struct Pool {
    /// (text, intent) from BANKING77.
    pub sentences: Vec<(String, String)>,
    /// (id, ARR cents, currency, domain) of the accounts rows may belong to.
    pub accounts: Vec<(i64, i64, String, String)>,
    pub reporters: Vec<i64>,
    pub tag: String,
    /// Rows are spread over the 365 days before this Unix time.
    pub now_unix: i64,
}

impl Pool {
    pub fn new(
        accounts: Vec<(i64, i64, String, String)>,
        reporters: Vec<i64>,
        tag: &str,
        now_unix: i64,
    ) -> Self {
        Pool {
            sentences: banking77(),
            accounts,
            reporters,
            tag: tag.to_string(),
            now_unix,
        }
    }
}

const PREFIXES: &[&str] = &[
    "",
    "",
    "",
    "Hi, ",
    "Hello team, ",
    "Urgent: ",
    "Quick question. ",
    "Following up: ",
    "From our finance lead: ",
    "Customer wrote: ",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    " Thanks.",
    " This is blocking our month-end close.",
    " Please advise.",
    " We compared this with {c} last week.",
    " Our CFO is asking.",
    " Happened twice this week.",
    " Can you escalate?",
];
const SOURCES: [&str; 6] = ["support", "sales", "success", "nps", "research", "other"];
/// Five ninths support, the rest spread over sales, success, NPS and research (issue #14's mix).
const SOURCE_WEIGHTS: [u64; 6] = [45, 9, 9, 9, 9, 0];

/// Appends `s` escaped for PostgreSQL's COPY text format.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// Writes feedback rows as COPY text lines; one per worker, each with its own seed.
pub struct FeedbackGen {
    rng: Rng,
    pool: Arc<Pool>,
    body: String,
}

impl FeedbackGen {
    pub fn new(pool: Arc<Pool>, seed: u64) -> Self {
        FeedbackGen {
            rng: Rng::from_state(seed),
            pool,
            body: String::with_capacity(512),
        }
    }

    /// Fills `self.body`; returns the BANKING77 row whose intent the body carries.
    fn compose_body(&mut self, source: &str) -> Option<usize> {
        let rng = &mut self.rng;
        self.body.clear();
        let mut intent = None;
        match source {
            "sales" | "success" => {
                let notes = if source == "sales" {
                    SALES_NOTES
                } else {
                    SUCCESS_NOTES
                };
                let (_, body) = rng.pick(notes).copied().unwrap_or(("", "Call notes."));
                let c = rng.pick(COMPETITORS).copied().unwrap_or("their bank");
                self.body.push_str(
                    &body
                        .replace("{competitor}", c)
                        .replace("{n}", &rng.range(3, 60).to_string())
                        .replace("{amount}", &format!("${}K", rng.range(5, 500))),
                );
            }
            "nps" => {}
            _ => {
                let n = 1 + rng.weighted(&[70, 25, 5]);
                let prefix = rng.pick(PREFIXES).copied().unwrap_or("");
                self.body.push_str(prefix);
                for k in 0..n {
                    let idx = rng.below(self.pool.sentences.len());
                    if let Some((text, _)) = self.pool.sentences.get(idx) {
                        if k > 0 {
                            self.body.push(' ');
                        }
                        self.body.push_str(text);
                        if k == 0 {
                            intent = Some(idx);
                        }
                    }
                }
                let suffix = rng.pick(SUFFIXES).copied().unwrap_or("");
                if suffix.contains("{c}") {
                    let c = rng.pick(COMPETITORS).copied().unwrap_or("their bank");
                    self.body.push_str(&suffix.replace("{c}", c));
                } else {
                    self.body.push_str(suffix);
                }
            }
        }
        intent
    }

    /// Appends row `i` (a COPY text line ending in `\n`) to `out`.
    pub fn write_row(&mut self, i: u64, out: &mut String) {
        let source = SOURCES[self.rng.weighted(&SOURCE_WEIGHTS)];
        let intent = self.compose_body(source);
        let score = (source == "nps")
            .then(|| self.rng.weighted(&[3, 2, 2, 3, 3, 5, 6, 12, 14, 20, 14]) as i16);
        if let Some(s) = score {
            let pool = match s {
                9..=10 => PROMOTER_COMMENTS,
                7..=8 => PASSIVE_COMMENTS,
                _ => DETRACTOR_COMMENTS,
            };
            match self.rng.pick(pool) {
                Some(c) if self.rng.chance(0.8) => self.body.push_str(c),
                _ => {
                    let _ = write!(self.body, "Score {s}, no comment.");
                }
            }
        }
        let rng = &mut self.rng;
        let pool = &*self.pool;
        // source, external_id
        let _ = write!(out, "{source}\tgen-{}-{i}\t", pool.tag);
        // title
        if source == "sales" || source == "success" || rng.chance(0.1) {
            let words: Vec<&str> = self.body.split_whitespace().take(7).collect();
            push_escaped(out, &words.join(" "));
        } else {
            out.push_str("\\N");
        }
        out.push('\t');
        push_escaped(out, &self.body);
        out.push('\t');
        let account = if rng.chance(0.9) {
            rng.pick(&pool.accounts)
        } else {
            None
        };
        match account {
            Some((id, _, _, domain)) => {
                let person = rng.pick(PEOPLE).copied().unwrap_or("ops");
                let _ = write!(out, "{id}\t{person}@{domain}\t");
            }
            None => out.push_str("\\N\t\\N\t"),
        }
        match rng.pick(&pool.reporters) {
            Some(r) => {
                let _ = write!(out, "{r}\t");
            }
            None => out.push_str("\\N\t"),
        }
        let at = pool.now_unix - rng.range(60, 365 * 86_400);
        push_timestamp(out, at);
        out.push('\t');
        match score {
            Some(s) => {
                let _ = write!(out, "{s}\t");
            }
            None => out.push_str("\\N\t"),
        }
        match account {
            Some((_, arr, currency, _)) => {
                let _ = write!(out, "{arr}\t{currency}\t");
            }
            None => out.push_str("\\N\t\\N\t"),
        }
        match intent.and_then(|i| pool.sentences.get(i)) {
            Some((_, intent)) => {
                let _ = write!(out, "{{\"generated\":true,\"intent\":\"{intent}\"}}");
            }
            None => out.push_str("{\"generated\":true}"),
        }
        out.push('\n');
    }
}

/// "2026-03-04 05:06:07+00" for a Unix time, without allocating.
fn push_timestamp(out: &mut String, unix: i64) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}+00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_the_time_crate() {
        for unix in [0, 951_782_400, 1_767_225_599, 1_795_000_123] {
            let mut s = String::new();
            push_timestamp(&mut s, unix);
            let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
            let expected = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}+00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn rows_have_twelve_columns_and_valid_nps() {
        let pool = Arc::new(Pool::new(
            vec![(1, 500_000, "USD".into(), "a.com".into())],
            vec![7],
            "t",
            1_790_000_000,
        ));
        let mut g = FeedbackGen::new(pool, 1);
        let mut out = String::new();
        for i in 0..2000 {
            g.write_row(i, &mut out);
        }
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2000);
        for line in lines {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 12, "{line}");
            assert!(!cols[3].is_empty());
            assert_eq!(cols[0] == "nps", cols[8] != "\\N", "{line}");
        }
    }
}
