//! `agents.csv` and `rules.csv`: the aggregates as flat tables for spreadsheets and
//! HR/BI imports. Rates are fractions (0..1) with 4 decimals; an undefined value (no
//! interval for zero interactions, no band) is an empty cell.

use crate::aggregate::{AgentWeek, RuleStat};
use crate::scan::result::{RuleKind, Severity};
use std::io::Write;

pub const AGENTS_HEADER: [&str; 10] = [
    "agent_id",
    "week",
    "assessed",
    "passed",
    "adherence_rate",
    "wilson_low",
    "wilson_high",
    "mean_score",
    "band",
    "coefficient",
];

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

/// Writes the agent x week table.
pub fn write_agents<W: Write>(out: W, rows: &[AgentWeek]) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    w.write_record(AGENTS_HEADER)?;
    for r in rows {
        let s = &r.stats;
        w.write_record([
            r.agent_id.clone(),
            r.week.to_string(),
            s.assessed.to_string(),
            s.passed.to_string(),
            fraction(s.adherence_rate),
            fraction(s.wilson.map(|i| i.low)),
            fraction(s.wilson.map(|i| i.high)),
            s.mean_score.map(|m| format!("{m:.2}")).unwrap_or_default(),
            s.band.as_ref().map(|b| b.label.clone()).unwrap_or_default(),
            s.band
                .as_ref()
                .map(|b| b.coefficient.to_string())
                .unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
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
    use crate::aggregate::{BandRef, Interval, Stats, Week};

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
        };
        let rows = [
            AgentWeek {
                agent_id: "A01".into(),
                week: Week::Iso {
                    year: 2026,
                    week: 7,
                },
                stats: stats.clone(),
            },
            AgentWeek {
                agent_id: "A02".into(),
                week: Week::Unknown,
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
        assert_eq!(lines[0], "agent_id,week,assessed,passed,adherence_rate,wilson_low,wilson_high,mean_score,band,coefficient");
        assert_eq!(
            lines[1],
            "A01,2026-W07,10,8,0.8000,0.4902,0.9433,87.50,\"优秀, excellent\",1.2"
        );
        assert_eq!(lines[2], "A02,unknown,10,8,0.8000,0.4902,0.9433,87.50,,");
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
