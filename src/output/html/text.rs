//! Small formatting helpers shared by the report's sections: labels in Chinese and
//! English, percentages, times, and fitting labels into a chart's label column.

use crate::interaction::Speaker;
use crate::scan::result::{RuleKind, Severity};

/// Appends formatted text to a `String` (writing to a `String` cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}
pub(crate) use put;

pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A percentage without a needless decimal: `20%`, `12.5%`.
pub fn target_pct(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

pub fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "–".into())
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() {
        seconds.max(0.0).round() as u64
    } else {
        0
    };
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// An RFC 3339 time as `2026-11-16 09:00 +08:00`; other text unchanged.
pub fn when(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) if t.offset().local_minus_utc() == 0 => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        Ok(t) => t.format("%Y-%m-%d %H:%M %:z").to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// A coefficient with at least one decimal (`1.0`, `1.25`).
pub fn coefficient(c: f64) -> String {
    if c.fract() == 0.0 {
        format!("{c:.1}")
    } else {
        c.to_string()
    }
}

pub fn speaker(s: Speaker) -> &'static str {
    match s {
        Speaker::Agent => "坐席 Agent",
        Speaker::Customer => "客户 Customer",
        Speaker::System => "系统 System",
        Speaker::Unknown => "未分角色 Unknown",
    }
}

pub fn severity(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Fatal => ("致命 Fatal", "fatal"),
        Severity::Major => ("严重 Major", "major"),
        Severity::Minor => ("轻微 Minor", "minor"),
    }
}

pub fn kind(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Forbidden => "禁用语 Forbidden",
        RuleKind::Required => "必说话术 Required",
        RuleKind::Metric => "指标 Metric",
    }
}

/// Approximate rendered width in px at 13px: CJK and other wide characters take a
/// full em, Latin about 0.55 em.
pub fn width_px(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) < 0x2E80 { 7.2 } else { 13.0 })
        .sum()
}

/// `s` cut (with an ellipsis) to fit `max_px`.
pub fn fit(s: &str, max_px: f64) -> String {
    if width_px(s) <= max_px {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 13.0;
    for c in s.chars() {
        let cw = width_px(c.encode_utf8(&mut [0; 4]));
        if w + cw > max_px {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_and_percentages() {
        assert_eq!(clock(45.2), "0:45");
        assert_eq!(clock(312.0), "5:12");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(f64::NAN), "0:00");
        assert_eq!(pct(0.8), "80.0%");
        assert_eq!(opt_pct(None), "–");
        assert_eq!(
            (target_pct(0.2), target_pct(0.125)),
            ("20%".into(), "12.5%".into())
        );
        assert_eq!(when("2026-11-16T09:00:00+08:00"), "2026-11-16 09:00 +08:00");
        assert_eq!(when("2026-11-23T01:00:00Z"), "2026-11-23 01:00 UTC");
        assert_eq!(when("soon"), "soon");
        assert_eq!(
            (coefficient(1.0), coefficient(1.25)),
            ("1.0".to_string(), "1.25".to_string())
        );
    }

    #[test]
    fn fit_cuts_on_characters() {
        assert_eq!(fit("A01", 100.0), "A01");
        let cut = fit("禁用语：不知道/不清楚/没办法/不归我管", 120.0);
        assert!(
            cut.ends_with('…') && width_px(&cut) <= 120.0 + 13.0,
            "{cut}"
        );
    }
}
