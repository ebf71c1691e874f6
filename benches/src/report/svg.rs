//! A small line-chart writer: deterministic SVG with axes, ticks, a legend and a log2
//! or linear x axis, enough for the validation curves (no font files needed).

use std::fmt::Write as _;

/// One line.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
}

/// A chart.
pub struct Chart {
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Log2 x axis.
    pub log2_x: bool,
    /// X tick labels for a log2 axis (value → text).
    pub x_tick: fn(f64) -> String,
    /// The lines.
    pub series: Vec<Series>,
}

const W: f64 = 720.0;
const H: f64 = 420.0;
const L: f64 = 70.0;
const R: f64 = 20.0;
const T: f64 = 40.0;
const B: f64 = 60.0;
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

impl Chart {
    /// The SVG document.
    pub fn svg(&self) -> String {
        let xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| self.fx(p.0)))
            .collect();
        let ys: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .collect();
        let (x0, x1) = (
            xs.iter().cloned().fold(f64::MAX, f64::min),
            xs.iter().cloned().fold(f64::MIN, f64::max),
        );
        let y1 = ys.iter().cloned().fold(0.0, f64::max) * 1.1;
        let (x0, x1, y0, y1) = (
            x0,
            if x1 > x0 { x1 } else { x0 + 1.0 },
            0.0,
            if y1 > 0.0 { y1 } else { 1.0 },
        );
        let px = |x: f64| L + (self.fx(x) - x0) / (x1 - x0) * (W - L - R);
        let py = |y: f64| H - B - (y - y0) / (y1 - y0) * (H - T - B);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
            W / 2.0,
            esc(&self.title)
        );
        // Axes.
        let _ = writeln!(
            s,
            r#"<line x1="{L}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
            H - B,
            W - R,
            H - B
        );
        let _ = writeln!(
            s,
            r#"<line x1="{L}" y1="{T}" x2="{L}" y2="{}" stroke="black"/>"#,
            H - B
        );
        // Y ticks: five.
        for i in 0..=5 {
            let y = y0 + (y1 - y0) * f64::from(i) / 5.0;
            let _ = writeln!(
                s,
                r##"<line x1="{}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                L,
                py(y),
                W - R,
                py(y),
                L - 6.0,
                py(y) + 4.0,
                short(y)
            );
        }
        // X ticks: at every point of the first series.
        if let Some(first) = self.series.first() {
            for (i, p) in first.points.iter().enumerate() {
                if first.points.len() > 8 && i % 2 == 1 {
                    continue;
                }
                let label = if self.log2_x {
                    (self.x_tick)(p.0)
                } else {
                    short(p.0)
                };
                let _ = writeln!(
                    s,
                    r#"<line x1="{:.1}" y1="{}" x2="{:.1}" y2="{}" stroke="black"/><text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                    px(p.0),
                    H - B,
                    px(p.0),
                    H - B + 5.0,
                    px(p.0),
                    H - B + 18.0,
                    esc(&label)
                );
            }
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (L + W - R) / 2.0,
            H - 18.0,
            esc(&self.x_label)
        );
        let _ = writeln!(
            s,
            r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"#,
            (T + H - B) / 2.0,
            (T + H - B) / 2.0,
            esc(&self.y_label)
        );
        for (k, ser) in self.series.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            let pts: Vec<String> = ser
                .points
                .iter()
                .map(|p| format!("{:.1},{:.1}", px(p.0), py(p.1)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
                pts.join(" ")
            );
            for p in &ser.points {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"#,
                    px(p.0),
                    py(p.1)
                );
            }
            // Legend in the lower left, where the curves of these charts are not.
            let ly = H - B - 20.0 - 16.0 * (self.series.len() - 1 - k) as f64;
            let _ = writeln!(
                s,
                r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
                L + 20.0,
                L + 40.0,
                L + 45.0,
                ly + 4.0,
                esc(&ser.name)
            );
        }
        s.push_str("</svg>\n");
        s
    }

    fn fx(&self, x: f64) -> f64 {
        if self.log2_x {
            x.max(1.0).log2()
        } else {
            x
        }
    }
}

fn short(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_well_formed_svg_with_its_series() {
        let c = Chart {
            title: "t <1>".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log2_x: true,
            x_tick: |v| format!("{v}"),
            series: vec![Series {
                name: "a".into(),
                points: vec![(1024.0, 1.0), (2048.0, 2.0)],
            }],
        };
        let s = c.svg();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("t &lt;1&gt;"));
        assert_eq!(s.matches("<polyline").count(), 1);
        assert_eq!(s, c.svg());
    }
}
