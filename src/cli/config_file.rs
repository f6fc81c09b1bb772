//! `callqa.toml`: defaults for the options that depend on where a job runs (rules,
//! output directory, state database, speech model, roster, ...), so that a nightly
//! job needs no long command line. The file is `--config PATH`, else
//! `$CALLQA_CONFIG`, else `callqa.toml` in the current directory when there is one.
//!
//! Precedence: a command-line option, then the file, then the built-in default
//! ([`super::config`] applies those). Relative paths in the file are relative to
//! the file's directory. The file is read strictly: an unknown key or a bad value
//! stops every command with `file:line:column` (exit 78).

use super::args::{ChannelsArg, Cli, Command, DbCommand, PeriodArg, RulesCommand};
use crate::rules::error::{Locator, RuleError};
use clap::ValueEnum;
use serde::Deserialize;
use serde_spanned::Spanned;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The file looked for in the current directory.
pub const CONFIG_FILE: &str = "callqa.toml";
/// The environment variable naming a config file.
pub const CONFIG_ENV: &str = "CALLQA_CONFIG";

/// The keys of a config file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    rules: Option<PathBuf>,
    out: Option<PathBuf>,
    db: Option<PathBuf>,
    model: Option<PathBuf>,
    roster: Option<PathBuf>,
    period: Option<Spanned<String>>,
    jobs: Option<Spanned<i64>>,
    language: Option<Spanned<String>>,
    channels: Option<Spanned<String>>,
}

/// What a config file sets, checked, with paths resolved against its directory.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FileDefaults {
    /// The file these came from; `None` when there is none.
    pub path: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub model: Option<PathBuf>,
    pub roster: Option<PathBuf>,
    pub period: Option<PeriodArg>,
    pub jobs: Option<usize>,
    pub language: Option<String>,
    pub channels: Option<ChannelsArg>,
}

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("cannot read config file {path} (named by {by}): {source}")]
    Read {
        path: PathBuf,
        by: &'static str,
        source: std::io::Error,
    },
    /// A bad key or value, at file:line:column.
    #[error("{0}")]
    Bad(RuleError),
}

