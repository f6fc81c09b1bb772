//! The JSON Schema (draft 2020-12) of a `results.jsonl` line, for the systems that
//! consume our results. It is built here in code, next to the types it describes
//! ([`InteractionResult`], [`InputErrorLine`] and what they contain), and checked in
//! as `docs/results.schema.json`. Tests keep the three in step: the checked-in file
//! must equal [`results_line_schema`] (`CALLQA_BLESS=1 cargo test schema` rewrites
//! it), every object's property list must equal the fields serde writes for a fully
//! populated value of the Rust type, and every line the scanner writes for the
//! sample chats must validate.
//!
//! [`InteractionResult`]: crate::scan::result::InteractionResult
//! [`InputErrorLine`]: crate::scan::result::InputErrorLine

use crate::scan::result::SCHEMA_VERSION;
use serde_json::{json, Value};

/// Where the schema is checked in, relative to the crate root.
pub const SCHEMA_PATH: &str = "docs/results.schema.json";

/// The schema of one results.jsonl line: a scored interaction or an input error.
pub fn results_line_schema() -> Value {
    let number = json!({ "type": "number" });
    let count = json!({ "type": "integer", "minimum": 0 });
    let string = json!({ "type": "string" });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "callqa results.jsonl line",
        "description": format!("One line of results.jsonl (schema_version {SCHEMA_VERSION}): a scored interaction, or an input that could not be read."),
        "oneOf": [ { "$ref": "#/$defs/InteractionResult" }, { "$ref": "#/$defs/InputErrorLine" } ],
        "$defs": {
            "InteractionResult": object(
                "A scored interaction.",
                &[
                    ("schema_version", json!({ "const": SCHEMA_VERSION })),
                    ("interaction_id", string.clone()),
                    ("kind", json!({ "enum": ["chat", "transcript", "call"] })),
                    ("source", json!({ "type": "string", "description": "The input file, as given on the command line." })),
                    ("agent_id", string.clone()),
                    ("started_at", json!({ "type": ["string", "null"], "description": "RFC 3339 start time, when known." })),
                    ("duration_s", number.clone()),
                    ("roles", json!({ "enum": ["known", "inferred", "unknown"], "description": "known: from the chat or the channels; inferred: a mono call whose two voices were told apart by sound, the agent being the one who spoke the service script (or spoke first); unknown: any turn may be either party's." })),
                    ("ruleset", json!({ "$ref": "#/$defs/RulesetId" })),
                    ("score", count.clone()),
                    ("passed", json!({ "type": "boolean" })),
                    ("fatal", json!({ "type": "boolean" })),
                    ("violations", json!({ "type": "array", "items": { "$ref": "#/$defs/Violation" } })),
                    ("passed_rules", json!({ "type": "array", "items": string })),
                    ("metrics", json!({ "type": "object", "additionalProperties": number })),
                    ("turns", json!({ "type": "array", "items": { "$ref": "#/$defs/Turn" } })),
                ],
                &[
                    ("roles_reason", json!({ "type": "string", "description": "Calls: why the roles are unknown, or what inferred roles rest on." })),
                    ("dimension_scores", json!({ "type": "object", "additionalProperties": { "type": "integer", "minimum": 0, "maximum": 100 }, "description": "Present when the ruleset has [[dimension]] tables: each dimension's score (100 minus its rules' deductions, never below 0); score is their weighted sum." })),
                    ("review", json!({ "$ref": "#/$defs/ReviewEffect" })),
                ],
            ),
            "ReviewEffect": object(
                "Present when reviewers' verdicts or an appeal's ruling changed the result; score, passed, fatal and violations are then the reviewed ones.",
                &[("machine_score", count.clone()), ("machine_passed", json!({ "type": "boolean" }))],
                &[("dismissed", json!({ "type": "array", "items": { "$ref": "#/$defs/Dismissed" } }))],
            ),
            "Dismissed": dismissed(),
            "InputErrorLine": object(
                "An input (or part of one) that could not be read.",
                &[("schema_version", json!({ "const": SCHEMA_VERSION })), ("source", string.clone()), ("error", string.clone())],
                &[],
            ),
            "RulesetId": object(
                "The ruleset the interaction was scored with.",
                &[("name", string.clone()), ("version", string.clone()), ("sha256", json!({ "type": "string", "pattern": "^[0-9a-f]{64}$" }))],
                &[],
            ),
            "Violation": object(
                "A broken rule.",
                &violation_required(),
                &violation_optional(),
            ),
            "Evidence": object(
                "A place in the interaction that supports a violation.",
                &[
                    ("turn", json!({ "type": "integer", "minimum": 1, "description": "1-based turn number." })),
                    ("speaker", speaker()),
                    ("start_s", number.clone()),
                    ("end_s", number.clone()),
                    ("matched", string.clone()),
                    ("text", string.clone()),
                    ("start_byte", count.clone()),
                    ("end_byte", count.clone()),
                ],
                &[
                    ("fuzzy", json!({ "type": "boolean", "description": "Present (true) when matched by pronunciation." })),
                    ("dismissed", json!({ "type": "boolean", "description": "Present (true) when a reviewer marked the hit false: it no longer counts." })),
                ],
            ),
            "Turn": object(
                "One utterance or chat message.",
                &[("speaker", speaker()), ("start_s", number.clone()), ("end_s", number.clone()), ("text", string)],
                &[("spans", json!({ "type": "array", "items": { "$ref": "#/$defs/TimedSpan" } }))],
            ),
            "TimedSpan": object(
                "Timing of a piece of a turn's text.",
                &[("start_byte", count.clone()), ("end_byte", count), ("start_s", number.clone()), ("end_s", number)],
                &[],
            ),
        }
    })
}

