//! The review loop's records: a reviewer's verdict on a hit (`true_hit`,
//! `false_hit`) or on a violation the machine missed (`missed`), an agent's appeal
//! against a violation and a lead's final ruling on it. Verdicts are keyed by the
//! hit itself (rule, turn, byte span), not by the result line, so a rescore that
//! still finds the same hit keeps its verdict; a later verdict on the same hit
//! replaces the earlier one.

use super::{timestamp, Store, StoreError};
use crate::scan::review::{Missed, Review};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What a reviewer said about a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    TrueHit,
    FalseHit,
    Missed,
}

impl VerdictKind {
    pub fn name(self) -> &'static str {
        match self {
            VerdictKind::TrueHit => "true_hit",
            VerdictKind::FalseHit => "false_hit",
            VerdictKind::Missed => "missed",
        }
    }

    fn parse(s: &str) -> Option<VerdictKind> {
        Some(match s {
            "true_hit" => VerdictKind::TrueHit,
            "false_hit" => VerdictKind::FalseHit,
            "missed" => VerdictKind::Missed,
            _ => return None,
        })
    }
}

/// A lead's final word on an appeal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ruling {
    /// The violation stands.
    Upheld,
    /// The violation is withdrawn: it no longer counts in scores and aggregates.
    Overturned,
}

impl Ruling {
    pub fn name(self) -> &'static str {
        match self {
            Ruling::Upheld => "upheld",
            Ruling::Overturned => "overturned",
        }
    }

    fn parse(s: &str) -> Option<Ruling> {
        match s {
            "upheld" => Some(Ruling::Upheld),
            "overturned" => Some(Ruling::Overturned),
            _ => None,
        }
    }
}

/// One interaction as the review records name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed<'a> {
    pub interaction_id: &'a str,
    pub source: &'a str,
}

/// A stored verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub id: i64,
    pub interaction_id: String,
    pub source: String,
    pub rule_id: String,
    /// `turn:start_byte-end_byte` of the hit, empty for a violation without
    /// evidence (required, metric), `missed@SECONDS` for a missed violation.
    pub hit_key: String,
    pub verdict: VerdictKind,
    pub start_s: Option<f64>,
    pub note: String,
    pub user: String,
    pub created_at: String,
}

/// A stored appeal with its ruling, once there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appeal {
    pub id: i64,
    pub interaction_id: String,
    pub source: String,
    pub rule_id: String,
    pub reason: String,
    pub user: String,
    pub created_at: String,
    pub ruling: Option<Ruling>,
    pub ruling_note: Option<String>,
    pub ruled_by: Option<String>,
    pub ruled_at: Option<String>,
}

/// What a verdict says, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVerdict<'a> {
    pub rule_id: &'a str,
    pub hit_key: String,
    pub verdict: VerdictKind,
    pub start_s: Option<f64>,
    pub note: &'a str,
    pub user: &'a str,
}

const VERDICT_COLUMNS: &str =
    "id, interaction_id, source, rule_id, hit_key, verdict, start_s, note, user, created_at";
const APPEAL_COLUMNS: &str = "id, interaction_id, source, rule_id, reason, user, created_at, ruling, ruling_note, ruled_by, ruled_at";

fn verdict_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Verdict> {
    let kind: String = r.get(5)?;
    Ok(Verdict {
        id: r.get(0)?,
        interaction_id: r.get(1)?,
        source: r.get(2)?,
        rule_id: r.get(3)?,
        hit_key: r.get(4)?,
        verdict: VerdictKind::parse(&kind).unwrap_or(VerdictKind::Missed),
        start_s: r.get(6)?,
        note: r.get(7)?,
        user: r.get(8)?,
        created_at: r.get(9)?,
    })
}

fn appeal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Appeal> {
    let ruling: Option<String> = r.get(7)?;
    Ok(Appeal {
        id: r.get(0)?,
        interaction_id: r.get(1)?,
        source: r.get(2)?,
        rule_id: r.get(3)?,
        reason: r.get(4)?,
        user: r.get(5)?,
        created_at: r.get(6)?,
        ruling: ruling.as_deref().and_then(Ruling::parse),
        ruling_note: r.get(8)?,
        ruled_by: r.get(9)?,
        ruled_at: r.get(10)?,
    })
}

