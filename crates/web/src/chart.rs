//! Charts drawn on the server as SVG: no script, nothing fetched.

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart of labelled values.
pub fn bars(items: &[(String, i64)], unit: &str) -> String {
    let row = 26;
    let label_w = 150;
    let bar_w = 420;
    let height = (items.len().max(1) * row + 10) as i64;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {height}" role="img" aria-label="柱状图">"#,
        w = label_w + bar_w + 90
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = i as i64 * row as i64 + 5;
        let w = (*v as f64 / max as f64 * bar_w as f64).round() as i64;
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" class="label">{label}</text><rect x="{bx}" y="{y}" width="{w}" height="18" rx="2" class="bar"/><text x="{vx}" y="{ty}" class="value">{v}{unit}</text>"##,
            lx = label_w - 8,
            ty = y + 14,
            label = esc(label),
            bx = label_w,
            vx = label_w + w + 6,
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
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
    }
}