/// The required properties of a violation.
fn violation_required() -> Vec<(&'static str, Value)> {
    let count = json!({ "type": "integer", "minimum": 0 });
    vec![
        ("rule_id", json!({ "type": "string" })),
        (
            "kind",
            json!({ "enum": ["forbidden", "required", "metric"] }),
        ),
        ("severity", json!({ "enum": ["minor", "major", "fatal"] })),
        ("deduct", count),
        (
            "evidence",
            json!({ "type": "array", "items": { "$ref": "#/$defs/Evidence" } }),
        ),
    ]
}

/// The optional properties of a violation.
fn violation_optional() -> Vec<(&'static str, Value)> {
    let number = json!({ "type": "number" });
    vec![
        ("value", number.clone()),
        ("limit", number),
        (
            "outside_window",
            json!({ "type": "array", "items": { "$ref": "#/$defs/Evidence" } }),
        ),
        ("detail", json!({ "type": "string" })),
        (
            "added_by_verdict",
            json!({ "type": "integer", "description": "Added by a reviewer: the id of the `missed` verdict." }),
        ),
    ]
}

/// A violation taken back, with who took it back.
fn dismissed() -> Value {
    let mut required = vec![
        ("by", json!({ "enum": ["appeal", "review"] })),
        (
            "id",
            json!({ "type": "integer", "description": "The appeal's id, or the last false-hit verdict's." }),
        ),
    ];
    required.extend(violation_required());
    object(
        "A violation that no longer counts: overturned on appeal, or every hit marked false.",
        &required,
        &violation_optional(),
    )
}

fn speaker() -> Value {
    json!({ "enum": ["agent", "customer", "system", "unknown"] })
}

