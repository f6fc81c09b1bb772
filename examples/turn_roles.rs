//! Reads the roles of mono calls again from their recognized turns, the way
//! `callqa scan` does when the voices sound alike (`callqa::call::turn_roles`),
//! without transcribing anything: for tuning the turn-taking model on a
//! results.jsonl.
//!
//!     cargo run --release --example turn_roles -- OUT/results.jsonl [--all] > new.jsonl
//!
//! Every call whose roles are not `known` gets its turns' speakers read again
//! (speech regions: the turns' own times); `--all` writes the reading even when it
//! is not sure. Each call's confidence goes to stderr. Feed the output to
//! `bench/calls_accuracy.py --results`.

use callqa::call::turn_roles::turn_taking;
use callqa::interaction::{Speaker, Turn};
use std::io::{BufRead, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: turn_roles RESULTS.jsonl [--all]");
        std::process::exit(2);
    };
    let all = args.iter().any(|a| a == "--all");
    // The script words of bench/dev_rules.toml's required agent rules.
    let cues: Vec<String> = [
        "您好",
        "你好",
        "工号",
        "感谢您的来电",
        "还有什么可以帮您",
        "再见",
    ]
    .map(String::from)
    .to_vec();
    let file = std::fs::File::open(path).expect("results file");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.expect("a line");
        let mut r: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        if r["roles"] != "known" {
            let mut turns: Vec<Turn> = r["turns"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| {
                            Turn::new(
                                Speaker::Unknown,
                                t["start_s"].as_f64().unwrap_or(0.0),
                                t["end_s"].as_f64().unwrap_or(0.0),
                                t["text"].as_str().unwrap_or(""),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let regions: Vec<(f64, f64)> = turns.iter().map(|t| (t.start_s, t.end_s)).collect();
            let read = turn_taking(&mut turns, &regions, &[], &cues);
            eprintln!(
                "{} {} confidence {:.2} sure {}",
                r["interaction_id"], r["roles"], read.confidence, read.sure
            );
            if read.sure || all {
                if !read.sure {
                    // Label anyway, by the same posterior.
                    label_anyway(&mut turns, &regions, &cues);
                }
                for (t, new) in r["turns"].as_array_mut().into_iter().flatten().zip(&turns) {
                    t["speaker"] = serde_json::json!(match new.speaker {
                        Speaker::Agent => "agent",
                        Speaker::Customer => "customer",
                        _ => "unknown",
                    });
                }
                r["roles"] = serde_json::json!("inferred");
            }
        }
        writeln!(out, "{r}").expect("write");
    }
}

/// The labels even when the reading is not sure.
fn label_anyway(turns: &mut [Turn], regions: &[(f64, f64)], cues: &[String]) {
    let (_, agent) = callqa::call::turn_roles::reading(turns, regions, &[], cues);
    for (t, agent) in turns.iter_mut().zip(agent) {
        t.speaker = callqa::call::turn_roles::party(agent);
    }
}
