//! Hand-written demo text for the fictional B2B fintech product: sales notes, success notes
//! and NPS comments. `{contact}`, `{role}`, `{n}`, `{amount}` and `{competitor}` vary per use.

/// Who notes are about.
pub const CONTACT_NAMES: &[&str] = &[
    "Dana", "Marcus", "Aisha", "Tomás", "Priyanka", "Lena", "Kwame", "Sofia", "Hiro", "Grace",
    "Mateo", "Nadia", "Oliver", "Yara", "Ben", "Chloé", "Ravi", "Ingrid", "Samuel", "Mina",
];

pub const CONTACT_ROLES: &[&str] = &[
    "CFO",
    "controller",
    "head of finance",
    "VP finance",
    "finance ops lead",
    "AP manager",
    "treasury manager",
    "COO",
    "founder",
    "head of operations",
];

pub const COMPETITORS: &[&str] = &[
    "Brex",
    "Ramp",
    "Mercury",
    "Airwallex",
    "Wise Business",
    "Revolut Business",
    "Payoneer",
    "their bank",
];

/// Openers for sales notes; `{contact}` and `{role}` are filled in.
pub const SALES_OPENERS: &[&str] = &[
    "Discovery call with {contact} ({role}).",
    "Demo for {contact}, their {role}, plus two people from AP.",
    "Follow-up with {contact} ({role}) after the trial kicked off.",
    "Pricing call with {contact} ({role}).",
    "Quick sync with {contact} ({role}) ahead of their budget review.",
    "Met {contact} ({role}) at the fintech meetup; continued on a call.",
    "Security review session with {contact} ({role}) and their IT lead.",
    "Renewal-expansion conversation with {contact} ({role}).",
];

