//! Table cells the agent, team and assessment tables share, so one number looks the
//! same in every table: the agent with name, adherence with its meter and 95% Wilson
//! interval, the mean score, and band with coefficient.

use super::escape::esc;
use super::text::{coefficient, opt_pct, pct, put};
use crate::aggregate::Stats;
use crate::rules::Dimension;

/// One header cell per dimension, "服务态度 Attitude" on two lines so that five
/// dimensions fit beside the other columns; the whole title is its tooltip.
pub fn dimension_heads(out: &mut String, dims: &[Dimension]) {
    for d in dims {
        match d.title.split_once(' ') {
            Some((zh, en)) if !zh.is_ascii() => put!(
                out,
                r#"<th class="num dimh" title="{}">{}<br><span>{}</span></th>"#,
                esc(&d.title),
                esc(zh),
                esc(en)
            ),
            _ => put!(out, r#"<th class="num dimh">{}</th>"#, esc(&d.title)),
        }
    }
}

/// The agent id in bold and the roster name beside it.
pub fn agent(out: &mut String, id: &str, name: &str) {
    put!(out, r#"<td class="who"><b>{}</b>"#, esc(id));
    if !name.is_empty() {
        put!(out, r#" <span class="muted">{}</span>"#, esc(name));
    }
    out.push_str("</td>");
}

/// Adherence as meter and percentage, the interval small beside it.
pub fn adherence(out: &mut String, s: &Stats) {
    put!(
        out,
        r#"<td class="adh"><div class="meter"><div style="width:{:.0}%"></div></div>{}"#,
        s.adherence_rate.unwrap_or(0.0) * 100.0,
        opt_pct(s.adherence_rate)
    );
    if let Some(w) = s.wilson {
        put!(
            out,
            r#" <span class="ci">{}–{}</span>"#,
            pct(w.low),
            pct(w.high)
        );
    }
    out.push_str("</td>");
}

/// Adherence as meter and percentage, the interval only as tooltip (for the
/// widest tables).
pub fn adherence_tip(out: &mut String, s: &Stats) {
    let tip = s
        .wilson
        .map(|w| format!("95% CI {}–{}", pct(w.low), pct(w.high)))
        .unwrap_or_default();
    put!(
        out,
        r#"<td class="adh" title="{}"><div class="meter"><div style="width:{:.0}%"></div></div>{}</td>"#,
        esc(&tip),
        s.adherence_rate.unwrap_or(0.0) * 100.0,
        opt_pct(s.adherence_rate)
    );
}

/// The mean score, one decimal.
pub fn mean(out: &mut String, s: &Stats) {
    put!(
        out,
        r#"<td class="num"><b>{}</b></td>"#,
        score(s.mean_score)
    );
}

/// `54.2`, or `–` without one.
pub fn score(x: Option<f64>) -> String {
    x.map(|m| format!("{m:.1}")).unwrap_or_else(|| "–".into())
}

/// Band label; with `coef`, the coefficient in a cell of its own.
pub fn band(out: &mut String, s: &Stats, coef: bool) {
    match &s.band {
        Some(b) => {
            put!(
                out,
                r#"<td><span class="band">{}</span></td>"#,
                esc(&b.label)
            );
            if coef {
                put!(
                    out,
                    r#"<td class="num">{}</td>"#,
                    coefficient(b.coefficient)
                );
            }
        }
        None => {
            out.push_str(r#"<td class="muted">–</td>"#);
            if coef {
                out.push_str(r#"<td class="num muted">–</td>"#);
            }
        }
    }
}

/// One cell per dimension mean, shaded by how low it is (`lv0` none … `lv5` under
/// 60); the `weak` index gets a marker.
pub fn dimensions(out: &mut String, means: &[f64], count: usize, weak: Option<usize>) {
    for i in 0..count {
        match means.get(i) {
            Some(&m) => put!(
                out,
                r#"<td class="num dim {}{}">{m:.1}{}</td>"#,
                level(m),
                if weak == Some(i) { " weak" } else { "" },
                if weak == Some(i) { "<i>▼</i>" } else { "" }
            ),
            None => out.push_str(r#"<td class="num muted">–</td>"#),
        }
    }
}

/// How low a 0..100 score is, as a CSS class: `lv0` from 95 on, `lv5` under 60.
pub fn level(score: f64) -> &'static str {
    match score {
        s if s >= 95.0 => "lv0",
        s if s >= 90.0 => "lv1",
        s if s >= 80.0 => "lv2",
        s if s >= 70.0 => "lv3",
        s if s >= 60.0 => "lv4",
        _ => "lv5",
    }
}

#[cfg(test)]
mod tests {
    use super::level;

    #[test]
    fn levels_get_darker_as_scores_fall() {
        let got: Vec<&str> = [100.0, 95.0, 94.9, 85.0, 75.0, 65.0, 59.9, 0.0]
            .into_iter()
            .map(level)
            .collect();
        assert_eq!(
            got,
            ["lv0", "lv0", "lv1", "lv2", "lv3", "lv4", "lv5", "lv5"]
        );
    }
}
