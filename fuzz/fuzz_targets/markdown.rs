//! The Markdown renderer (guides, FAQ answers) on any text: never a panic, and what it returns
//! carries no script, no event handler and no `javascript:` link, whatever was typed.
//!
//! The checks read the output as the HTML it is: the serializer escapes `<` and `>` in text and
//! in attribute values and always double-quotes attribute values (a `"` inside becomes `&quot;`),
//! so every `<` opens a tag. Words such as `src="javascript:` or ` onclick=` in text or inside a
//! quoted value (a link title) are harmless and not flagged.
#![no_main]

use libfuzzer_sys::fuzz_target;

const FORBIDDEN_TAGS: &[&str] = &[
    "script", "iframe", "frame", "object", "embed", "svg", "math", "style", "img", "form", "base",
    "link", "meta",
];
const URL_ATTRS: &[&str] = &["href", "src", "action", "formaction", "xlink:href", "cite"];
const BAD_SCHEMES: &[&str] = &["javascript:", "data:", "vbscript:"];

fuzz_target!(|text: &str| {
    let html = goldthread::web::markdown::render(text).to_string();
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(open) = rest.find('<') {
        let tag_start = &rest[open + 1..];
        let close = tag_start
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag from {text:?}: {html}"));
        let tag = &tag_start[..close];
        rest = &tag_start[close + 1..];
        if tag.starts_with('/') || tag.starts_with('!') {
            continue;
        }
        let (name, mut attrs) = tag.split_at(tag.find([' ', '/']).unwrap_or(tag.len()));
        assert!(
            !FORBIDDEN_TAGS.contains(&name),
            "<{name}> from {text:?}: {html}"
        );
        // name="value" pairs (values quoted by the serializer), or bare names.
        loop {
            attrs = attrs.trim_start_matches([' ', '/']);
            if attrs.is_empty() {
                break;
            }
            let end = attrs.find(['=', ' ']).unwrap_or(attrs.len());
            let attr = &attrs[..end];
            assert!(
                !attr.starts_with("on"),
                "handler {attr} in <{name}> from {text:?}: {html}"
            );
            attrs = &attrs[end..];
            if let Some(v) = attrs.strip_prefix("=\"") {
                let q = v
                    .find('"')
                    .unwrap_or_else(|| panic!("unquoted value in <{tag}> from {text:?}: {html}"));
                let value = &v[..q];
                if URL_ATTRS.contains(&attr) {
                    let url: String = value
                        .chars()
                        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
                        .collect();
                    for scheme in BAD_SCHEMES {
                        assert!(
                            !url.starts_with(scheme),
                            "{attr}={value:?} in <{name}> from {text:?}: {html}"
                        );
                    }
                }
                attrs = &v[q + 1..];
            } else {
                assert!(
                    !attrs.starts_with('='),
                    "unquoted value in <{tag}> from {text:?}: {html}"
                );
            }
        }
    }
});
