//! The NPS monthly trend as an inline SVG line (−100 to 100, months without answers skipped).

use std::fmt::Write;

/// `points` are (month label, score or `None` when nobody answered).
pub fn monthly_line(points: &[(String, Option<i64>)]) -> String {
    let (w, h, left, top, bottom) = (640.0, 200.0, 44.0, 10.0, 26.0);
    let plot_h = h - top - bottom;
    let y = |v: i64| top + plot_h * (100 - v.clamp(-100, 100)) as f64 / 200.0;
    let n = points.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + 24.0 + (w - left - 56.0) * i as f64 / n;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="nps-chart-title"><title id="nps-chart-title">NPS by month, from −100 to 100</title>"#
    );
    for v in [-100, -50, 0, 50, 100] {
        let _ = write!(
            svg,
            r#"<line class="gridline" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{v}</text>"#,
            w - 8.0,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, s))| s.map(|s| format!("{:.1},{:.1}", x(i), y(s))))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="line" fill="none" points="{}"/>"#,
        line.join(" ")
    );
    for (i, (label, s)) in points.iter().enumerate() {
        if let Some(s) = s {
            let _ = write!(
                svg,
                r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="3"><title>{label}: {s}</title></circle>"#,
                x(i),
                y(*s)
            );
        }
        if i % 2 == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{label}</text>"#,
                x(i),
                h - 8.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_without_answers_leave_a_gap_not_a_zero() {
        let svg = super::monthly_line(&[("2026-01".into(), Some(100)), ("2026-02".into(), None)]);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("2026-01: 100"));
    }
}
