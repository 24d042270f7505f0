//! Word-level differences between two guide revisions, section by section.

use similar::{ChangeTag, TextDiff};

use super::guide::GuideContent;

/// A run of words that is unchanged, inserted or deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiffPart {
    /// `same`, `ins` or `del`.
    pub kind: &'static str,
    pub text: String,
}

/// One line of a section's changes, or a gap standing for unchanged lines left out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiffLine {
    pub gap: bool,
    pub parts: Vec<DiffPart>,
}

/// One section's changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SectionDiff {
    pub key: &'static str,
    pub label: &'static str,
    pub parts: Vec<DiffPart>,
    /// Only the lines that changed, unchanged stretches folded into gaps.
    pub lines: Vec<DiffLine>,
    pub inserted_words: usize,
    pub deleted_words: usize,
}

/// The word-level diff of two texts. A changed phrase reads as one deletion and one insertion
/// (the spaces between its words belong to both), not as a word-by-word zebra.
pub fn words(old: &str, new: &str) -> Vec<DiffPart> {
    let diff = TextDiff::configure().diff_words(old, new);
    let changes: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut parts: Vec<DiffPart> = Vec::new();
    let (mut del, mut ins) = (String::new(), String::new());
    let push = |parts: &mut Vec<DiffPart>, kind: &'static str, text: &str| {
        if text.is_empty() {
            return;
        }
        match parts.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(text),
            _ => parts.push(DiffPart {
                kind,
                text: text.to_owned(),
            }),
        }
    };
    for (i, (tag, text)) in changes.iter().enumerate() {
        let in_change = !del.is_empty() || !ins.is_empty();
        match tag {
            ChangeTag::Delete => del.push_str(text),
            ChangeTag::Insert => ins.push_str(text),
            ChangeTag::Equal
                if in_change
                    && text.trim().is_empty()
                    && changes
                        .get(i + 1)
                        .is_some_and(|(t, _)| *t != ChangeTag::Equal) =>
            {
                del.push_str(text);
                ins.push_str(text);
            }
            ChangeTag::Equal => {
                push(&mut parts, "del", &del);
                push(&mut parts, "ins", &ins);
                del.clear();
                ins.clear();
                push(&mut parts, "same", text);
            }
        }
    }
    push(&mut parts, "del", &del);
    push(&mut parts, "ins", &ins);
    parts
}

/// Keep the lines holding a change; each run of unchanged lines becomes one gap.
pub fn changed_lines(parts: &[DiffPart]) -> Vec<DiffLine> {
    let mut lines: Vec<Vec<DiffPart>> = vec![Vec::new()];
    for p in parts {
        for (i, piece) in p.text.split('\n').enumerate() {
            if i > 0 {
                lines.push(Vec::new());
            }
            if !piece.is_empty() {
                lines.last_mut().unwrap_or(&mut Vec::new()).push(DiffPart {
                    kind: p.kind,
                    text: piece.to_owned(),
                });
            }
        }
    }
    let mut out: Vec<DiffLine> = Vec::new();
    for line in lines {
        if line.iter().any(|p| p.kind != "same") {
            out.push(DiffLine {
                gap: false,
                parts: line,
            });
        } else if !out.last().is_some_and(|l| l.gap) {
            out.push(DiffLine {
                gap: true,
                parts: Vec::new(),
            });
        }
    }
    while out.last().is_some_and(|l| l.gap) {
        out.pop();
    }
    if out.first().is_some_and(|l| l.gap) {
        out.remove(0);
    }
    out
}

fn count_words(parts: &[DiffPart], kind: &str) -> usize {
    parts
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.text.split_whitespace().count())
        .sum()
}

/// Only the sections that changed between `old` and `new`.
pub fn guide(old: &GuideContent, new: &GuideContent) -> Vec<SectionDiff> {
    old.sections()
        .into_iter()
        .zip(new.sections())
        .filter(|(a, b)| a.2 != b.2)
        .map(|((key, label, a), (_, _, b))| {
            let parts = words(&a, &b);
            SectionDiff {
                key,
                label,
                inserted_words: count_words(&parts, "ins"),
                deleted_words: count_words(&parts, "del"),
                lines: changed_lines(&parts),
                parts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaced_words_show_as_del_and_ins() {
        let parts = words("the quick brown fox", "the slow brown fox jumps");
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "del" && p.text.contains("quick"))
        );
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "ins" && p.text.contains("slow"))
        );
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "ins" && p.text.contains("jumps"))
        );
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "same" && p.text.contains("brown fox"))
        );
    }
}
