//! `agents.csv`, `teams.csv`, `assessment.csv` and `rules.csv`: the aggregates as
//! flat tables for spreadsheets and HR/BI imports. Rates are fractions (0..1) with 4
//! decimals; an undefined value (no interval for zero interactions, no band) is an
//! empty cell. Every column is described in README.md and docs/assessment.md; `docs/assessment.schema.json`
//! is the schema of an assessment row.

use crate::aggregate::{AgentPeriod, Assessment, RuleStat, Stats, TeamPeriod};
use crate::rules::Dimension;
use crate::scan::result::{RuleKind, Severity};
use std::io::Write;

/// The byte order mark `--excel` puts before every CSV, so that Excel in a
/// Chinese locale reads UTF-8 instead of GBK.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The start of a CSV file's bytes: the BOM with `--excel`, nothing without.
pub fn start(excel: bool) -> Vec<u8> {
    if excel {
        UTF8_BOM.to_vec()
    } else {
        Vec::new()
    }
}

pub const AGENTS_HEADER: [&str; 11] = [
    "agent_id",
    "period",
    "assessed",
    "passed",
    "adherence_rate",
    "wilson_low",
    "wilson_high",
    "mean_score",
    "band",
    "coefficient",
    "team",
];

/// The columns of teams.csv before the dimension columns.
pub const TEAMS_HEADER: [&str; 10] = [
    "team",
    "period",
    "agents",
    "assessed",
    "passed",
    "fatal",
    "adherence_rate",
    "wilson_low",
    "wilson_high",
    "mean_score",
];

/// The columns of assessment.csv before the dimension columns.
pub const ASSESSMENT_HEADER: [&str; 11] = [
    "agent_id",
    "name",
    "team",
    "period",
    "assessed",
    "passed",
    "fatal",
    "adherence_rate",
    "wilson_low",
    "wilson_high",
    "mean_score",
];

/// The columns of assessment.csv after the dimension columns.
pub const ASSESSMENT_TAIL: [&str; 10] = [
    "team_rank",
    "team_size",
    "team_percentile",
    "centre_rank",
    "centre_size",
    "centre_percentile",
    "group",
    "band",
    "coefficient",
    "alert",
];

/// The column of a dimension's mean score: `score_` and its id.
pub fn dimension_column(d: &Dimension) -> String {
    format!("score_{}", d.id)
}

pub const RULES_HEADER: [&str; 8] = [
    "rule_id",
    "kind",
    "severity",
    "title",
    "hits",
    "interactions_violated",
    "hit_rate",
    "assessed",
];

