//! 考核: the assessment of each period as performance reviews use it — centre rank,
//! percentile, top 20 % / middle / bottom 20 %, rank in the team, band,
//! coefficient, and the alert after two periods under the threshold. Every period is
//! a block (the latest open, see [`super::periods`]), worst agent first: the worst
//! [`SHOWN`] and every alerted agent in the page, the rest collapsed. Alerts of all
//! periods are listed on top, and the whole run per agent closes the section.

use super::cells;
use super::escape::esc;
use super::order::weakest;
use super::pager::{self, SHOWN};
use super::periods::{self, ALL};
use super::text::put;
use super::weakness::ranked;
use crate::aggregate::{Aggregates, Assessment, Group, Period};

/// 前 20% top20, 中间 middle, 后 20% bottom20, and the CSS class of each.
fn group(g: Group) -> (&'static str, &'static str) {
    match g {
        Group::Top20 => ("前 20% top", "top"),
        Group::Middle => ("中间 middle", "mid"),
        Group::Bottom20 => ("后 20% bottom", "bottom"),
    }
}

/// The alert in words: `two_periods_below_60` -> 连续两期低于 60 分.
pub fn alert_text(code: &str) -> String {
    match code.strip_prefix("two_periods_below_") {
        Some(n) => format!("连续两期低于 {n} 分 two periods below {n}"),
        None => code.to_string(),
    }
}

/// One period's rows, worst first.
fn period_rows(a: &Aggregates, p: Period) -> Vec<&Assessment> {
    let mut v: Vec<&Assessment> = a.assessment.iter().filter(|x| x.period == p).collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.centre_rank.rank));
    v
}

