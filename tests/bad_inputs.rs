//! The bad-input corpus: every case of `tests/data/bad_inputs/cases.toml` runs the
//! real binary on hostile or messy inputs and checks the exit code, the messages,
//! what was still scored, and what must not leak into or change in the outputs.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = "tests/data/bad_inputs";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    inputs: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    scored: Option<Vec<String>>,
    #[serde(default)]
    violated: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    contain: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    prior: bool,
    db: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Table {
    case: Vec<Case>,
}

fn scan(out: &Path, inputs: &[String], args: &[String]) -> std::process::Output {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .current_dir(CORPUS)
        .arg("scan")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--rules")
        .arg(rules)
        .args(["--model", "no-model-needed.bin", "--jobs", "2"])
        .args(args)
        .output()
        .expect("run callqa")
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

fn results(out: &Path) -> Vec<serde_json::Value> {
    let Ok(text) = std::fs::read_to_string(out.join("results.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a results line is JSON"))
        .collect()
}

fn check(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    if case.prior {
        let good = scan(&out, &["good_chat.jsonl".into()], &[]);
        assert_eq!(good.status.code(), Some(0), "the prior good run");
    }
    if let Some(db) = &case.db {
        std::fs::create_dir_all(&out).unwrap();
        std::fs::copy(Path::new(CORPUS).join(db), out.join("callqa.db")).unwrap();
    }
    let before = out.is_dir().then(|| snapshot(&out));
    let run = scan(&out, &case.inputs, &case.args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    if run.status.code() != Some(case.exit) {
        return Err(format!(
            "exit {:?}, expected {}; stderr:\n{stderr}",
            run.status.code(),
            case.exit
        ));
    }
    for fragment in &case.stderr {
        if !stderr.contains(fragment.as_str()) {
            return Err(format!("stderr lacks {fragment:?}:\n{stderr}"));
        }
    }
    if case.exit == 66 {
        if let Some(before) = before {
            let after = snapshot(&out);
            let outputs = |s: &BTreeMap<PathBuf, Vec<u8>>| {
                s.iter()
                    .filter(|(p, _)| !p.to_string_lossy().contains("callqa.db"))
                    .map(|(p, b)| (p.clone(), b.clone()))
                    .collect::<BTreeMap<_, _>>()
            };
            if outputs(&before) != outputs(&after) {
                return Err("exit 66 changed the outputs of the last good run".into());
            }
        }
    }
    let lines = results(&out);
    if let Some(expected) = &case.scored {
        let mut ids: Vec<String> = lines
            .iter()
            .filter_map(|l| l["interaction_id"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        let mut expected = expected.clone();
        expected.sort();
        if ids != expected {
            return Err(format!("scored {ids:?}, expected {expected:?}"));
        }
    }
    for (id, rules) in &case.violated {
        let line = lines
            .iter()
            .find(|l| l["interaction_id"] == id.as_str())
            .ok_or_else(|| format!("{id} not in results.jsonl"))?;
        let violated: Vec<&str> = line["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["rule_id"].as_str())
            .collect();
        for rule in rules {
            if !violated.contains(&rule.as_str()) {
                return Err(format!(
                    "{id}: {rule} not violated (violations {violated:?})"
                ));
            }
        }
    }
    if !case.absent.is_empty() {
        // ruleset.toml is the rule text (its examples hold made-up numbers), not data.
        for (path, bytes) in snapshot(&out)
            .into_iter()
            .filter(|(p, _)| !p.ends_with("ruleset.toml"))
        {
            // The database keeps the rule text too (table rulesets), whose patterns
            // spell numerals out; everything else in it is scanned byte by byte.
            let bytes = if path.ends_with("callqa.db") {
                without_rule_text(&path)
            } else {
                bytes
            };
            for text in &case.absent {
                let needle = text.as_bytes();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    return Err(format!("{} contains {text:?}", path.display()));
                }
            }
        }
    }
    for (file, fragments) in &case.contain {
        let text = std::fs::read_to_string(out.join(file)).map_err(|e| format!("{file}: {e}"))?;
        for fragment in fragments {
            if !text.contains(fragment.as_str()) {
                return Err(format!("{file} lacks {fragment:?}:\n{text}"));
            }
        }
    }
    Ok(())
}

/// The bytes of a copy of the database at `path` with its rule texts deleted
/// (and the file vacuumed, so no freed page keeps them).
fn without_rule_text(path: &Path) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&copy).unwrap();
    conn.execute_batch("DELETE FROM rulesets; VACUUM;").unwrap();
    drop(conn);
    std::fs::read(&copy).unwrap()
}

#[test]
fn bad_input_corpus() {
    let table: Table =
        toml::from_str(&std::fs::read_to_string(Path::new(CORPUS).join("cases.toml")).unwrap())
            .expect("cases.toml parses");
    assert!(table.case.len() >= 15, "only {} cases", table.case.len());
    let failures: Vec<String> = table
        .case
        .iter()
        .filter_map(|c| check(c).err().map(|e| format!("{}: {e}", c.name)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
