//! The words pages use for stored keys: feedback sources and account segments, one place, so
//! a badge, a legend and a filter never disagree.

/// The six feedback sources, in the order charts and legends show them.
pub const SOURCES: [&str; 6] = ["sales", "success", "support", "nps", "research", "other"];

pub fn source_label(source: &str) -> &'static str {
    match source {
        "sales" => "Sales",
        "success" => "Customer success",
        "support" => "Support",
        "nps" => "NPS",
        "research" => "Research",
        _ => "Other",
    }
}

/// Account segments (key, label), for filters.
pub const SEGMENTS: [(&str, &str); 3] = [
    ("smb", "SMB"),
    ("mid_market", "Mid-market"),
    ("enterprise", "Enterprise"),
];

/// The label of a segment key, `None` for an unknown or missing one.
pub fn segment_label(segment: Option<&str>) -> Option<&'static str> {
    let key = segment?;
    SEGMENTS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}
