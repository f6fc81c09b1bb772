//! Golden tests for bad rule files: each `tests/data/bad_rules/NAME.toml` must make
//! `callqa rules check` exit 78 with exactly the stderr in `NAME.stderr`.
//! Run with `CALLQA_BLESS=1` to (re)write the `.stderr` files after a deliberate change.

use std::path::Path;
use std::process::Command;

#[test]
fn bad_rule_files_give_golden_errors_and_exit_78() {
    let dir = Path::new("tests/data/bad_rules");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 12,
        "expected the bad-rules table, found {} cases",
        cases.len()
    );
    let bless = std::env::var_os("CALLQA_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let out = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(["rules", "check"])
            .arg(case)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let golden_path = case.with_extension("stderr");
        if out.status.code() != Some(78) {
            failures.push(format!(
                "{}: exit {:?}, want 78; stderr:\n{stderr}",
                case.display(),
                out.status.code()
            ));
            continue;
        }
        if bless {
            std::fs::write(&golden_path, &stderr).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&golden_path).unwrap_or_else(|_| {
            panic!("missing {}; run with CALLQA_BLESS=1", golden_path.display())
        });
        if golden != stderr {
            failures.push(format!(
                "{}:\n--- want\n{golden}--- got\n{stderr}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shipped_rules_check_clean() {
    let out = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(["rules", "check", "rules"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rule_lines = stdout.lines().filter(|l| !l.starts_with("ok:")).count();
    assert!(
        rule_lines >= 10,
        "default rules should have at least 10 rules:\n{stdout}"
    );
    assert!(stdout.contains("ok: "), "{stdout}");
}