pub fn section(out: &mut String, a: &Aggregates) {
    if a.assessment.is_empty() {
        out.push_str(r#"<p class="empty">暂无数据 No data.</p>"#);
        return;
    }
    alerts(out, a);
    let mut list: Vec<Period> = a.assessment.iter().map(|x| x.period).collect();
    list.sort();
    list.dedup();
    let latest = list.iter().rev().find(|p| **p != Period::Unknown).copied();
    periods::open(out);
    for p in list.iter().rev() {
        let rows = period_rows(a, *p);
        let alerted = rows.iter().filter(|x| x.alert.is_some()).count();
        let bottom = rows.iter().filter(|x| x.group == Group::Bottom20).count();
        periods::block(
            out,
            &p.to_string(),
            Some(*p) == latest,
            &periods::title(Some(*p)),
            &format!(
                "{} 位坐席 agents · 后 20% bottom 20%: {bottom} · 预警 alerts: {alerted}",
                rows.len()
            ),
        );
        ranking(out, &rows);
        periods::block_end(out);
    }
    whole_run(out, a);
    periods::close(out);
}

fn alerts(out: &mut String, a: &Aggregates) {
    let mut v: Vec<&Assessment> = a.assessment.iter().filter(|x| x.alert.is_some()).collect();
    if v.is_empty() {
        out.push_str(r#"<p class="alerts none">没有预警。 No alerts.</p>"#);
        return;
    }
    v.sort_by(|x, y| {
        y.period
            .cmp(&x.period)
            .then(y.centre_rank.rank.cmp(&x.centre_rank.rank))
    });
    let mut kinds: Vec<String> = v
        .iter()
        .filter_map(|x| x.alert.as_deref().map(alert_text))
        .collect();
    kinds.sort();
    kinds.dedup();
    put!(
        out,
        r#"<div class="alerts"><b>预警 Alerts ({})</b><span class="why">{}</span>"#,
        v.len(),
        esc(&kinds.join(" / "))
    );
    for x in v {
        let why = alert_text(x.alert.as_deref().unwrap_or_default());
        put!(
            out,
            r#"<span class="alert-tag" title="{}"><b>{}</b>"#,
            esc(&why),
            esc(&x.agent_id)
        );
        if !x.name.is_empty() {
            put!(out, " {}", esc(&x.name));
        }
        put!(
            out,
            " · {} · {}</span>",
            esc(&x.period.to_string()),
            cells::score(x.stats.mean_score)
        );
    }
    out.push_str("</div>");
}

const RANK_HEAD: &str = r#"<tr><th class="num">名次 Rank</th><th>坐席 Agent</th><th class="num">平均分 Mean</th><th>分组 Group</th><th>达标率 Adherence</th><th>团队 Team</th><th class="num">团队名次 In team</th><th class="num">百分位 Pctl.</th><th class="num">质检 Assessed</th><th>档位 Band</th><th class="num">系数 Coef.</th><th>预警 Alert</th></tr>"#;

fn ranking(out: &mut String, rows: &[&Assessment]) {
    let mut shown = Vec::new();
    let mut rest = Vec::new();
    for (i, x) in rows.iter().enumerate() {
        let s = &x.stats;
        let (g, gc) = group(x.group);
        let mut row = String::new();
        put!(
            row,
            r#"<tr{}><td class="num"><b>{}</b><span class="muted">/{}</span></td>"#,
            if x.alert.is_some() {
                r#" class="alert""#
            } else {
                ""
            },
            x.centre_rank.rank,
            x.centre_rank.of
        );
        cells::agent(&mut row, &x.agent_id, &x.name);
        cells::mean(&mut row, s);
        put!(row, r#"<td><span class="group {gc}">{g}</span></td>"#);
        cells::adherence_tip(&mut row, s);
        put!(
            row,
            r#"<td class="team">{}</td><td class="num">{}<span class="muted">/{}</span></td><td class="num">{:.1}</td><td class="num">{}</td>"#,
            esc(&x.team),
            x.team_rank.rank,
            x.team_rank.of,
            x.centre_rank.percentile,
            s.assessed
        );
        cells::band(&mut row, s, true);
        match &x.alert {
            Some(code) => put!(
                row,
                r#"<td><span class="tag sev-fatal" title="{}">预警 alert</span></td></tr>"#,
                esc(&alert_text(code))
            ),
            None => row.push_str(r#"<td class="muted">–</td></tr>"#),
        }
        if i < SHOWN || x.alert.is_some() {
            shown.push(row);
        } else {
            rest.push(row);
        }
    }
    pager::table(
        out,
        "ranking",
        RANK_HEAD,
        &shown,
        &rest,
        ("位坐席", "agents"),
    );
}

/// Per agent over the whole run, worst first (collapsed block).
fn whole_run(out: &mut String, a: &Aggregates) {
    let agents = ranked(a);
    periods::block(
        out,
        ALL,
        false,
        &periods::title(None),
        &format!("{} 位坐席 agents · 按平均分 by mean score", agents.len()),
    );
    let mut head = String::from(
        r#"<tr><th class="num">#</th><th>坐席 Agent</th><th class="num">平均分 Mean</th><th>达标率 Adherence · 95% CI</th><th>团队 Team</th><th class="num">质检 Assessed</th><th class="num">达标 Passed</th><th class="num">致命 Fatal</th><th>档位 Band</th><th class="num">系数 Coef.</th>"#,
    );
    if !a.dimensions.is_empty() {
        head.push_str("<th>最弱维度 Weakest</th>");
    }
    head.push_str("</tr>");
    let rows: Vec<String> = agents
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let s = &t.stats;
            let mut row = String::new();
            put!(row, r#"<tr><td class="num muted">{}</td>"#, i + 1);
            cells::agent(&mut row, &t.agent_id, &t.name);
            cells::mean(&mut row, s);
            cells::adherence(&mut row, s);
            put!(
                row,
                r#"<td class="team">{}</td><td class="num">{}</td><td class="num">{}</td>"#,
                esc(&t.team),
                s.assessed,
                s.passed
            );
            put!(
                row,
                r#"<td class="num{}">{}</td>"#,
                if s.fatal > 0 { " bad" } else { "" },
                s.fatal
            );
            cells::band(&mut row, s, true);
            if !a.dimensions.is_empty() {
                match weakest(&s.dimension_means).and_then(|(k, _)| a.dimensions.get(k)) {
                    Some(d) => put!(row, r#"<td class="weakest">{}</td>"#, esc(&d.title)),
                    None => row.push_str(r#"<td class="muted">–</td>"#),
                }
            }
            row.push_str("</tr>");
            row
        })
        .collect();
    let (shown, rest) = pager::split(&rows, SHOWN);
    pager::table(out, "totals", &head, shown, rest, ("位坐席", "agents"));
    periods::block_end(out);
}

/// The note under the section title: how ranks, groups and alerts are made.
pub const NOTE: &str = "每期按平均分排名（并列时依次比较达标率、质检量），最差在前；前 20% / 后 20% 按中心百分位划分；连续两期平均分低于阈值（规则集 alert-below）触发预警，预警行以红色标出。Each period ranked by mean score (ties: adherence, then interactions), worst first; top/bottom 20% by centre percentile; two consecutive periods under the ruleset's alert-below raise an alert, shown in red.";