/// Writes the agent x period table.
pub fn write_agents<W: Write>(out: W, rows: &[AgentPeriod]) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    w.write_record(AGENTS_HEADER)?;
    for r in rows {
        let s = &r.stats;
        w.write_record([
            r.agent_id.clone(),
            r.period.to_string(),
            s.assessed.to_string(),
            s.passed.to_string(),
            fraction(s.adherence_rate),
            fraction(s.wilson.map(|i| i.low)),
            fraction(s.wilson.map(|i| i.high)),
            mean(s.mean_score),
            band_label(s),
            coefficient(s),
            r.team.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the team x period table (run totals are not rows: every row is the sum of
/// its agents' rows in agents.csv).
pub fn write_teams<W: Write>(
    out: W,
    rows: &[TeamPeriod],
    dimensions: &[Dimension],
) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    let mut header: Vec<String> = TEAMS_HEADER.iter().map(|c| c.to_string()).collect();
    header.extend(dimensions.iter().map(dimension_column));
    header.extend(["band".to_string(), "coefficient".to_string()]);
    w.write_record(&header)?;
    for r in rows {
        let Some(period) = r.period else { continue };
        let s = &r.stats;
        let mut row = vec![r.team.clone(), period.to_string(), r.agents.to_string()];
        row.extend(measures(s, dimensions));
        row.extend([band_label(s), coefficient(s)]);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the assessment: one row per agent and period.
pub fn write_assessment<W: Write>(
    out: W,
    rows: &[Assessment],
    dimensions: &[Dimension],
) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    w.write_record(assessment_header(dimensions))?;
    for r in rows {
        let s = &r.stats;
        let mut row = vec![
            r.agent_id.clone(),
            r.name.clone(),
            r.team.clone(),
            r.period.to_string(),
        ];
        row.extend(measures(s, dimensions));
        row.extend([
            r.team_rank.rank.to_string(),
            r.team_rank.of.to_string(),
            format!("{:.1}", r.team_rank.percentile),
            r.centre_rank.rank.to_string(),
            r.centre_rank.of.to_string(),
            format!("{:.1}", r.centre_rank.percentile),
            r.group.name().to_string(),
            band_label(s),
            coefficient(s),
            r.alert.clone().unwrap_or_default(),
        ]);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// The header of assessment.csv for these dimensions.
pub fn assessment_header(dimensions: &[Dimension]) -> Vec<String> {
    let mut header: Vec<String> = ASSESSMENT_HEADER.iter().map(|c| c.to_string()).collect();
    header.extend(dimensions.iter().map(dimension_column));
    header.extend(ASSESSMENT_TAIL.iter().map(|c| c.to_string()));
    header
}

/// assessed, passed, fatal, adherence_rate, wilson_low, wilson_high, mean_score and
/// one mean per dimension: the measures teams.csv and assessment.csv share.
fn measures(s: &Stats, dimensions: &[Dimension]) -> Vec<String> {
    let mut cells = vec![
        s.assessed.to_string(),
        s.passed.to_string(),
        s.fatal.to_string(),
        fraction(s.adherence_rate),
        fraction(s.wilson.map(|i| i.low)),
        fraction(s.wilson.map(|i| i.high)),
        mean(s.mean_score),
    ];
    cells.extend((0..dimensions.len()).map(|i| mean(s.dimension_means.get(i).copied())));
    cells
}

fn mean(m: Option<f64>) -> String {
    m.map(|m| format!("{m:.2}")).unwrap_or_default()
}

fn band_label(s: &Stats) -> String {
    s.band.as_ref().map(|b| b.label.clone()).unwrap_or_default()
}

fn coefficient(s: &Stats) -> String {
    s.band
        .as_ref()
        .map(|b| b.coefficient.to_string())
        .unwrap_or_default()
}

/// Writes the per-rule table.
pub fn write_rules<W: Write>(out: W, rows: &[RuleStat]) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    w.write_record(RULES_HEADER)?;
    for r in rows {
        w.write_record([
            r.rule_id.clone(),
            kind_name(r.kind).to_string(),
            severity_name(r.severity).to_string(),
            r.title.clone(),
            r.hits.to_string(),
            r.interactions_violated.to_string(),
            fraction(r.hit_rate),
            r.assessed.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn kind_name(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Forbidden => "forbidden",
        RuleKind::Required => "required",
        RuleKind::Metric => "metric",
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Minor => "minor",
        Severity::Major => "major",
        Severity::Fatal => "fatal",
    }
}

fn fraction(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{BandRef, Interval, Period, Stats};

    #[test]
    fn agents_table_has_the_contract_columns_and_empty_cells_for_undefined_values() {
        let stats = Stats {
            assessed: 10,
            passed: 8,
            fatal: 0,
            adherence_rate: Some(0.8),
            wilson: Some(Interval {
                low: 0.490_22,
                high: 0.943_32,
            }),
            mean_score: Some(87.5),
            band: Some(BandRef {
                label: "优秀, excellent".into(),
                coefficient: 1.2,
            }),
            dimension_means: vec![90.0, 82.25],
        };
        let rows = [
            AgentPeriod {
                agent_id: "A01".into(),
                name: "张三".into(),
                team: "一组".into(),
                period: Period::Week {
                    year: 2026,
                    week: 7,
                },
                stats: stats.clone(),
            },
            AgentPeriod {
                agent_id: "A02".into(),
                name: String::new(),
                team: "(none)".into(),
                period: Period::Unknown,
                stats: Stats {
                    band: None,
                    ..stats
                },
            },
        ];
        let mut out = Vec::new();
        write_agents(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "agent_id,period,assessed,passed,adherence_rate,wilson_low,wilson_high,mean_score,band,coefficient,team");
        assert_eq!(
            lines[1],
            "A01,2026-W07,10,8,0.8000,0.4902,0.9433,87.50,\"优秀, excellent\",1.2,一组"
        );
        assert_eq!(
            lines[2],
            "A02,unknown,10,8,0.8000,0.4902,0.9433,87.50,,,(none)"
        );

        let dims = [
            Dimension {
                id: "attitude".into(),
                title: "服务态度".into(),
                weight: 60.0,
            },
            Dimension {
                id: "script".into(),
                title: "服务规范".into(),
                weight: 40.0,
            },
        ];
        let teams = [TeamPeriod {
            team: "一组".into(),
            period: Some(rows[0].period),
            agents: 1,
            stats: rows[0].stats.clone(),
        }];
        let mut out = Vec::new();
        write_teams(&mut out, &teams, &dims).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "team,period,agents,assessed,passed,fatal,adherence_rate,wilson_low,wilson_high,mean_score,score_attitude,score_script,band,coefficient\n\
             一组,2026-W07,1,10,8,0,0.8000,0.4902,0.9433,87.50,90.00,82.25,\"优秀, excellent\",1.2\n"
        );
    }

    #[test]
    fn rules_table_quotes_titles() {
        let rows = [RuleStat {
            rule_id: "forbidden.dont-know".into(),
            kind: RuleKind::Forbidden,
            severity: Severity::Fatal,
            title: "禁用语：\"不知道\"".into(),
            hits: 5,
            interactions_violated: 2,
            assessed: 0,
            hit_rate: None,
        }];
        let mut out = Vec::new();
        write_rules(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "rule_id,kind,severity,title,hits,interactions_violated,hit_rate,assessed\n\
             forbidden.dont-know,forbidden,fatal,\"禁用语：\"\"不知道\"\"\",5,2,,0\n"
        );
    }
}
