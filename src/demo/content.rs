//! The demo's content as plain data (no SQL): accounts, support tickets from BANKING77, sales
//! and success notes, NPS answers, all spread deterministically over the last 12 months.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::notes::*;
use crate::accounts::{Lifecycle, NewAccount, Segment};
use crate::feedback::Source;
use crate::tagging::rng::SplitMix64 as Rng;

/// The BANKING77 training split, bundled (CC BY 4.0; see `data/banking77/README.md`).
pub const BANKING77_CSV: &str = include_str!("../../data/banking77/train.csv");

/// Seed of everything in the demo.
const SEED: u64 = 0x60_1D_7E_AD;
/// How many accounts, notes and answers the demo makes.
pub const ACCOUNTS: usize = 150;
pub const SALES_NOTE_COUNT: usize = 120;
pub const SUCCESS_NOTE_COUNT: usize = 120;
pub const NPS_COUNT: usize = 300;

/// A demo account and the email of its owner (a demo user) if it has one.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub account: NewAccount,
    pub owner_email: Option<&'static str>,
}

/// A demo feedback item. Accounts and reporters are referred to by external id and email.
#[derive(Debug, Clone)]
pub struct DemoFeedback {
    pub source: Source,
    pub external_id: String,
    pub title: Option<String>,
    pub body: String,
    pub account_external_id: Option<String>,
    pub contact_email: Option<String>,
    pub reporter_email: Option<&'static str>,
    pub received_at: OffsetDateTime,
    pub nps_score: Option<i16>,
    pub metadata: serde_json::Value,
}

pub const NAME_FIRST: &[&str] = &[
    "Northwind",
    "Bluefin",
    "Copperleaf",
    "Harborline",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Saltmarsh",
    "Tidewater",
    "Umber",
    "Vantage",
    "Willow",
    "Alder",
    "Brightwater",
    "Cobalt",
    "Driftwood",
    "Emberly",
    "Fernhill",
    "Granite",
    "Hollis",
    "Ironbark",
    "Juniper",
    "Larkspur",
    "Mosaic",
    "Nimbus",
    "Orchid",
];
pub const NAME_SECOND: &[(&str, &str)] = &[
    ("Logistics", "logistics"),
    ("Labs", "labs"),
    ("Health", "health"),
    ("Foods", "foods"),
    ("Studio", "studio"),
    ("Freight", "freight"),
    ("Robotics", "robotics"),
    ("Travel", "travel"),
    ("Retail", "retail"),
    ("Energy", "energy"),
    ("Media", "media"),
    ("Analytics", "analytics"),
    ("Outfitters", "outfitters"),
    ("Clinics", "clinics"),
    ("Software", "software"),
    ("Marketplace", "market"),
    ("Builders", "build"),
    ("Hospitality", "hotels"),
];
pub const TLDS: &[&str] = &["com", "io", "co", "com", "de", "co.uk", "com", "nl"];
pub const PLANS: [&str; 4] = ["Starter", "Growth", "Scale", "Enterprise"];
const OWNERS: &[Option<&str>] = &[
    Some("sales@example.com"),
    Some("success@example.com"),
    Some("sales@example.com"),
    Some("success@example.com"),
    None,
];
pub const PEOPLE: &[&str] = &[
    "dana", "marcus", "aisha", "tomas", "priyanka", "lena", "kwame", "sofia", "hiro", "grace",
    "mateo", "nadia", "oliver", "yara", "ben", "chloe", "ravi", "ingrid", "sam", "mina", "finance",
    "ap", "ops",
];

/// Midnight UTC of `now`'s day, so loading twice on one day writes the same times.
fn anchor(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_time(time::Time::MIDNIGHT)
}

/// A moment in the last 365 days, weighted slightly towards recent months.
fn moment(rng: &mut Rng, anchor: OffsetDateTime) -> OffsetDateTime {
    let a = rng.below(365);
    let b = rng.below(365);
    let days = a.min(b).max(a / 2) as i64;
    anchor - Duration::days(days) + Duration::seconds(rng.range(8 * 3600, 19 * 3600))
        - Duration::days(1)
}