/// The substance of sales notes: (title, body).
pub const SALES_NOTES: &[(&str, &str)] = &[
    (
        "Needs multi-entity consolidation",
        "They run three legal entities (US, UK, NL) and today reconcile them in spreadsheets. The deal hinges on seeing all entities' balances and card spend in one view with per-entity permissions. {competitor} demoed this to them last week.",
    ),
    (
        "Blocked on NetSuite sync",
        "Finance won't sign until card transactions sync to NetSuite with the right subsidiary and department. They tried {competitor} and the sync dropped class fields. Asked for a sandbox to test mapping.",
    ),
    (
        "Wants higher card limits",
        "Their marketing team spends about {amount} a month on ads and our default limit is too low. Asked if limits can be raised per card without a new underwriting review each time.",
    ),
    (
        "FX spread is the deciding factor",
        "They pay about {n} suppliers in EUR and GBP every month. {competitor} quoted them 0.4% over mid-market; they want us at or below that, with rates locked for 24 hours.",
    ),
    (
        "Approval chains for large payments",
        "Any payment over {amount} needs two approvers, and over five times that needs the CFO. Our approval rules only do one level. This is a must-have for procurement.",
    ),
    (
        "Asked for virtual cards per vendor",
        "They want a virtual card for each SaaS vendor so they can cancel one without reissuing everything. Currently using {competitor} for this and would consolidate if we match it.",
    ),
    (
        "SOC 2 report and pen test",
        "Security questionnaire has 140 questions. They need our SOC 2 Type II report and a summary of the last pen test before legal will look at the contract.",
    ),
    (
        "Batch payouts to contractors",
        "They pay {n} contractors in 12 countries every two weeks. Uploading a CSV of payouts is the feature they care about; today someone spends a full day in {competitor}.",
    ),
    (
        "Receipt capture by email",
        "Employees lose receipts. They loved that receipts can be forwarded to an address, but asked whether we match receipts to transactions automatically or someone has to do it by hand.",
    ),
    (
        "Wants an API for treasury",
        "Their engineering team wants to move money between accounts from their own tooling. Asked whether our API supports idempotent transfers and webhooks for settlement.",
    ),
    (
        "Concern about onboarding time",
        "Their last provider took six weeks to onboard. {contact} wants a written plan showing they are live in under two weeks, including KYB for the overseas entity.",
    ),
    (
        "Yield on idle cash",
        "They hold roughly {amount} in operating cash and {competitor} offers a treasury account with yield. Asked if we have anything comparable or on the roadmap.",
    ),
    (
        "Per diem and travel policy",
        "Field teams travel constantly. They want per diem cards that reset daily and block categories like gambling and cash withdrawals.",
    ),
    (
        "Invoice payments with approval from Slack",
        "Approvers live in Slack. They asked whether bill approvals can happen from a Slack message instead of logging in.",
    ),
    (
        "Needs local payment rails in Mexico",
        "Expansion into Mexico next quarter; they need to pay local suppliers via SPEI. {competitor} supports it, we don't yet.",
    ),
    (
        "Wants 1099 reporting",
        "US contractors need 1099s at year end. They asked if we collect W-9s during payee onboarding and generate 1099s.",
    ),
    (
        "Budget owners want spend visibility",
        "Department heads want to see their budget vs actual in real time without access to the whole finance workspace. Asked about read-only budget views.",
    ),
    (
        "Accounting firm as a user",
        "Their outsourced accountant needs access to several clients' workspaces. Asked about a partner login that can switch between companies.",
    ),
    (
        "Procurement wants PO matching",
        "They issue purchase orders and want bills matched against POs before payment. Three-way match would replace a manual step that takes a week every month.",
    ),
    (
        "Card controls by merchant",
        "They want cards locked to one merchant, not a category. Engineering buys cloud credits on cards and got burned by a leaked card number.",
    ),
    (
        "Mobile app for approvals",
        "Executives approve on their phones. The mobile app needs to show the invoice PDF, not just the amount, or they won't approve from it.",
    ),
    (
        "Cash back vs rewards",
        "Comparing cash back. {competitor} offers 1.5% flat; our tiered rewards confused them. Asked for a simple comparison sheet.",
    ),
    (
        "SSO is a hard requirement",
        "IT requires SAML SSO with Okta and SCIM provisioning for 300 employees. Without SCIM, offboarding is a risk they won't accept.",
    ),
    (
        "Multi-currency accounts",
        "They receive USD from US customers and pay staff in EUR. Want to hold balances in both without converting on every transaction.",
    ),
    (
        "Data export for auditors",
        "Auditors want a full export of transactions with approval history. Asked whether the export includes who approved what and when.",
    ),
    (
        "Wants spend limits by project",
        "They bill clients per project and want cards tied to a project code so spend lands on the right invoice.",
    ),
    (
        "Trial stalled on bank connection",
        "Trial is stalled: connecting their existing bank for funding failed twice with a generic error. {contact} is losing patience; support ticket is open.",
    ),
    (
        "Pricing per seat is a blocker",
        "Per-seat pricing doesn't work for them: {n} employees have cards but only spend occasionally. They asked for pricing by active card.",
    ),
    (
        "Needs audit trail for card changes",
        "Compliance wants a log of every limit change and card freeze with who did it. Asked if it can be exported monthly.",
    ),
    (
        "Interested in supplier financing",
        "Their suppliers want faster payment and they want to pay on 60-day terms. Asked if we offer early payment or supplier financing.",
    ),
];

/// Openers for customer-success notes.
pub const SUCCESS_OPENERS: &[&str] = &[
    "QBR with {contact} ({role}).",
    "Monthly check-in with {contact} ({role}).",
    "Onboarding session with {contact} ({role}) and the AP team.",
    "{contact} ({role}) reached out directly.",
    "Health check call with {contact} ({role}).",
    "Renewal prep with {contact} ({role}).",
    "Escalation call with {contact} ({role}).",
    "Training session for their finance team, led by {contact} ({role}).",
];

