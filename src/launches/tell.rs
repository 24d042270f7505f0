//! Who to tell: the accounts and reporters whose feedback asked for a launch, and the CSV.

use super::db::{Task, TellAccount};
use crate::auth::User;

/// An account line as the pages show it.
pub struct TellLine {
    pub account: TellAccount,
    pub arr_short: String,
    pub arr_exact: String,
    pub segment: &'static str,
    pub task: Option<Task>,
    /// The viewer owns the account or logged some of its feedback.
    pub mine: bool,
    /// The viewer may mark its follow-up done.
    pub may_close: bool,
}

/// Lines in the order a reader needs them: the viewer's own accounts first, then the rest by ARR.
pub fn lines(user: &User, accounts: Vec<TellAccount>, tasks: &[Task]) -> Vec<TellLine> {
    let mut out: Vec<TellLine> = accounts
        .into_iter()
        .map(|a| TellLine {
            arr_short: a
                .arr_cents
                .map(|c| crate::web::money::format_arr_short(c, &a.currency))
                .unwrap_or_else(|| "—".into()),
            arr_exact: a
                .arr_cents
                .map(|c| crate::web::money::format_arr_exact(c, &a.currency))
                .unwrap_or_else(|| "No ARR recorded".into()),
            segment: crate::web::labels::segment_label(a.segment.as_deref()).unwrap_or("—"),
            task: tasks.iter().find(|t| t.account_id == a.account_id).cloned(),
            may_close: tasks
                .iter()
                .find(|t| t.account_id == a.account_id)
                .is_some_and(|t| super::actions::may_close_task(user, t)),
            mine: a.owner_id == Some(user.id) || a.reporter_ids.contains(&user.id),
            account: a,
        })
        .collect();
    out.sort_by_key(|l| !l.mine);
    out
}

fn cell(s: &str) -> String {
    // A leading formula character would run in a spreadsheet; quote it as text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The who-to-tell list as CSV: one row per account.
pub fn csv(accounts: &[TellAccount], tasks: &[Task]) -> String {
    let mut out = String::from(
        "account_id,account,arr,currency,segment,owner,items,feedback_ids,reporters,follow_up\n",
    );
    for a in accounts {
        let task = tasks.iter().find(|t| t.account_id == a.account_id);
        let follow = match task {
            Some(t) if t.done_at.is_some() => "done",
            Some(_) => "not done",
            None => "no task",
        };
        let row = [
            a.account_id.to_string(),
            cell(&a.name),
            a.arr_cents
                .map(|c| format!("{}.{:02}", c / 100, c % 100))
                .unwrap_or_default(),
            a.currency.clone(),
            a.segment.clone().unwrap_or_default(),
            cell(a.owner_name.as_deref().unwrap_or("")),
            a.items.to_string(),
            cell(
                &a.feedback_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            cell(&a.reporter_names.join("; ")),
            follow.to_owned(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}
