//! `callqa.toml`: a nightly job runs `callqa scan ARCHIVE` and takes rules, out,
//! roster, period and jobs from the file in its directory; options on the command
//! line win; `--config` and `CALLQA_CONFIG` name another file, whose relative paths
//! are relative to it. Bad files give golden errors (`tests/data/bad_config/`,
//! `CALLQA_BLESS=1` rewrites the `.stderr` files) and exit 78.

use crate::common::s;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn callqa_in(dir: &Path, args: &[&str], env: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
    cmd.current_dir(dir).args(args).env_remove("CALLQA_CONFIG");
    if let Some(file) = env {
        cmd.env("CALLQA_CONFIG", file);
    }
    cmd.output().unwrap()
}

fn ok(out: Output) -> Output {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A job directory: an archive, a standard, a roster and a callqa.toml naming them.
fn job_dir(dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.join("archive")).unwrap();
    std::fs::copy(
        repo.join("samples/chats/week48.csv"),
        dir.join("archive/week48.csv"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("standard")).unwrap();
    std::fs::copy(
        repo.join("rules/default.toml"),
        dir.join("standard/default.toml"),
    )
    .unwrap();
    std::fs::copy(repo.join("samples/roster.csv"), dir.join("roster.csv")).unwrap();
    std::fs::write(
        dir.join("callqa.toml"),
        "rules = \"standard\"\nout = \"qa-out\"\nroster = \"roster.csv\"\nperiod = \"month\"\njobs = 1\n",
    )
    .unwrap();
}

#[test]
fn a_nightly_scan_with_only_the_archive_takes_the_files_values() {
    let tmp = tempfile::tempdir().unwrap();
    let job = tmp.path();
    job_dir(job);
    let run = ok(callqa_in(job, &["scan", "archive"], None));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("progress: 1/1 files in ") && !stderr.contains("eta 0s"),
        "the final count, no guessed ETA:\n{stderr}"
    );
    let out = job.join("qa-out");
    assert!(
        !job.join("out").exists(),
        "the built-in default is not used"
    );
    assert!(
        out.join("callqa.db").is_file(),
        "db defaults to the file's out"
    );
    let agents = read(out.join("agents.csv"));
    assert!(agents.contains(",2026-11,"), "period = month:\n{agents}");
    assert!(!agents.contains("-W48"), "{agents}");
    let assessment = read(out.join("assessment.csv"));
    assert!(assessment.contains("李强"), "roster names:\n{assessment}");
    assert_eq!(
        read(out.join("ruleset.toml")),
        read(job.join("standard/default.toml"))
    );
    // export and db find the same database.
    let exported = ok(callqa_in(job, &["export"], None));
    assert!(!exported.stdout.is_empty());
    ok(callqa_in(job, &["db", "check"], None));

    // The command line overrides the file.
    ok(callqa_in(
        job,
        &["scan", "archive", "--out", "other", "--period", "week"],
        None,
    ));
    let agents = read(job.join("other/agents.csv"));
    assert!(agents.contains(",2026-W48,"), "{agents}");
    assert!(job.join("other/callqa.db").is_file());
}

#[test]
fn a_file_named_elsewhere_resolves_its_paths_against_its_own_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let job = tmp.path().join("job");
    job_dir(&job);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let file = job.join("callqa.toml");
    let archive = job.join("archive");
    // Through the environment, and through --config (which wins over it).
    ok(callqa_in(&elsewhere, &["scan", s(&archive)], Some(&file)));
    assert!(job.join("qa-out/results.jsonl").is_file());
    std::fs::write(
        job.join("other.toml"),
        "rules = \"standard\"\nout = \"by-flag\"\n",
    )
    .unwrap();
    let other = job.join("other.toml");
    ok(callqa_in(
        &elsewhere,
        &["--config", s(&other), "scan", s(&archive)],
        Some(&file),
    ));
    assert!(job.join("by-flag/results.jsonl").is_file());
    assert!(!elsewhere.join("out").exists() && !elsewhere.join("qa-out").exists());
    // A named file that is not there is an error, not an empty config.
    let missing = callqa_in(
        &elsewhere,
        &["rules", "check"],
        Some(&job.join("nope.toml")),
    );
    assert_eq!(missing.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("CALLQA_CONFIG"));
}

#[test]
fn bad_config_files_give_golden_errors_and_exit_78() {
    let dir = Path::new("tests/data/bad_config");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "{} cases", cases.len());
    let bless = std::env::var("CALLQA_BLESS").as_deref() == Ok("1");
    let mut failures = Vec::new();
    for case in &cases {
        let out = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(["--config", s(case), "rules", "check"])
            .env_remove("CALLQA_CONFIG")
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let golden = case.with_extension("stderr");
        if out.status.code() != Some(78) {
            failures.push(format!(
                "{}: exit {:?}, want 78:\n{stderr}",
                case.display(),
                out.status.code()
            ));
        } else if bless {
            std::fs::write(&golden, &stderr).unwrap();
        } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(stderr.as_str()) {
            failures.push(format!("{}:\n--- got\n{stderr}", golden.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "CALLQA_BLESS=1 rewrites the files after a deliberate change:\n{}",
        failures.join("\n")
    );
}
