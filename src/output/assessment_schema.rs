//! The JSON Schema of one assessment.csv row, checked in as
//! `docs/assessment.schema.json` for HR and BI systems that load the file: every
//! column in order, its type and meaning. A row reads as a JSON object by taking
//! each cell as the column's type (an empty cell of a number column is null). The
//! `score_<dimension>` columns depend on the ruleset and are matched by pattern.

use super::csv::{ASSESSMENT_HEADER, ASSESSMENT_TAIL};
use serde_json::{json, Value};

/// Where the schema is checked in, relative to the crate root.
pub const ASSESSMENT_SCHEMA_PATH: &str = "docs/assessment.schema.json";

/// Each fixed column with its schema, in file order (dimension columns go between
/// the two parts).
pub fn columns() -> Vec<(&'static str, Value)> {
    let count = json!({ "type": "integer", "minimum": 0 });
    let rate = |what: &str| json!({ "type": ["number", "null"], "minimum": 0, "maximum": 1, "description": what });
    let score = |what: &str| json!({ "type": ["number", "null"], "minimum": 0, "maximum": 100, "description": what });
    let rank = |what: &str| json!({ "type": "integer", "minimum": 1, "description": what });
    let described = [
        (
            "agent_id",
            json!({ "type": "string", "description": "The agent, as in the interactions." }),
        ),
        (
            "name",
            json!({ "type": "string", "description": "From the roster; empty when the agent is not in it." }),
        ),
        (
            "team",
            json!({ "type": "string", "description": "From the roster; \"(none)\" when the agent is not in it or no roster was given." }),
        ),
        (
            "period",
            json!({ "type": "string", "pattern": "^([0-9]{4}-W[0-9]{2}|[0-9]{4}-[0-9]{2}|[0-9]{4}-Q[1-4]|unknown)$", "description": "ISO week (2026-W47), month (2026-11) or quarter (2026-Q4), of the local date in the interaction's own UTC offset; unknown without a start time." }),
        ),
        (
            "assessed",
            json!({ "type": "integer", "minimum": 1, "description": "Interactions scored in the period." }),
        ),
        ("passed", count.clone()),
        ("fatal", count),
        (
            "adherence_rate",
            rate("passed / assessed (服务规范达标率)."),
        ),
        (
            "wilson_low",
            rate("Lower end of the 95% Wilson interval of the adherence rate."),
        ),
        ("wilson_high", rate("Upper end of the 95% Wilson interval.")),
        (
            "mean_score",
            score("Mean overall score of the period's interactions."),
        ),
    ];
    let tail = [
        ("team_rank", rank("Place within the team in the period, 1 = best (mean score, then adherence, then interactions assessed, all descending, then agent id).")),
        ("team_size", rank("Agents of the team assessed in the period.")),
        ("team_percentile", json!({ "type": "number", "minimum": 0, "maximum": 100, "description": "Mid-rank percentile within the team: 100 * (size - rank + 0.5) / size." })),
        ("centre_rank", rank("Place within the whole centre in the period, same order.")),
        ("centre_size", rank("Agents assessed in the period.")),
        ("centre_percentile", json!({ "type": "number", "minimum": 0, "maximum": 100, "description": "Mid-rank percentile within the centre." })),
        ("group", json!({ "enum": ["top20", "middle", "bottom20"], "description": "top20 at a centre percentile of 80 or more, bottom20 at 20 or less." })),
        ("band", json!({ "type": "string", "description": "The ruleset's band label of the mean score; empty when no band's minimum is reached." })),
        ("coefficient", json!({ "type": ["number", "null"], "minimum": 0, "description": "The band's performance coefficient." })),
        ("alert", json!({ "type": "string", "description": "two_periods_below_N when this and the previous period's mean score are both under the ruleset's alert-below (N, 60 unless set); empty otherwise." })),
    ];
    debug_assert_eq!(described.len(), ASSESSMENT_HEADER.len());
    debug_assert_eq!(tail.len(), ASSESSMENT_TAIL.len());
    described.into_iter().chain(tail).collect()
}

/// The schema of one row.
pub fn assessment_row_schema() -> Value {
    let mut properties = serde_json::Map::new();
    for (name, schema) in columns() {
        properties.insert(name.to_string(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://callqa.invalid/assessment.schema.json",
        "title": "callqa assessment.csv row",
        "description": "One row of assessment.csv: one agent in one period. Columns appear in the order of `properties`, with one score_<dimension> column per [[dimension]] of the ruleset between mean_score and team_rank.",
        "type": "object",
        "properties": properties,
        "patternProperties": {
            "^score_[a-z0-9][a-z0-9._-]*$": { "type": ["number", "null"], "minimum": 0, "maximum": 100, "description": "Mean score of one dimension (100 minus that dimension's deductions, per interaction)." }
        },
        "required": columns().iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// The checked-in file's text.
pub fn assessment_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&assessment_row_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// A row of assessment.csv as the schema reads it: each cell as its column's type.
pub fn row_as_json(header: &[String], row: &[String]) -> Value {
    let types: std::collections::HashMap<&str, Value> = columns().into_iter().collect();
    let mut object = serde_json::Map::new();
    for (name, cell) in header.iter().zip(row) {
        let numeric = name.starts_with("score_")
            || types.get(name.as_str()).is_some_and(|t| {
                let ty = &t["type"];
                ty == "integer"
                    || ty == "number"
                    || ty.as_array().is_some_and(|a| a.contains(&json!("number")))
            });
        let value = if !numeric {
            Value::String(cell.clone())
        } else if cell.is_empty() {
            Value::Null
        } else {
            cell.parse::<i64>()
                .map(Value::from)
                .or_else(|_| cell.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(cell.clone()))
        };
        object.insert(name.clone(), value);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_schema_is_current() {
        crate::scan::schema::assert_checked_in(
            ASSESSMENT_SCHEMA_PATH,
            &assessment_schema_text(),
            "assessment_schema",
        );
    }

    #[test]
    fn the_schema_names_every_column_in_file_order() {
        let names: Vec<&str> = columns().iter().map(|(n, _)| *n).collect();
        let header: Vec<&str> = ASSESSMENT_HEADER
            .iter()
            .chain(&ASSESSMENT_TAIL)
            .copied()
            .collect();
        assert_eq!(names, header);
    }
}
