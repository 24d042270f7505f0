//! Demo themes for the demo product (a business finance app: cards, payments, transfers, FX…).

use super::tagging::db as tags;
use sqlx::PgPool;

use super::{Decision, ThemeFields, db, edit};
use crate::audit::Actor;

/// (name, parent name, description, keywords).
const THEMES: &[(&str, Option<&str>, &str, &str)] = &[
    (
        "Cards",
        None,
        "Company cards: ordering, activating, spending and controlling them.",
        "card, cards, company card, virtual card, virtual cards, bulk card issuing, card for each vendor",
    ),
    (
        "Card delivery and activation",
        Some("Cards"),
        "New or replacement cards that are late, lost in the post or will not activate.",
        "card not arrived, card delivery, activate card, card activation, replacement card, new card",
    ),
    (
        "Declined card payments",
        Some("Cards"),
        "Card payments refused at a merchant, online or at an ATM.",
        "card declined, payment declined, card not working, card refused, declined at merchant",
    ),
    (
        "Lost, stolen or compromised cards",
        Some("Cards"),
        "Freezing, cancelling and replacing cards that are lost, stolen or used by someone else.",
        "lost card, stolen card, freeze card, cancel card, fraud, compromised card, unauthorised payment",
    ),
    (
        "ATM and cash withdrawals",
        Some("Cards"),
        "Withdrawing cash: wrong amounts, withdrawal limits and cash fees.",
        "atm, cash withdrawal, withdraw cash, wrong amount of cash, atm fee",
    ),
    (
        "Payments and transfers",
        None,
        "Sending and receiving money between accounts and to suppliers.",
        "transfer, payment, bank transfer, send money",
    ),
    (
        "Pending and failed transfers",
        Some("Payments and transfers"),
        "Transfers that are stuck, slow, pending, failed or returned.",
        "transfer pending, transfer failed, transfer not received, transfer taking long, payment stuck, money not arrived",
    ),
    (
        "Incoming payments and top-ups",
        Some("Payments and transfers"),
        "Topping up the account and receiving money: missing or pending top-ups and deposits.",
        "top up, top-up failed, top up pending, deposit not showing, incoming payment, add money",
    ),
    (
        "Direct debits and recurring payments",
        Some("Payments and transfers"),
        "Direct debits, standing orders and merchant charges that repeat or are unrecognised.",
        "direct debit, recurring payment, unrecognised payment, charged twice, duplicate charge, refund",
    ),
    (
        "Currency exchange",
        None,
        "Spending and sending in other currencies: exchange rates and conversion.",
        "exchange rate, currency, foreign currency, fx, fx rate, conversion, wrong exchange rate, fx spread, mid-market, multi-currency, international payments",
    ),
    (
        "Fees and pricing",
        None,
        "Charges customers did not expect: transfer fees, card fees, top-up fees and plan pricing.",
        "fee, fees, charged a fee, extra charge, pricing, price, cost, commission, per seat, too expensive, cash back, rewards, year free, good value",
    ),
    (
        "Onboarding and verification",
        None,
        "Opening an account: identity checks, documents and verification that stall.",
        "verify identity, verification, identity check, kyc, kyb, documents, passport, onboarding, onboard, why verify, live in under, training video",
    ),
    (
        "Account access and security",
        None,
        "Signing in, passcodes, two-factor and account security.",
        "passcode, password, pin, log in, sign in, locked out, two factor, security, soc 2, pen test, security questionnaire, sso, saml, scim, okta, offboarding, phishing, hardware key, new device, audit trail",
    ),
    (
        "App experience",
        None,
        "The mobile and web app: usability, bugs, missing features and settings.",
        "app, mobile app, feature, bug, crash, settings, change details, apple pay, google pay, notifications, noisy, nice ui, clean app",
    ),
    (
        "Accounting integrations",
        None,
        "Syncing transactions to the books and closing the month: NetSuite, Xero, QuickBooks, Sage, bank feeds.",
        "accounting sync, accounting rules, netsuite, xero, quickbooks, sage intacct, gl code, gl account, reconciliation, bank feed, bank connection, month-end, close takes, bookkeeper, dimensions, subsidiary",
    ),
    (
        "Approvals and spend controls",
        None,
        "Who may spend and who approves: approval chains, limits, per-card and per-merchant controls.",
        "approval, approvals, approver, approval chain, approval rules, approval flow, delegate approvals, spend limit, card limit, higher limits, per diem, card controls, locked to one merchant, budgets, budget",
    ),
    (
        "Receipts, invoices and expenses",
        None,
        "Capturing receipts and invoices and turning them into expenses and bills.",
        "receipt, receipts, receipt capture, receipt matching, invoice capture, invoices, invoice pdf, expense, expenses, expense report, line items, purchase order, po matching, three-way match, bills",
    ),
    (
        "Payouts and bulk payments",
        Some("Payments and transfers"),
        "Paying many people at once: contractor payouts, batch files, payroll runs, local rails abroad.",
        "payout, payouts, batch payouts, bulk payment, contractors, payroll, 1099, supplier payment, pay suppliers, pay local suppliers, spei, statement descriptor, cut-off time",
    ),
    (
        "Entities, roles and permissions",
        None,
        "Several legal entities in one place, and who can see or do what in each.",
        "multi-entity, entities, legal entities, consolidated reporting, permissions, role, roles, bookkeeper role, accountant, partner login, team leads, read-only",
    ),
    (
        "Reporting and exports",
        None,
        "Seeing where money goes: dashboards, reports, exports and forecasts.",
        "report, reporting, reports, export, exports, spend dashboard, dashboard, budget vs actual, cash forecast, forecasting, spend visibility, board pack, spend by location",
    ),
    (
        "API and developer tools",
        None,
        "Moving money and reading data from the customer's own tooling.",
        "api, webhooks, rate limits, batch endpoint, idempotent, engineering team, treasury api",
    ),
    (
        "Support and service",
        None,
        "How customers find our help: speed, quality, disputes and escalations.",
        "support, support team, support answers, helpful, dispute, disputes, escalation, account manager, answers in minutes",
    ),
];