/// A closed object schema: `required` properties always present, `optional` ones
/// omitted when empty.
fn object(description: &str, required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let mut properties = serde_json::Map::new();
    for (name, schema) in required.iter().chain(optional) {
        properties.insert((*name).to_string(), schema.clone());
    }
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// The checked-in file's text: the schema, pretty-printed, with a final newline.
pub fn results_line_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&results_line_schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// Asserts that the file at `rel` (from the crate root) holds `want`; with
/// `CALLQA_BLESS` set, writes it first. `filter` is the test filter that reruns the
/// check, for the message.
#[cfg(test)]
pub(crate) fn assert_checked_in(rel: &str, want: &str, filter: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("CALLQA_BLESS").is_some() {
        std::fs::write(&path, want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `CALLQA_BLESS=1 cargo test --lib {filter}` and commit it",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interaction::{InteractionKind, Roles, Speaker, TimedSpan, Turn};
    use crate::scan::result::{
        Dismissed, DismissedBy, Evidence, InputErrorLine, InteractionResult, ReviewEffect,
        RuleKind, RulesetId, Severity, Violation,
    };
    use std::collections::BTreeSet;
    use std::path::Path;

    fn validator() -> jsonschema::Validator {
        jsonschema::draft202012::new(&results_line_schema())
            .expect("the schema is a valid draft 2020-12 schema")
    }

    fn errors(v: &jsonschema::Validator, line: &Value) -> Vec<String> {
        v.iter_errors(line)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn evidence() -> Evidence {
        Evidence {
            turn: 2,
            speaker: Speaker::Agent,
            start_s: 1.5,
            end_s: 2.0,
            matched: "不知道".into(),
            text: "我不知道".into(),
            start_byte: 3,
            end_byte: 12,
            fuzzy: true,
            dismissed: true,
        }
    }

    /// A result with every optional field present and every list non-empty.
    fn full_result() -> InteractionResult {
        let mut turn = Turn::new(Speaker::Customer, 0.0, 1.0, "你好");
        turn.spans.push(TimedSpan {
            start_byte: 0,
            end_byte: 6,
            start_s: 0.0,
            end_s: 1.0,
        });
        InteractionResult {
            schema_version: SCHEMA_VERSION,
            interaction_id: "c-1".into(),
            kind: InteractionKind::Call,
            source: "calls/c-1.wav".into(),
            agent_id: "a-7".into(),
            started_at: Some("2026-11-16T09:00:00+08:00".into()),
            duration_s: 61.25,
            roles: Roles::Unknown,
            roles_reason: Some("one voice".into()),
            ruleset: RulesetId {
                name: "default".into(),
                version: "1".into(),
                sha256: "0".repeat(64).into(),
            },
            score: 80,
            dimension_scores: [("attitude".into(), 90)].into_iter().collect(),
            passed: true,
            fatal: false,
            violations: vec![Violation {
                rule_id: "no-dunno".into(),
                kind: RuleKind::Forbidden,
                severity: Severity::Major,
                deduct: 10,
                evidence: vec![evidence()],
                value: Some(12.0),
                limit: Some(10.0),
                outside_window: vec![evidence()],
                detail: Some("say it in the first 10 s".into()),
                added_by_verdict: Some(7),
            }],
            passed_rules: vec!["greeting".into()],
            metrics: [("agent_first_response_s".to_string(), 3.5)]
                .into_iter()
                .collect(),
            review: None,
            turns: vec![turn],
        }
    }

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().expect("an object").keys().cloned().collect()
    }

    fn schema_keys(name: &str) -> BTreeSet<String> {
        keys(&results_line_schema()["$defs"][name]["properties"])
    }

    #[test]
    fn every_property_is_a_field_serde_writes_and_back() {
        let mut full = full_result();
        full.review = Some(ReviewEffect {
            machine_score: 70,
            machine_passed: false,
            dismissed: vec![Dismissed {
                by: DismissedBy::Appeal,
                id: 3,
                violation: full.violations[0].clone(),
            }],
        });
        let r = serde_json::to_value(full).unwrap();
        let v = &r["violations"][0];
        assert_eq!(keys(&r["review"]), schema_keys("ReviewEffect"));
        assert_eq!(keys(&r["review"]["dismissed"][0]), schema_keys("Dismissed"));
        assert_eq!(keys(&r), schema_keys("InteractionResult"));
        assert_eq!(keys(&r["ruleset"]), schema_keys("RulesetId"));
        assert_eq!(keys(v), schema_keys("Violation"));
        assert_eq!(keys(&v["evidence"][0]), schema_keys("Evidence"));
        assert_eq!(keys(&v["outside_window"][0]), schema_keys("Evidence"));
        assert_eq!(keys(&r["turns"][0]), schema_keys("Turn"));
        assert_eq!(keys(&r["turns"][0]["spans"][0]), schema_keys("TimedSpan"));
        let e = serde_json::to_value(InputErrorLine {
            schema_version: SCHEMA_VERSION,
            source: "x.csv".into(),
            error: "bad".into(),
        })
        .unwrap();
        assert_eq!(keys(&e), schema_keys("InputErrorLine"));
    }

    #[test]
    fn full_and_minimal_values_validate_and_broken_ones_do_not() {
        let v = validator();
        let full = serde_json::to_value(full_result()).unwrap();
        assert_eq!(errors(&v, &full), Vec::<String>::new());
        let mut minimal = full_result();
        minimal.started_at = None;
        minimal.violations[0] = Violation {
            value: None,
            limit: None,
            outside_window: vec![],
            detail: None,
            ..minimal.violations[0].clone()
        };
        minimal.violations[0].evidence[0].fuzzy = false;
        minimal.turns[0].spans.clear();
        assert_eq!(
            errors(&v, &serde_json::to_value(&minimal).unwrap()),
            Vec::<String>::new()
        );

        let mut extra = full.clone();
        extra["unexpected"] = json!(1);
        assert!(!v.is_valid(&extra), "unknown fields are rejected");
        let mut missing = full.clone();
        missing.as_object_mut().unwrap().remove("score");
        assert!(!v.is_valid(&missing), "missing fields are rejected");
        let mut wrong = full;
        wrong["violations"][0]["severity"] = json!("catastrophic");
        assert!(!v.is_valid(&wrong), "unknown enum values are rejected");
    }

    #[test]
    fn every_line_scanned_from_the_sample_chats_validates() {
        let ruleset =
            crate::rules::Ruleset::load(Path::new("rules")).expect("the default rules load");
        let (files, problems) = crate::input::discover(&[Path::new("samples/chats").to_path_buf()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!files.is_empty(), "samples/chats has inputs");
        let v = validator();
        let mut lines = 0;
        for file in &files {
            let read = crate::input::read_text_file(file);
            for p in &read.problems {
                let line = InputErrorLine {
                    schema_version: SCHEMA_VERSION,
                    source: crate::input::display_path(&p.source),
                    error: p.to_string(),
                };
                let value = serde_json::to_value(&line).unwrap();
                assert_eq!(errors(&v, &value), Vec::<String>::new());
                lines += 1;
            }
            for i in &read.interactions {
                // Redaction (scan's default) only masks digits inside texts; the
                // shape checked here is the same.
                let result = crate::scan::scan(i, &ruleset);
                let text = serde_json::to_string(&result).unwrap();
                let value: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    errors(&v, &value),
                    Vec::<String>::new(),
                    "{}",
                    result.interaction_id
                );
                lines += 1;
            }
        }
        assert!(lines >= 10, "only {lines} lines checked");
    }

    #[test]
    fn the_checked_in_schema_is_current() {
        assert_checked_in(SCHEMA_PATH, &results_line_schema_text(), "schema::");
    }
}
