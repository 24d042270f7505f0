//! Markdown to safe HTML: pulldown-cmark renders, raw HTML is shown as text, ammonia cleans.

use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, html};

/// HTML produced from Markdown that is safe to put in a page: no script, no event handler, no
/// `javascript:` link, no SVG, no raw HTML of any kind; every link gets
/// `rel="noopener noreferrer"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// Cleaned HTML needs no escaping; askama writes it as it is.
impl askama::filters::HtmlSafe for SafeHtml {}

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.link_rel(Some("noopener noreferrer"))
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .rm_tags(["img"]);
        b
    })
}

/// Render Markdown to cleaned HTML.
pub fn render(markdown: &str) -> SafeHtml {
    SafeHtml(cleaner().clean(&to_html(markdown)).to_string())
}

/// [`render`] for a page read away from the site (an email, a feed reader): relative links are
/// made absolute against `base` (e.g. `https://hub.example.com`).
pub fn render_absolute(markdown: &str, base: &str) -> SafeHtml {
    let Ok(base) = ammonia::Url::parse(&format!("{}/", base.trim_end_matches('/'))) else {
        return render(markdown);
    };
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base))
        .rm_tags(["img"]);
    SafeHtml(b.clean(&to_html(markdown)).to_string())
}

fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Raw HTML in the source becomes visible text, so nothing typed as a tag is ever a tag.
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_renders_and_links_get_rel() {
        let html = render("# Hi\n\n- one\n- [two](https://example.com)");
        assert!(html.as_str().contains("<h1>Hi</h1>"));
        assert!(html.as_str().contains("<li>one</li>"));
        assert!(
            html.as_str().contains("rel=\"noopener noreferrer\""),
            "{html}"
        );
    }

    #[test]
    fn away_from_the_site_relative_links_become_absolute() {
        let html = super::render_absolute(
            "[the guide](/launches/3/guide) and [docs](https://docs.example.com/x)",
            "https://hub.example.com/",
        );
        assert!(
            html.as_str()
                .contains("href=\"https://hub.example.com/launches/3/guide\""),
            "{html}"
        );
        assert!(
            html.as_str()
                .contains("href=\"https://docs.example.com/x\"")
        );
        assert!(
            !super::render_absolute("<script>x</script>", "https://h")
                .as_str()
                .contains("<script")
        );
    }

    #[test]
    fn raw_html_and_scripts_are_inert() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<svg onload=alert(1)><circle/></svg>",
            "<a href=\"javascript:alert(1)\">x</a>",
        ] {
            let html = render(attack);
            let s = html.as_str().to_lowercase();
            assert!(!s.contains("<script"), "{s}");
            assert!(!s.contains("<svg"), "{s}");
            assert!(!s.contains("<img"), "{s}");
            // Text holds no raw `<`, so every `<…>` is a real tag: none may carry a handler.
            for tag in s
                .split('<')
                .skip(1)
                .map(|t| t.split('>').next().unwrap_or(""))
            {
                assert!(!tag.contains(" on") && !tag.contains("javascript:"), "{s}");
            }
        }
    }
}
