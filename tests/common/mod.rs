//! Helpers shared by the CLI-level tests of the nightly features: running the
//! binary, reading outputs, and validating every results line against the schema.
#![allow(dead_code)]

pub mod pg;

use std::path::Path;
use std::process::{Command, Output};

pub fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .output()
        .expect("run callqa")
}

/// Runs callqa and asserts the exit code, showing stderr when it differs.
pub fn callqa_ok(args: &[&str], code: i32) -> Output {
    let out = callqa(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "callqa {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The lines of `dir/results.jsonl`, each checked against docs/results.schema.json.
pub fn result_lines(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).expect("results.jsonl");
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    validate(&lines);
    lines
}

/// Checks every line against the checked-in schema.
pub fn validate(lines: &[String]) {
    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(callqa::scan::schema::SCHEMA_PATH),
    )
    .expect("the checked-in schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("a valid schema");
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?} in {line}");
    }
}

/// Results of a results.jsonl, sorted in merge order.
pub fn sorted_results(dir: &Path) -> Vec<callqa::scan::result::InteractionResult> {
    let mut rs: Vec<_> = result_lines(dir)
        .iter()
        .filter(|l| !l.contains("\"error\":"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    callqa::output::merge::sort_results(&mut rs);
    rs
}

/// A chat log of `conversations` conversations of agent `A{n % agents}`, spread
/// over two ISO weeks; some break rules.
pub fn write_chats(path: &Path, first: usize, conversations: usize, agents: usize) {
    let mut text = String::new();
    for n in first..first + conversations {
        let day = 16 + (n % 10);
        let agent = format!("A{:02}", n % agents);
        let id = format!("c-{n:06}");
        let lines = [
            ("customer", "00:00", "你好，我的订单还没到"),
            (
                "agent",
                "00:20",
                if n % 3 == 0 {
                    "这个我也不知道"
                } else {
                    "您好，很高兴为您服务，请稍等"
                },
            ),
            ("customer", "00:50", "能帮我查一下吗，手机13812345678"),
            (
                "agent",
                "01:10",
                if n % 4 == 0 {
                    "不归我管"
                } else {
                    "抱歉让您久等了，已经帮您催促，再见"
                },
            ),
        ];
        for (role, t, msg) in lines {
            text.push_str(&format!(
                "{{\"conversation_id\": \"{id}\", \"agent_id\": \"{agent}\", \"ts\": \"2026-11-{day}T10:{t}+08:00\", \"role\": \"{role}\", \"text\": \"{msg}\"}}\n"
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

/// The ruleset identity the report tests put into their hand-made results.
pub fn ruleset_id() -> callqa::scan::result::RulesetId {
    callqa::scan::result::RulesetId {
        name: "service-standard".into(),
        version: "2026.11.1".into(),
        sha256: "9f2c4e1a7b3d5f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718".into(),
    }
}

/// The speech model for end-to-end tests (`CALLQA_MODEL` or the default path).
/// Missing, it fails the test under `CALLQA_REQUIRE_MODEL=1` (CI) and is a noted
/// no-op otherwise.
pub fn model() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("CALLQA_MODEL").map_or_else(
        || std::path::PathBuf::from(callqa::model::DEFAULT_MODEL),
        std::path::PathBuf::from,
    );
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CALLQA_REQUIRE_MODEL").as_deref() != Ok("1"),
        "{} is missing and CALLQA_REQUIRE_MODEL=1; run `cargo run --release -- model fetch`",
        path.display()
    );
    eprintln!(
        "note: {} missing; set CALLQA_REQUIRE_MODEL=1 to make this a failure",
        path.display()
    );
    None
}