impl Store {
    /// Every row `sql` selects, mapped by `row`.
    fn rows<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
        what: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql(what))?;
        let rows = stmt.query_map(params, row).map_err(self.sql(what))?;
        rows.collect::<Result<_, _>>().map_err(self.sql(what))
    }

    /// Records a verdict (now); one on the same hit replaces the earlier one.
    pub fn verdict_put(&mut self, on: Reviewed<'_>, v: &NewVerdict<'_>) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO verdicts (interaction_id, source, rule_id, hit_key, verdict, start_s, note, user, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (interaction_id, source, rule_id, hit_key) DO UPDATE SET verdict = excluded.verdict,
                     start_s = excluded.start_s, note = excluded.note, user = excluded.user, created_at = excluded.created_at
                 RETURNING id",
                rusqlite::params![
                    on.interaction_id,
                    on.source,
                    v.rule_id,
                    v.hit_key,
                    v.verdict.name(),
                    v.start_s,
                    v.note,
                    v.user,
                    timestamp(chrono::Utc::now())
                ],
                |r| r.get(0),
            )
            .map_err(self.sql("store a verdict"))
    }

    /// The verdicts on one interaction, oldest first.
    pub fn verdicts_of(&self, on: Reviewed<'_>) -> Result<Vec<Verdict>, StoreError> {
        let sql = format!("SELECT {VERDICT_COLUMNS} FROM verdicts WHERE interaction_id = ?1 AND source = ?2 ORDER BY id");
        self.rows(
            &sql,
            [on.interaction_id, on.source],
            verdict_row,
            "read verdicts",
        )
    }

    /// Every verdict, oldest first (rule precision, export).
    pub fn all_verdicts(&self) -> Result<Vec<Verdict>, StoreError> {
        let sql = format!("SELECT {VERDICT_COLUMNS} FROM verdicts ORDER BY id");
        self.rows(&sql, [], verdict_row, "read verdicts")
    }

    /// Records an appeal (now) and returns its id.
    pub fn appeal_add(
        &mut self,
        on: Reviewed<'_>,
        rule_id: &str,
        reason: &str,
        user: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO appeals (interaction_id, source, rule_id, reason, user, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                rusqlite::params![
                    on.interaction_id,
                    on.source,
                    rule_id,
                    reason,
                    user,
                    timestamp(chrono::Utc::now())
                ],
                |r| r.get(0),
            )
            .map_err(self.sql("store an appeal"))
    }

    /// One appeal.
    pub fn appeal_get(&self, id: i64) -> Result<Option<Appeal>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], appeal_row)
            .optional()
            .map_err(self.sql("read an appeal"))
    }

    /// Rules on an appeal that has no ruling yet; `false` when it already has one
    /// (a ruling is final) or does not exist.
    pub fn appeal_rule(
        &mut self,
        id: i64,
        ruling: Ruling,
        note: &str,
        user: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE appeals SET ruling = ?2, ruling_note = ?3, ruled_by = ?4, ruled_at = ?5
                 WHERE id = ?1 AND ruling IS NULL",
                rusqlite::params![id, ruling.name(), note, user, timestamp(chrono::Utc::now())],
            )
            .map_err(self.sql("store a ruling"))?;
        Ok(n == 1)
    }

    /// The appeals on one interaction, oldest first.
    pub fn appeals_of(&self, on: Reviewed<'_>) -> Result<Vec<Appeal>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE interaction_id = ?1 AND source = ?2 ORDER BY id");
        self.rows(
            &sql,
            [on.interaction_id, on.source],
            appeal_row,
            "read appeals",
        )
    }

    /// Every appeal, oldest first.
    pub fn all_appeals(&self) -> Result<Vec<Appeal>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals ORDER BY id");
        self.rows(&sql, [], appeal_row, "read appeals")
    }
}

impl Store {
    /// Records the rule text a ruleset's results were scored with (kept once).
    pub fn ruleset_put(&mut self, sha256: &str, text: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO rulesets (sha256, text) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
                [sha256, text],
            )
            .map_err(self.sql("store a ruleset"))?;
        Ok(())
    }

    /// The rule text of ruleset `sha256`, when a run recorded it.
    pub fn ruleset_text(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT text FROM rulesets WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("read a ruleset"))
    }

    /// Marks an interaction as gone through in full by `user` (now): whatever it
    /// violates that the machine did not flag, the reviewer added as `missed`.
    pub fn full_review_put(&mut self, on: Reviewed<'_>, user: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO full_reviews (interaction_id, source, user, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (interaction_id, source) DO UPDATE SET user = excluded.user, created_at = excluded.created_at",
                rusqlite::params![on.interaction_id, on.source, user, timestamp(chrono::Utc::now())],
            )
            .map_err(self.sql("store a full review"))?;
        Ok(())
    }

    /// Every interaction reviewed in full: (interaction id, source).
    pub fn full_reviews(&self) -> Result<HashSet<(String, String)>, StoreError> {
        let rows = self.rows(
            "SELECT interaction_id, source FROM full_reviews",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
            "read full reviews",
        )?;
        Ok(rows.into_iter().collect())
    }

    /// What the review records change, per (interaction id, source): overturned
    /// appeals, false hits and missed violations.
    pub fn reviews(&self) -> Result<HashMap<(String, String), Review>, StoreError> {
        let mut out: HashMap<(String, String), Review> = HashMap::new();
        for v in self.all_verdicts()? {
            let key = (v.interaction_id.clone(), v.source.clone());
            count_verdict(out.entry(key).or_default(), v);
        }
        for a in self.all_appeals()? {
            let key = (a.interaction_id.clone(), a.source.clone());
            count_appeal(out.entry(key).or_default(), a);
        }
        out.retain(|_, r| !r.is_empty());
        Ok(out)
    }

    /// The review records of one interaction, as [`Store::reviews`] gives them.
    pub fn review_of(&self, on: Reviewed<'_>) -> Result<Review, StoreError> {
        let mut review = Review::default();
        for v in self.verdicts_of(on)? {
            count_verdict(&mut review, v);
        }
        for a in self.appeals_of(on)? {
            count_appeal(&mut review, a);
        }
        Ok(review)
    }
}

/// What a verdict changes: a false hit, or a violation the machine missed.
fn count_verdict(review: &mut Review, v: Verdict) {
    match v.verdict {
        VerdictKind::TrueHit => {}
        VerdictKind::FalseHit => {
            review.false_hits.insert((v.rule_id, v.hit_key), v.id);
        }
        VerdictKind::Missed => review.missed.push(Missed {
            rule_id: v.rule_id,
            start_s: v.start_s,
            note: v.note,
            verdict_id: v.id,
        }),
    }
}

/// What an appeal changes: an overturned violation.
fn count_appeal(review: &mut Review, a: Appeal) {
    if a.ruling == Some(Ruling::Overturned) {
        review.overturned.insert(a.rule_id, a.id);
    }
}