/// The ~150 fictional customers and prospects.
pub fn accounts() -> Vec<DemoAccount> {
    let mut rng = Rng::from_state(SEED);
    let mut out = Vec::with_capacity(ACCOUNTS);
    let mut used = std::collections::HashSet::new();
    while out.len() < ACCOUNTS {
        let first = rng.pick(NAME_FIRST).copied().unwrap_or("Northwind");
        let (second, slug) = rng.pick(NAME_SECOND).copied().unwrap_or(("Labs", "labs"));
        if !used.insert((first, second)) {
            continue;
        }
        let i = out.len();
        let segment = Segment::ALL[rng.weighted(&[55, 30, 15])];
        let lifecycle = Lifecycle::ALL[rng.weighted(&[14, 76, 10])];
        let (lo, hi, plan) = match segment {
            Segment::Smb => (6_000, 60_000, PLANS[rng.weighted(&[6, 4, 0, 0])]),
            Segment::MidMarket => (60_000, 400_000, PLANS[rng.weighted(&[0, 5, 5, 1])]),
            Segment::Enterprise => (400_000, 3_000_000, PLANS[rng.weighted(&[0, 0, 3, 7])]),
        };
        // Round ARR the way contracts are written: to the nearest 500.
        let arr = if lifecycle == Lifecycle::Prospect {
            0
        } else {
            rng.range(lo, hi) / 500 * 500
        };
        let tld = rng.pick(TLDS).copied().unwrap_or("com");
        let currency = match tld {
            "de" | "nl" => "EUR",
            "co.uk" => "GBP",
            _ => "USD",
        };
        out.push(DemoAccount {
            account: NewAccount {
                external_id: format!("crm-{}", 10_001 + i),
                name: format!("{first} {second}"),
                domain: Some(format!("{}{slug}.{tld}", first.to_ascii_lowercase())),
                arr_cents: (lifecycle != Lifecycle::Prospect).then_some(arr * 100),
                currency: currency.to_string(),
                segment: Some(segment),
                plan: (lifecycle != Lifecycle::Prospect).then(|| plan.to_string()),
                lifecycle,
            },
            owner_email: rng.pick(OWNERS).copied().flatten(),
        });
    }
    out
}

/// The BANKING77 rows as (text, intent), in file order.
pub fn banking77() -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(BANKING77_CSV.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| Some((r.get(0)?.to_string(), r.get(1)?.to_string())))
        .collect()
}

fn contact(rng: &mut Rng, account: &NewAccount) -> Option<String> {
    let domain = account.domain.as_ref()?;
    let person = rng.pick(PEOPLE).copied().unwrap_or("finance");
    Some(format!("{person}@{domain}"))
}

fn fill(template: &str, rng: &mut Rng, contact_name: &str, role: &str) -> String {
    let competitor = rng.pick(COMPETITORS).copied().unwrap_or("their bank");
    let amount = format!("${}K", rng.range(2, 60) * 5);
    template
        .replace("{contact}", contact_name)
        .replace("{role}", role)
        .replace("{competitor}", competitor)
        .replace("{n}", &rng.range(4, 40).to_string())
        .replace("{amount}", &amount)
}