/// Create the demo theme tree (skipping themes that already exist), tag the feedback, confirm
/// the most confident suggestion of a few themes as a PM would, and re-tag so the tagger
/// learns from them. Call it after the demo feedback is loaded; safe to run twice.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let actor = Actor::System("goldthread demo");
    let owner = crate::auth::db::find_by_email(pool, "pm@example.com")
        .await?
        .map(|u| u.id);
    let mut created = Vec::new();
    for (name, parent, description, keywords) in THEMES {
        let existing = db::list(pool, Some("active")).await?;
        if existing.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        let parent_id = parent.and_then(|p| existing.iter().find(|t| t.name == p).map(|t| t.id));
        let fields = ThemeFields {
            name: (*name).into(),
            description: (*description).into(),
            keywords: super::parse_keywords(keywords),
            parent_id,
            owner_id: owner,
        };
        let theme = edit::create(pool, &actor, &fields)
            .await
            .map_err(|e| anyhow::anyhow!("creating demo theme {name}: {e}"))?;
        created.push(theme.id);
    }
    super::retag_all(pool, None).await?;
    // A PM's first review: confirm the two most confident suggestions of every other theme.
    // Demo decisions are the demo loader's, not a person's (the audit log says so).
    let reviewer = Actor::System("goldthread demo");
    let mut confirmed = 0;
    for id in created.iter().step_by(2) {
        let tags: Vec<i64> = tags::suggestions(pool, Some(*id), 2)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        confirmed += edit::decide(pool, &reviewer, &tags, Decision::Confirm)
            .await
            .map_err(|e| anyhow::anyhow!("confirming demo tags: {e}"))?;
    }
    if confirmed > 0 {
        super::retag_all(pool, None).await?;
    }
    Ok(())
}