/// The substance of success notes: (title, body).
pub const SUCCESS_NOTES: &[(&str, &str)] = &[
    (
        "Month-end close still takes too long",
        "Close takes them {n} days. Most of it is chasing receipts and recoding transactions that synced to the wrong GL account. They asked for rules that set the GL code by merchant.",
    ),
    (
        "Reconciliation mismatches with Xero",
        "About {n} transactions a month show up twice in Xero after refunds. The controller now checks every refund by hand. Wants refunds to net against the original charge.",
    ),
    (
        "Happy with virtual cards, want more control",
        "Virtual cards are the most loved feature. They now want cards that expire automatically after a set date for one-off purchases.",
    ),
    (
        "FX fees surprised them",
        "The invoice showed FX fees they didn't expect on card purchases in GBP. They want fees shown on each transaction, not only on the statement.",
    ),
    (
        "Approval notifications are noisy",
        "Approvers get an email for every small expense. They asked for a daily digest and a threshold below which nothing needs approval.",
    ),
    (
        "Payouts delayed on Fridays",
        "Payouts sent Friday afternoon arrived Tuesday. Their contractors complained. They want a cut-off time shown before they submit.",
    ),
    (
        "Wants role for the external accountant",
        "Their accountant needs to categorise transactions but must not move money. Asked for a bookkeeper role with no payment rights.",
    ),
    (
        "Expense report export is too basic",
        "They export expenses to build reports for the board. The CSV lacks the department and the approver. They'd like a scheduled report emailed monthly.",
    ),
    (
        "Card declines at hotels",
        "Several employees had cards declined at hotel check-in because of pre-authorisation holds. They want limits to allow for holds, or a travel mode.",
    ),
    (
        "Considering moving to {competitor}",
        "{competitor} offered them a year free. They are staying for now because of our support, but want a roadmap date for accounting rules and better FX rates.",
    ),
    (
        "Bank feed disconnects",
        "Their bank feed disconnected twice this month and balances looked wrong until support reconnected it. They want an alert when the feed breaks.",
    ),
    (
        "Multi-entity rollout going well",
        "The second entity is live. They want consolidated reporting across entities in the base currency, which today they build in Excel.",
    ),
    (
        "Needs bulk card issuing",
        "They hire {n} people a month and issue cards one at a time. Asked for bulk issuing from a CSV or from their HRIS.",
    ),
    (
        "Receipt OCR misses totals",
        "Receipt matching works for US receipts but misreads totals on European receipts with commas as decimals. Finance fixes them by hand.",
    ),
    (
        "API rate limits hit during payroll",
        "Their payroll job calls our API and hits rate limits when paying everyone at once. Asked for a batch endpoint or higher limits.",
    ),
    (
        "Spending insights used in leadership meeting",
        "They now review the spend dashboard in their weekly leadership meeting. Asked for comparisons to the previous quarter and per-team trends.",
    ),
    (
        "Lost card replacement too slow",
        "A physical card replacement took 9 days to arrive in Germany. They want instant virtual replacements while the physical one ships.",
    ),
    (
        "Wants approval delegation for holidays",
        "When the CFO is on holiday, approvals pile up. They want to delegate approvals for a date range.",
    ),
    (
        "Invoice capture from email works well",
        "Forwarding invoices to the inbox saved AP about {n} hours a month. They'd like line items extracted, not only the total.",
    ),
    (
        "Permissions too coarse",
        "Team leads can either see everything or nothing. They want team leads to see only their team's cards and spend.",
    ),
    (
        "Statement descriptors confuse vendors",
        "Vendors receiving payouts don't recognise the payment because the descriptor shows our name, not theirs. Asked to customise it.",
    ),
    (
        "Security review after phishing attempt",
        "They had a phishing attempt targeting card admins. Asked for hardware key support and alerts on new device sign-ins.",
    ),
    (
        "Cash flow forecasting ask",
        "They want to see upcoming bills and scheduled payouts as a 30-day cash forecast. Today they export to a spreadsheet every Monday.",
    ),
    (
        "Churn risk: consolidating vendors",
        "New CFO is consolidating finance tools and {competitor} bundles payroll. Renewal is at risk unless we show value in the next QBR.",
    ),
    (
        "Expanding to more teams",
        "Marketing and sales ops want cards too. That would add about {n} users. They asked for a short training video to onboard them.",
    ),
    (
        "Recurring payments are fragile",
        "A recurring supplier payment failed silently when the balance was low. They want a warning a few days ahead and a retry.",
    ),
    (
        "Wants Sage Intacct dimensions",
        "They moved to Sage Intacct and need location and project dimensions on every synced transaction.",
    ),
    (
        "Dispute process unclear",
        "They disputed a duplicate charge and didn't know the status for three weeks. Asked for dispute tracking in the app.",
    ),
    (
        "Great support experience",
        "The support team fixed a payout routing problem within an hour. {contact} said it's the main reason they recommend us.",
    ),
    (
        "Wants card spend by location",
        "They run {n} stores. They want each store manager's card tagged with the store so spend reports split by location.",
    ),
];

