//! The roster (`--roster roster.csv`): who each agent is and which team (客服组)
//! they are in, so results can be assessed per team. Columns `agent_id,name,team`
//! found by header name in any order (more columns allowed, e.g. hire date);
//! UTF-8 with or without a BOM, or GBK as Chinese Excel saves it. A roster is
//! configuration, so it is read strictly: every bad line is reported with its line
//! number, and a roster with any is refused as a whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The columns a roster must have.
pub const COLUMNS: [&str; 3] = ["agent_id", "name", "team"];

/// The team of agents that are not in the roster (and of every agent without one).
pub const NO_TEAM: &str = "(none)";

/// One agent as the roster lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub team: String,
}

/// Agents by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    members: HashMap<String, Member>,
}

impl Roster {
    pub fn get(&self, agent_id: &str) -> Option<&Member> {
        self.members.get(agent_id)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Builds a roster from (agent_id, name, team) triples (tests, generators).
    pub fn from_members<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Roster {
        Roster {
            members: rows
                .into_iter()
                .map(|(id, name, team)| {
                    let member = Member {
                        name: name.to_string(),
                        team: team.to_string(),
                    };
                    (id.to_string(), member)
                })
                .collect(),
        }
    }
}

/// Everything wrong with a roster file; each line says where and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct RosterError {
    pub file: PathBuf,
    /// `file:line: what`, one per problem.
    pub problems: Vec<String>,
}

/// Reads a roster file.
pub fn read(path: &Path) -> Result<Roster, RosterError> {
    let fail = |what: String| RosterError {
        file: path.to_path_buf(),
        problems: vec![format!("{}: {what}", path.display())],
    };
    let mut source = super::encoding::open_text(path).map_err(fail)?;
    let mut bytes = Vec::new();
    source
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    parse(&bytes, path)
}

/// Parses roster text (UTF-8); `path` is only used in messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Roster, RosterError> {
    let file = path.display();
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(RosterError {
                file: path.to_path_buf(),
                problems: vec![format!("{file}:1: cannot read the header: {e}")],
            })
        }
    };
    let mut index = [0usize; 3];
    for (slot, column) in index.iter_mut().zip(COLUMNS) {
        match headers.iter().position(|h| h.eq_ignore_ascii_case(column)) {
            Some(i) => *slot = i,
            None => problems.push(format!(
                "{file}:1: the header lacks column `{column}`; a roster needs agent_id,name,team (more columns are allowed)"
            )),
        }
    }
    if !problems.is_empty() {
        return Err(RosterError {
            file: path.to_path_buf(),
            problems,
        });
    }
    let mut members: HashMap<String, Member> = HashMap::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("{file}:{line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let needed = index.iter().max().map_or(0, |i| i + 1);
        if record.len() < needed {
            problems.push(format!(
                "{file}:{line}: {} field(s) where agent_id,name,team need {needed} (an unclosed quote or a missing comma?)",
                record.len()
            ));
            continue;
        }
        let cell = |i: usize| record.get(index[i]).unwrap_or("");
        let (id, name, team) = (cell(0), cell(1), cell(2));
        if id.is_empty() {
            problems.push(format!("{file}:{line}: empty agent_id"));
            continue;
        }
        if let Some(first) = first_line.get(id) {
            problems.push(format!(
                "{file}:{line}: agent {id} is listed twice (first at line {first}); keep one line per agent"
            ));
            continue;
        }
        first_line.insert(id.to_string(), line);
        let team = if team.is_empty() { NO_TEAM } else { team };
        members.insert(
            id.to_string(),
            Member {
                name: name.to_string(),
                team: team.to_string(),
            },
        );
    }
    if !problems.is_empty() {
        return Err(RosterError {
            file: path.to_path_buf(),
            problems,
        });
    }
    Ok(Roster { members })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Roster, RosterError> {
        parse(s.as_bytes(), Path::new("roster.csv"))
    }

    #[test]
    fn columns_by_name_extra_columns_bom_and_empty_team() {
        let r =
            parse_str("\u{feff}team,hired,agent_id,name\n一组,2024-01,A01,张三\n,,A02,李四\n\n")
                .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.get("A01"),
            Some(&Member {
                name: "张三".into(),
                team: "一组".into()
            })
        );
        assert_eq!(r.get("A02").unwrap().team, NO_TEAM);
        assert_eq!(r.get("A03"), None);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let e = parse_str("agent_id,name,team\nA01,张三,一组\n,王五,二组\nA01,张三,二组\n")
            .unwrap_err();
        assert_eq!(
            e.problems,
            [
                "roster.csv:3: empty agent_id",
                "roster.csv:4: agent A01 is listed twice (first at line 2); keep one line per agent"
            ]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let e = parse_str("agent_id,name\nA01,张三\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "roster.csv:1: the header lacks column `team`; a roster needs agent_id,name,team (more columns are allowed)"
        );
    }
}
