//! Charts drawn on the server as SVG: no script, nothing fetched.

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart of labelled values: labels beside the bars on wide screens, and
/// a second drawing with each label above its bar that phones show instead (CSS picks
/// one), so that neither shrinks its text nor scrolls sideways.
pub fn bars(items: &[(String, i64)], unit: &str) -> String {
    let wide = draw(items, unit, Shape { label_w: 150, bar_w: 420, row: 26, stacked: false });
    let narrow = draw(items, unit, Shape { label_w: 0, bar_w: 250, row: 40, stacked: true });
    format!(
        "{}{}",
        wide.replacen("class=\"chart\"", "class=\"chart wide\"", 1),
        narrow.replacen("class=\"chart\"", "class=\"chart narrow\"", 1)
    )
}

struct Shape {
    label_w: i64,
    bar_w: i64,
    row: i64,
    /// The label on its own line above the bar.
    stacked: bool,
}

fn draw(items: &[(String, i64)], unit: &str, sh: Shape) -> String {
    let height = items.len().max(1) as i64 * sh.row + 10;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {height}" role="img" aria-label="柱状图">"#,
        w = sh.label_w + sh.bar_w + 90
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let top = i as i64 * sh.row + 5;
        let w = (*v as f64 / max as f64 * sh.bar_w as f64).round() as i64;
        let (lx, ly, anchor, y) =
            if sh.stacked { (0, top + 12, "start", top + 16) } else { (sh.label_w - 8, top + 14, "end", top) };
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ly}" text-anchor="{anchor}" class="label">{label}</text><rect x="{bx}" y="{y}" width="{w}" height="18" rx="2" class="bar"/><text x="{vx}" y="{ty}" class="value">{v}{unit}</text>"##,
            label = esc(label),
            bx = sh.label_w,
            vx = sh.label_w + w + 6,
            ty = y + 14,
            unit = esc(unit),
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_and_escape() {
        let svg = bars(&[("岳阳楼区".into(), 100), ("<b>".into(), 50)], "人");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(r#"width="420""#) && svg.contains(r#"width="210""#));
        // The phone drawing: the same bars, narrower, labels above them.
        assert!(svg.contains("chart narrow") && svg.contains(r#"width="250""#) && svg.contains(r#"width="125""#));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