/// Follow-ups at the end of a note.
pub const CLOSERS: &[&str] = &[
    "Next step: send the roadmap one-pager.",
    "Promised an answer by end of next week.",
    "Logged the ask for the product team.",
    "They'd pay more for this on the Scale plan.",
    "Will bring product into the next call.",
    "No commitment made on dates.",
    "Shared the help centre article; it only partly covers it.",
    "",
];

/// NPS comments for promoters (9–10).
pub const PROMOTER_COMMENTS: &[&str] = &[
    "Virtual cards changed how we manage SaaS spend. Love it.",
    "Support answers in minutes, not days.",
    "Month-end is two days shorter since we switched.",
    "The approval flow is simple and the team actually uses it.",
    "Payouts to our contractors abroad just work.",
    "Best finance tool we've adopted in years.",
    "Receipt capture by email is brilliant.",
    "Clean app, fast, and the FX rates are fair.",
    "Onboarding was quick and the team was helpful.",
    "We replaced three tools with this.",
    "The Xero sync saves our bookkeeper hours every week.",
    "Card controls give me peace of mind.",
    "Really easy to issue cards to new hires.",
    "Reliable. I never think about it, which is the point.",
    "Great mobile app for approvals on the go.",
];

/// NPS comments for passives (7–8).
pub const PASSIVE_COMMENTS: &[&str] = &[
    "Good product, but the accounting sync needs more control over GL codes.",
    "Works well; reporting is basic.",
    "Fine for cards, still use our bank for international payments.",
    "Would be a 10 with multi-entity reporting.",
    "FX fees could be clearer on each transaction.",
    "Solid, though approvals get noisy.",
    "Happy overall. Payout times on Fridays are slow.",
    "Missing SSO provisioning, otherwise great.",
    "Good value, but the export lacks department data.",
    "Does the job. The mobile app could show invoice PDFs.",
    "We like it but bank feed disconnections are annoying.",
    "Nice UI. Wish budgets per team were easier.",
];

/// NPS comments for detractors (0–6).
pub const DETRACTOR_COMMENTS: &[&str] = &[
    "Cards declined at hotels three times this quarter. Embarrassing for our team.",
    "Reconciliation with Xero creates duplicates after refunds.",
    "Took weeks to get a replacement card in Europe.",
    "FX spread is higher than what we were quoted.",
    "Bank connection keeps breaking and balances are wrong.",
    "Support is friendly but the dispute took a month.",
    "Permissions are all or nothing; we can't give team leads limited access.",
    "No SCIM means offboarding is manual and risky.",
    "Too expensive per seat for occasional spenders.",
    "Payouts failed without any warning.",
    "We still can't pay suppliers in Mexico.",
    "Receipt matching misreads European receipts constantly.",
    "Approval chains are too limited for our procurement rules.",
    "Reporting is too basic for a board pack.",
];
