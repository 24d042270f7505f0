//! Inline SVG charts (sparklines, weekly stacked bars by source). Only numbers and fixed
//! labels go into the markup; any user text is escaped.

use std::fmt::Write;

use time::Date;

/// Escape text for HTML/SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `points` of a 100×24 sparkline polyline.
pub fn sparkline_points(values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = values.len().max(2) as f64 - 1.0;
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let x = 100.0 * i as f64 / n;
        let y = 22.0 - 20.0 * (*v).max(0) as f64 / max;
        let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { "" } else { " " });
    }
    out
}

/// One week of a stacked chart: (source, items) in legend order.
pub struct WeekStack {
    pub week: Date,
    pub parts: Vec<(&'static str, i64)>,
}

/// A stacked bar chart of items per week by source, 640×240, with a `<title>` and axes.
pub fn weekly_stacked(title: &str, weeks: &[WeekStack]) -> String {
    let (w, h, left, bottom, top) = (640.0, 240.0, 48.0, 28.0, 12.0);
    let plot_h = h - bottom - top;
    let max = weeks
        .iter()
        .map(|s| s.parts.iter().map(|p| p.1).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let nice = nice_max(max);
    let n = weeks.len().max(1) as f64;
    let slot = (w - left - 8.0) / n;
    let bar_w = (slot * 0.7).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title"><title id="chart-title">{}</title>"#,
        escape(title)
    );
    for i in 0..=4 {
        let v = nice * i / 4;
        let y = top + plot_h - plot_h * v as f64 / nice as f64;
        let _ = write!(
            svg,
            r#"<line class="gridline" x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{v}</text>"#,
            w - 8.0,
            left - 6.0,
            y + 4.0
        );
    }
    for (i, week) in weeks.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut base = top + plot_h;
        for (source, items) in &week.parts {
            if *items <= 0 {
                continue;
            }
            let bh = plot_h * *items as f64 / nice as f64;
            base -= bh;
            let _ = write!(
                svg,
                r#"<rect class="bar src-{source}" x="{x:.1}" y="{base:.1}" width="{bar_w:.1}" height="{bh:.1}"><title>Week of {}: {items} {}</title></rect>"#,
                week.week,
                super::labels::source_label(source)
            );
        }
        if i % 4 == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                h - 8.0,
                short_date(week.week)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text class="axis" x="10" y="{:.1}" transform="rotate(-90 10 {:.1})" text-anchor="middle">Items</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    svg.push_str("</svg>");
    svg
}

fn short_date(d: Date) -> String {
    format!("{} {}", &d.month().to_string()[..3], d.day())
}

/// A round axis maximum at or above `max`.
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step * 4 >= max {
                return m * step * 4;
            }
        }
        step *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_box() {
        assert_eq!(
            sparkline_points(&[0, 5, 10]),
            "0.0,22.0 50.0,12.0 100.0,2.0"
        );
        assert_eq!(sparkline_points(&[0, 0]), "0.0,22.0 100.0,22.0");
    }

    #[test]
    fn chart_escapes_its_title() {
        let svg = weekly_stacked("<script>", &[]);
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(33), 40);
    }
}
