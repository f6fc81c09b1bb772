//! Call manifests: columns by header name, files relative to the manifest,
//! layouts and start times parsed, bad lines reported with their line number
//! while good lines still load.

use callqa::call::manifest::{read_manifest, ManifestError};
use callqa::call::{CallSpec, ChannelLayout};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn reads_calls_relative_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("batch")).unwrap();
    let manifest = write(
        &dir.path().join("batch"),
        "calls.csv",
        "\u{feff}call_id,file,agent_id,started_at,channel_layout\n\
         c1,audio/c1.wav,A07,2024-05-01T09:30:00+08:00,agent-right\n\
         c2, c2.wav ,,,mono\n\
         \n\
         c3,/abs/c3.wav,A09,,\n",
    );
    let read = read_manifest(&manifest, ChannelLayout::AgentLeft).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let [c1, c2, c3]: [CallSpec; 3] = read.calls.try_into().unwrap();
    assert_eq!(c1.id, "c1");
    assert_eq!(c1.path, dir.path().join("batch/audio/c1.wav"));
    assert_eq!(c1.agent_id, "A07");
    assert_eq!(c1.layout, ChannelLayout::AgentRight);
    assert_eq!(
        c1.started_at.unwrap().to_rfc3339(),
        "2024-05-01T09:30:00+08:00"
    );
    assert_eq!(
        c2.path,
        dir.path().join("batch/c2.wav"),
        "cells are trimmed"
    );
    assert_eq!(
        (c2.layout, c2.agent_id.as_str(), c2.started_at),
        (ChannelLayout::Mono, "", None)
    );
    assert_eq!(c3.path, Path::new("/abs/c3.wav"));
    assert_eq!(
        c3.layout,
        ChannelLayout::AgentLeft,
        "empty layout takes the default"
    );
}

#[test]
fn columns_may_come_in_any_order_with_extras() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(
        dir.path(),
        "m.csv",
        "file,queue,channel_layout,call_id,started_at,agent_id\nx.wav,billing,mono,x1,,A1\n",
    );
    let read = read_manifest(&manifest, ChannelLayout::AgentLeft).unwrap();
    assert_eq!(read.calls.len(), 1);
    assert_eq!(
        (read.calls[0].id.as_str(), read.calls[0].agent_id.as_str()),
        ("x1", "A1")
    );
}

#[test]
fn bad_lines_are_reported_with_line_numbers_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(
        dir.path(),
        "calls.csv",
        "call_id,file,agent_id,started_at,channel_layout\n\
         ok1,a.wav,A1,,agent-left\n\
         bad-layout,b.wav,A1,,agent-middle\n\
         bad-time,c.wav,A1,yesterday 9am,mono\n\
         ok1,d.wav,A2,,mono\n\
         ,e.wav,A2,,mono\n\
         no-file,,A2,,mono\n\
         ok2,f.wav,A3,2024-05-01T01:00:00Z,mono\n",
    );
    let read = read_manifest(&manifest, ChannelLayout::AgentLeft).unwrap();
    let ids: Vec<&str> = read.calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["ok1", "ok2"]);
    let lines: Vec<usize> = read
        .problems
        .iter()
        .map(|p| match p {
            ManifestError::Line { line, .. } => *line,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    let messages: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
    assert!(
        messages[0].starts_with(&format!("{}:3: ", manifest.display())),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("agent-middle"), "{}", messages[0]);
    assert!(messages[1].contains("RFC 3339"), "{}", messages[1]);
    assert!(messages[2].contains("twice"), "{}", messages[2]);
}

#[test]
fn a_wrong_header_or_missing_file_stops_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(dir.path(), "calls.csv", "id,path,agent\nc1,a.wav,A1\n");
    let err = read_manifest(&manifest, ChannelLayout::Mono).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::MissingColumn {
                column: "call_id",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("calls.csv"));

    let err = read_manifest(&dir.path().join("nope.csv"), ChannelLayout::Mono).unwrap_err();
    assert!(matches!(err, ManifestError::Unreadable { .. }), "{err}");
}

#[test]
fn layouts_parse_and_print() {
    for layout in [
        ChannelLayout::AgentLeft,
        ChannelLayout::AgentRight,
        ChannelLayout::Mono,
    ] {
        assert_eq!(layout.as_str().parse::<ChannelLayout>().unwrap(), layout);
    }
    assert_eq!(
        " Agent-Left ".parse::<ChannelLayout>().unwrap(),
        ChannelLayout::AgentLeft
    );
    assert!("stereo".parse::<ChannelLayout>().is_err());
}

#[test]
fn a_recording_on_a_rejected_line_is_not_scored_with_defaults() {
    use callqa::call::{collect_calls, AsrInput, CallOptions};
    use callqa::input::{InputFile, InputKind};
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(
        dir.path(),
        "calls.csv",
        "call_id,file,agent_id,started_at,channel_layout\n\
         ok,a.wav,A1,,agent-right\n\
         late,b.wav,A1,yesterday,agent-right\n\
         quad,c.wav,A2,,quad\n",
    );
    let wav = |name: &str| InputFile {
        path: write(dir.path(), name, ""),
        kind: InputKind::Wav,
    };
    let files = vec![
        InputFile {
            path: manifest,
            kind: InputKind::Manifest,
        },
        wav("a.wav"),
        wav("b.wav"),
        wav("c.wav"),
        wav("unlisted.wav"),
    ];
    let options = CallOptions {
        default_layout: ChannelLayout::AgentLeft,
        manifests: Vec::new(),
        asr_input: AsrInput::Speech,
    };
    let (specs, problems) = collect_calls(&files, &options);
    let ids: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["ok", "unlisted"]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    for p in &problems {
        assert!(p.reason.contains("not scored"), "{p}");
    }
}
