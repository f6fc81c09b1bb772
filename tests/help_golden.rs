//! Golden `--help` texts: every command's help is part of the interface, so a
//! change to an option or its wording shows up here. `CALLQA_BLESS=1` rewrites the
//! files in `tests/data/help/` from the current binary.

use std::process::Command;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["scan"],
    &["rules", "check"],
    &["rules", "test"],
    &["model", "fetch"],
    &["model", "convert"],
    &["model", "info"],
    &["sample"],
    &["rescore"],
    &["merge"],
    &["export"],
    &["db", "check"],
    &["db", "rebuild"],
    &["serve"],
    &["users", "add"],
];

#[test]
fn every_command_has_its_documented_help() {
    let bless = std::env::var("CALLQA_BLESS").as_deref() == Ok("1");
    let mut differ = Vec::new();
    for cmd in COMMANDS {
        let out = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(*cmd)
            .arg("--help")
            .env("COLUMNS", "100")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd:?} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with('-') || l.starts_with("  <") || l.starts_with("  [")
        }) {
            // Every option and argument says what it is for (not only its default).
            let rest = line.trim().split_once("  ").map_or("", |(_, r)| r.trim());
            assert!(
                !rest.is_empty() && !rest.starts_with('['),
                "{cmd:?}: {line:?} has no help text"
            );
        }
        let name = if cmd.is_empty() {
            "callqa".to_string()
        } else {
            cmd.join("-")
        };
        let path = std::path::Path::new("tests/data/help").join(format!("{name}.txt"));
        if bless {
            std::fs::create_dir_all("tests/data/help").unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            differ.push(format!("{}:\n{text}", path.display()));
        }
    }
    assert!(
        differ.is_empty(),
        "help differs (CALLQA_BLESS=1 rewrites the files after a deliberate change):\n{}",
        differ.join("\n")
    );
}