/// Accounts weighted by size: bigger customers talk to us more.
fn account_weights(accounts: &[DemoAccount], prospects_too: bool) -> Vec<u64> {
    accounts
        .iter()
        .map(|a| match (a.account.lifecycle, a.account.segment) {
            (Lifecycle::Prospect, _) if !prospects_too => 0,
            (_, Some(Segment::Enterprise)) => 6,
            (_, Some(Segment::MidMarket)) => 3,
            _ => 1,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn notes(
    rng: &mut Rng,
    accounts: &[DemoAccount],
    anchor: OffsetDateTime,
    source: Source,
    count: usize,
    openers: &[&str],
    items: &[(&str, &str)],
    reporter: &'static str,
    prospects_too: bool,
    out: &mut Vec<DemoFeedback>,
) {
    let weights = account_weights(accounts, prospects_too);
    for i in 0..count {
        let acct = &accounts[rng.weighted(&weights)].account;
        let (title, body) = items[i % items.len()];
        let name = rng.pick(CONTACT_NAMES).copied().unwrap_or("Dana");
        let role = rng.pick(CONTACT_ROLES).copied().unwrap_or("CFO");
        let opener = rng.pick(openers).copied().unwrap_or("");
        let closer = rng.pick(CLOSERS).copied().unwrap_or("");
        let text = format!("{opener} {body} {closer}");
        out.push(DemoFeedback {
            source,
            external_id: format!("demo-{}-{}", source.as_str(), i + 1),
            title: Some(title.to_string()),
            body: fill(text.trim(), rng, name, role),
            account_external_id: Some(acct.external_id.clone()),
            contact_email: contact(rng, acct),
            reporter_email: Some(reporter),
            received_at: moment(rng, anchor),
            nps_score: None,
            metadata: json!({"demo": true}),
        });
    }
}

/// Every demo feedback item: 10,003 support tickets, sales and success notes, NPS answers.
pub fn feedback(accounts: &[DemoAccount], now: OffsetDateTime) -> Vec<DemoFeedback> {
    let anchor = anchor(now);
    let mut rng = Rng::from_state(SEED ^ 0xFEED);
    let mut out = Vec::with_capacity(10_600);
    let support_weights = account_weights(accounts, false);
    for (row, (text, intent)) in banking77().into_iter().enumerate() {
        let acct = &accounts[rng.weighted(&support_weights)].account;
        out.push(DemoFeedback {
            source: Source::Support,
            external_id: format!("banking77-{}", row + 1),
            title: None,
            body: text,
            account_external_id: Some(acct.external_id.clone()),
            contact_email: contact(&mut rng, acct),
            reporter_email: Some("support@example.com"),
            received_at: moment(&mut rng, anchor),
            nps_score: None,
            metadata: json!({"dataset": "banking77", "intent": intent}),
        });
    }
    notes(
        &mut rng,
        accounts,
        anchor,
        Source::Sales,
        SALES_NOTE_COUNT,
        SALES_OPENERS,
        SALES_NOTES,
        "sales@example.com",
        true,
        &mut out,
    );
    notes(
        &mut rng,
        accounts,
        anchor,
        Source::Success,
        SUCCESS_NOTE_COUNT,
        SUCCESS_OPENERS,
        SUCCESS_NOTES,
        "success@example.com",
        false,
        &mut out,
    );
    nps(&mut rng, accounts, anchor, &mut out);
    out
}

/// NPS answers concentrated on ~40 customers so their pages show a monthly history; each
/// customer has a mood that drifts over the year.
fn nps(
    rng: &mut Rng,
    accounts: &[DemoAccount],
    anchor: OffsetDateTime,
    out: &mut Vec<DemoFeedback>,
) {
    let surveyed: Vec<&NewAccount> = accounts
        .iter()
        .map(|a| &a.account)
        .filter(|a| a.lifecycle != Lifecycle::Prospect)
        .take(40)
        .collect();
    let moods: Vec<(i64, i64)> = surveyed
        .iter()
        .map(|a| {
            let base = if a.lifecycle == Lifecycle::Churned {
                5
            } else {
                rng.range(8, 10)
            };
            (base, rng.range(-2, 2))
        })
        .collect();
    for i in 0..NPS_COUNT {
        let k = rng.below(surveyed.len());
        let acct = surveyed[k];
        let (base, drift) = moods[k];
        let when = moment(rng, anchor);
        // Drift: the mood moves by `drift` points over the year, towards today.
        let age = (anchor - when).whole_days().clamp(0, 365);
        let mood = base * 365 + drift * (365 - age);
        let noise = [-3, -1, 0, 0, 1, 1][rng.below(6)];
        let score = (mood / 365 + noise).clamp(0, 10) as i16;
        let pool = match score {
            9..=10 => PROMOTER_COMMENTS,
            7..=8 => PASSIVE_COMMENTS,
            _ => DETRACTOR_COMMENTS,
        };
        let comment = if rng.chance(0.22) {
            None
        } else {
            rng.pick(pool).map(|c| c.to_string())
        };
        out.push(DemoFeedback {
            source: Source::Nps,
            external_id: format!("demo-nps-{}", i + 1),
            title: None,
            // Feedback needs a body; an answer without a comment says so.
            body: comment.unwrap_or_else(|| format!("Score {score}, no comment.")),
            account_external_id: Some(acct.external_id.clone()),
            contact_email: contact(rng, acct),
            reporter_email: Some("success@example.com"),
            received_at: when,
            nps_score: Some(score),
            metadata: json!({"survey": "Quarterly relationship NPS"}),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_content_is_deterministic_and_complete() {
        let accounts = accounts();
        assert_eq!(accounts.len(), ACCOUNTS);
        let now = OffsetDateTime::now_utc();
        let a = feedback(&accounts, now);
        let b = feedback(&accounts, now);
        assert_eq!(a.len(), b.len());
        assert_eq!(a[500].body, b[500].body);
        let support = a.iter().filter(|f| f.source == Source::Support).count();
        assert_eq!(support, 10_003);
        assert!(a.iter().all(|f| !f.body.is_empty()));
        assert!(a.iter().all(|f| f.received_at <= now));
        assert!(
            a.iter().all(|f| !f.body.contains('{')),
            "placeholders filled"
        );
        let oldest = a.iter().map(|f| f.received_at).min().unwrap();
        assert!(now - oldest <= Duration::days(367));
        let ids: std::collections::HashSet<_> = a.iter().map(|f| &f.external_id).collect();
        assert_eq!(ids.len(), a.len(), "external ids unique");
    }
}
