//! The email version of a digest: HTML with inline styles in a table layout (no external CSS,
//! no script) and a plain-text part, as `multipart/alternative`, with RFC 8058 one-click
//! unsubscribe headers. Every link is absolute.

use askama::Template;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::compose::{Composed, OpenQuestion, ThemeNews};
use crate::web::markdown::{self, SafeHtml};

/// One launch as the email shows it.
pub struct EmailLaunch {
    pub name: String,
    pub summary: String,
    pub status: &'static str,
    pub date_text: String,
    pub guide_url: String,
    pub value_html: SafeHtml,
    pub value_text: String,
    pub own_heading: Option<&'static str>,
    pub own_html: SafeHtml,
    pub own_text: String,
    pub prepare_html: SafeHtml,
    pub prepare_text: String,
    pub missing_guide: bool,
}

pub struct EmailFaq {
    pub launch: String,
    pub q: String,
    pub a_html: SafeHtml,
    pub a_text: String,
}

/// Everything both parts of the email say.
pub struct EmailView {
    pub title: String,
    pub period: String,
    pub audience: &'static str,
    pub reader_label: Option<&'static str>,
    pub intro_html: SafeHtml,
    pub intro_text: String,
    pub launches: Vec<EmailLaunch>,
    pub themes: Vec<ThemeNews>,
    pub faq: Vec<EmailFaq>,
    pub open_questions: Vec<OpenQuestion>,
    pub base: String,
    pub digest_url: String,
    pub unsubscribe_url: Option<String>,
}

impl EmailView {
    pub fn new(c: &Composed, base: &str, unsubscribe_url: Option<String>) -> Self {
        let md = |s: &str| markdown::render_absolute(s, base);
        EmailView {
            title: c.digest.title.clone(),
            period: c.digest.period_text(),
            audience: c.digest.audience.label(),
            reader_label: c.reader_label(),
            intro_html: md(&c.digest.intro),
            intro_text: c.digest.intro.clone(),
            launches: c
                .launches
                .iter()
                .map(|l| EmailLaunch {
                    name: l.name.clone(),
                    summary: l.summary.clone(),
                    status: l.status_label,
                    date_text: l.date_text.clone(),
                    guide_url: format!("{base}{}", l.guide_path()),
                    value_html: md(&l.value.markdown),
                    value_text: l.value.markdown.clone(),
                    own_heading: l.own.as_ref().map(|s| s.heading),
                    own_html: l.own.as_ref().map(|s| md(&s.markdown)).unwrap_or_default(),
                    own_text: l
                        .own
                        .as_ref()
                        .map(|s| s.markdown.clone())
                        .unwrap_or_default(),
                    prepare_html: md(&l.prepare.markdown),
                    prepare_text: l.prepare.markdown.clone(),
                    missing_guide: l.revision.is_none(),
                })
                .collect(),
            themes: c.snapshot.themes.clone(),
            faq: c
                .launches
                .iter()
                .flat_map(|l| {
                    l.faq.iter().map(|f| EmailFaq {
                        launch: l.name.clone(),
                        q: f.q.clone(),
                        a_html: md(&f.a_markdown),
                        a_text: f.a_markdown.clone(),
                    })
                })
                .collect(),
            open_questions: c.snapshot.open_questions.clone(),
            base: base.to_owned(),
            digest_url: format!("{base}/digests/{}", c.digest.id),
            unsubscribe_url,
        }
    }
}

#[derive(Template)]
#[template(path = "digests/email.html")]
pub struct EmailHtml<'a> {
    pub v: &'a EmailView,
}

#[derive(Template)]
#[template(path = "digests/email.txt")]
pub struct EmailText<'a> {
    pub v: &'a EmailView,
}

/// The email's HTML part on its own (the API serves it; previews show it).
pub fn html(v: &EmailView) -> anyhow::Result<String> {
    Ok(EmailHtml { v }.render()?)
}

pub fn text(v: &EmailView) -> anyhow::Result<String> {
    Ok(EmailText { v }.render()?)
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// The message for one recipient.
pub fn message(
    v: &EmailView,
    from: &str,
    to_name: &str,
    to_email: &str,
) -> anyhow::Result<lettre::Message> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| anyhow::anyhow!("GOLDTHREAD_MAIL_FROM is not an address: {e}"))?;
    let to = Mailbox::new(
        Some(to_name.to_owned()),
        to_email
            .parse()
            .map_err(|e| anyhow::anyhow!("{to_email} is not an address: {e}"))?,
    );
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(format!("{} ({})", v.title, v.period));
    if let Some(url) = &v.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }
    Ok(builder.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text(v)?),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html(v)?),
            ),
    )?)
}
