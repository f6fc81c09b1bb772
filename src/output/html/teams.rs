//! 团队: teams compared, worst first. One table per period block (the whole run
//! open, each period collapsed; see [`super::periods`]): agents, interactions,
//! adherence with its 95% interval, mean score, dimension means and band. Under the
//! whole-run table, each team's agents, worst first, in a collapsed `<details>`.

use super::cells;
use super::escape::esc;
use super::order::worst_first;
use super::pager::{self, SHOWN};
use super::periods::{self, ALL};
use super::text::put;
use super::weakness::ranked;
use crate::aggregate::{AgentTotal, Aggregates, Period, TeamPeriod};
use crate::input::roster::NO_TEAM;

/// The teams of one period (`None`: the whole run), worst first.
pub fn ranked_teams(a: &Aggregates, period: Option<Period>) -> Vec<&TeamPeriod> {
    let mut v: Vec<&TeamPeriod> = a
        .teams
        .iter()
        .filter(|t| t.period == period && t.stats.assessed > 0)
        .collect();
    v.sort_by(|x, y| worst_first(&x.stats, &y.stats).then_with(|| x.team.cmp(&y.team)));
    v
}

/// The section body: a note when there are no teams (no roster), else the blocks.
pub fn section(out: &mut String, a: &Aggregates) {
    if a.teams.iter().all(|t| t.team == NO_TEAM) {
        out.push_str(r#"<p class="empty">没有团队信息：用 --roster 提供花名册（agent_id,name,team）即可按团队比较。 No teams: give a roster with --roster (agent_id,name,team) to compare teams.</p>"#);
        return;
    }
    let mut period_list: Vec<Period> = a.teams.iter().filter_map(|t| t.period).collect();
    period_list.sort();
    period_list.dedup();
    periods::open(out);
    let whole = ranked_teams(a, None);
    periods::block(
        out,
        ALL,
        true,
        &periods::title(None),
        &format!("{} 个团队 teams", whole.len()),
    );
    table(out, a, &whole);
    members(out, a, &whole);
    periods::block_end(out);
    for p in period_list.iter().rev() {
        let teams = ranked_teams(a, Some(*p));
        periods::block(
            out,
            &p.to_string(),
            false,
            &periods::title(Some(*p)),
            &format!("{} 个团队 teams", teams.len()),
        );
        table(out, a, &teams);
        periods::block_end(out);
    }
    periods::close(out);
}

fn table(out: &mut String, a: &Aggregates, teams: &[&TeamPeriod]) {
    let mut head = String::from(
        r#"<tr><th class="num">#</th><th>团队 Team</th><th class="num">平均分 Mean</th><th>达标率 Adherence · 95% CI</th><th class="num">坐席 Agents</th><th class="num">质检 Assessed</th>"#,
    );
    cells::dimension_heads(&mut head, &a.dimensions);
    head.push_str("<th>档位 Band</th></tr>");
    let rows: Vec<String> = teams
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let s = &t.stats;
            let mut row = String::new();
            put!(
                row,
                r#"<tr><td class="num muted">{}</td><td class="who"><b>{}</b></td>"#,
                i + 1,
                esc(&t.team)
            );
            cells::mean(&mut row, s);
            cells::adherence(&mut row, s);
            put!(
                row,
                r#"<td class="num">{}</td><td class="num">{}</td>"#,
                t.agents,
                s.assessed
            );
            cells::dimensions(&mut row, &s.dimension_means, a.dimensions.len(), None);
            cells::band(&mut row, s, false);
            row.push_str("</tr>");
            row
        })
        .collect();
    let (shown, rest) = pager::split(&rows, SHOWN);
    pager::table(out, "teams", &head, shown, rest, ("个团队", "teams"));
}

/// Each team's agents over the whole run, worst first, one `<details>` per team.
fn members(out: &mut String, a: &Aggregates, teams: &[&TeamPeriod]) {
    let agents = ranked(a);
    put!(
        out,
        r#"<details class="rest members"><summary>各团队坐席 · Agents of each team（{n} 个团队 teams）</summary><div class="teamlist">"#,
        n = teams.len()
    );
    for t in teams {
        let mine: Vec<&AgentTotal> = agents
            .iter()
            .copied()
            .filter(|x| x.team == t.team)
            .collect();
        put!(
            out,
            r#"<details class="team"><summary><b>{}</b><span class="muted">{} 位 agents · 均分 mean {} · 达标 {}</span></summary>"#,
            esc(&t.team),
            mine.len(),
            cells::score(t.stats.mean_score),
            super::text::opt_pct(t.stats.adherence_rate)
        );
        let mut head = String::from(
            r#"<tr><th>坐席 Agent</th><th class="num">平均分 Mean</th><th>达标率 Adherence · 95% CI</th><th class="num">质检 Assessed</th>"#,
        );
        cells::dimension_heads(&mut head, &a.dimensions);
        head.push_str("<th>档位 Band</th></tr>");
        let rows: Vec<String> = mine
            .iter()
            .map(|m| {
                let s = &m.stats;
                let mut row = String::from("<tr>");
                cells::agent(&mut row, &m.agent_id, &m.name);
                cells::mean(&mut row, s);
                cells::adherence(&mut row, s);
                put!(row, r#"<td class="num">{}</td>"#, s.assessed);
                let weak = super::order::weakest(&s.dimension_means).map(|w| w.0);
                cells::dimensions(&mut row, &s.dimension_means, a.dimensions.len(), weak);
                cells::band(&mut row, s, false);
                row.push_str("</tr>");
                row
            })
            .collect();
        pager::table(out, "members", &head, &rows, &[], ("", ""));
        out.push_str("</details>");
    }
    out.push_str("</div></details>");
}