/// Finds and reads the config file: `flag` (`--config`), else `env`
/// (`$CALLQA_CONFIG`), else `callqa.toml` in `cwd` if it exists; no file gives
/// empty defaults.
pub fn find(
    flag: Option<&Path>,
    env: Option<OsString>,
    cwd: &Path,
) -> Result<FileDefaults, ConfigFileError> {
    let (path, by) = match (flag, env.filter(|e| !e.is_empty())) {
        (Some(p), _) => (p.to_path_buf(), "--config"),
        (None, Some(e)) => (PathBuf::from(e), CONFIG_ENV),
        (None, None) => {
            let here = cwd.join(CONFIG_FILE);
            if !here.is_file() {
                return Ok(FileDefaults::default());
            }
            (here, "the current directory")
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigFileError::Read {
        path: path.clone(),
        by,
        source,
    })?;
    parse(&path, &text)
}

/// Parses a config file's text; `path` names it in errors and anchors its
/// relative paths.
pub fn parse(path: &Path, text: &str) -> Result<FileDefaults, ConfigFileError> {
    let loc = Locator {
        file: path,
        source: text,
    };
    let bad = |at: usize, msg: String| ConfigFileError::Bad(loc.at(at, None, msg));
    let spec: Spec = toml::from_str(text).map_err(|e| {
        bad(
            e.span().map_or(0, |s| s.start),
            e.message().trim().to_string(),
        )
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let resolve = |p: Option<PathBuf>| p.map(|p| dir.join(p));
    let jobs = match spec.jobs {
        Some(j) if *j.get_ref() < 1 => {
            return Err(bad(
                j.span().start,
                format!("jobs = {}: use at least 1", j.get_ref()),
            ))
        }
        Some(j) => Some(usize::try_from(*j.get_ref()).unwrap_or(usize::MAX)),
        None => None,
    };
    if let Some(l) = spec
        .language
        .as_ref()
        .filter(|l| l.get_ref().trim().is_empty())
    {
        return Err(bad(
            l.span().start,
            "language is empty: use a Whisper language code, e.g. \"zh\"".into(),
        ));
    }
    Ok(FileDefaults {
        path: Some(path.to_path_buf()),
        rules: resolve(spec.rules),
        out: resolve(spec.out),
        db: resolve(spec.db),
        model: resolve(spec.model),
        roster: resolve(spec.roster),
        period: spec.period.map(|p| value("period", &p, &bad)).transpose()?,
        jobs,
        language: spec.language.map(Spanned::into_inner),
        channels: spec
            .channels
            .map(|c| value("channels", &c, &bad))
            .transpose()?,
    })
}

/// A value of one of the command line's choices (`week`, `agent-left`, ...).
fn value<T: ValueEnum>(
    key: &str,
    v: &Spanned<String>,
    bad: &dyn Fn(usize, String) -> ConfigFileError,
) -> Result<T, ConfigFileError> {
    T::from_str(v.get_ref(), false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|x| x.to_possible_value())
            .map(|p| p.get_name().to_string())
            .collect();
        bad(
            v.span().start,
            format!("{key} = {:?}: use one of {}", v.get_ref(), names.join(", ")),
        )
    })
}

/// Fills the options the command line left out from the file; what is still
/// unset then gets its built-in default in [`super::config`].
pub fn apply(cli: &mut Cli, file: &FileDefaults) {
    fn or<T: Clone>(arg: &mut Option<T>, file: &Option<T>) {
        if arg.is_none() {
            arg.clone_from(file);
        }
    }
    // Where `export` and `db` look without --db: the file's db, else its out's.
    let db = file
        .db
        .clone()
        .or_else(|| file.out.as_ref().map(|o| o.join(crate::store::DEFAULT_DB)));
    match &mut cli.command {
        Command::Scan(a) => {
            or(&mut a.rules, &file.rules);
            or(&mut a.out, &file.out);
            or(&mut a.db, &file.db);
            or(&mut a.model, &file.model);
            or(&mut a.jobs, &file.jobs);
            or(&mut a.language, &file.language);
            or(&mut a.channels, &file.channels);
            or(&mut a.assess.roster, &file.roster);
            or(&mut a.assess.period, &file.period);
        }
        Command::Rescore(a) => {
            or(&mut a.rules, &file.rules);
            or(&mut a.out, &file.out);
            or(&mut a.db, &file.db);
            or(&mut a.jobs, &file.jobs);
            or(&mut a.assess.roster, &file.roster);
            or(&mut a.assess.period, &file.period);
        }
        // Not the file's rules: merge takes the ruleset the shards ran with.
        Command::Merge(a) => {
            or(&mut a.out, &file.out);
            or(&mut a.assess.roster, &file.roster);
            or(&mut a.assess.period, &file.period);
        }
        Command::Sample(a) => or(&mut a.db, &file.db),
        Command::Export(a) => or(&mut a.db, &db),
        Command::Db(DbCommand::Check { db: a } | DbCommand::Rebuild { db: a }) => or(a, &db),
        Command::Rules(RulesCommand::Check { path } | RulesCommand::Test { path }) => {
            or(path, &file.rules)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file_and_values_are_checked() {
        let d = parse(
            Path::new("jobs/nightly/callqa.toml"),
            "rules = \"rules\"\nout = \"/srv/qa/out\"\nperiod = \"month\"\njobs = 2\nchannels = \"mono\"\n",
        )
        .unwrap();
        assert_eq!(d.rules, Some(PathBuf::from("jobs/nightly/rules")));
        assert_eq!(d.out, Some(PathBuf::from("/srv/qa/out")));
        assert_eq!(d.period, Some(PeriodArg::Month));
        assert_eq!(d.jobs, Some(2));
        assert_eq!(d.channels, Some(ChannelsArg::Mono));
        let d = parse(Path::new("callqa.toml"), "rules = \"r\"\n").unwrap();
        assert_eq!(d.rules, Some(PathBuf::from("r")));
    }

    #[test]
    fn bad_files_name_the_place() {
        let e = parse(Path::new("c.toml"), "out = \"o\"\njobs = 0\n").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:8: jobs = 0"), "{e}");
        let e = parse(Path::new("c.toml"), "period = \"year\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("c.toml:1:10: period = \"year\": use one of week, month, quarter"),
            "{e}"
        );
        let e = parse(Path::new("c.toml"), "\nrule = \"r\"\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml:2:1: unknown field `rule`"),
            "{e}"
        );
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_current_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(CONFIG_FILE), "out = \"here\"\n").unwrap();
        let env_file = tmp.path().join("env.toml");
        std::fs::write(&env_file, "out = \"env\"\n").unwrap();
        let flag_file = tmp.path().join("flag.toml");
        std::fs::write(&flag_file, "out = \"flag\"\n").unwrap();
        let out = |d: FileDefaults| d.out.unwrap().file_name().unwrap().to_owned();
        let env = Some(env_file.clone().into_os_string());
        assert_eq!(
            out(find(Some(&flag_file), env.clone(), tmp.path()).unwrap()),
            "flag"
        );
        assert_eq!(out(find(None, env, tmp.path()).unwrap()), "env");
        assert_eq!(out(find(None, None, tmp.path()).unwrap()), "here");
        let none = tempfile::tempdir().unwrap();
        assert_eq!(
            find(None, None, none.path()).unwrap(),
            FileDefaults::default()
        );
        assert!(matches!(
            find(Some(&none.path().join("missing.toml")), None, none.path()),
            Err(ConfigFileError::Read { by: "--config", .. })
        ));
    }
}
