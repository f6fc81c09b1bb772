//! `callqa export --postgres` against a real server ([`common::pg`]): the rows
//! match results.jsonl, a rerun changes nothing, verdicts and appeals from the
//! workbench's store arrive, a rescan of changed input updates a result and drops
//! the violations it no longer has, a rescore adds the new ruleset's rows (and the
//! `current_*` views follow it), an older schema is upgraded and a newer one refused.

use crate::common;

use callqa::scan::result::InteractionResult;
use callqa::store::reviews::{NewVerdict, Reviewed, Ruling, VerdictKind};
use common::pg::PgServer;
use common::{callqa, callqa_ok, s, sorted_results};
use std::path::Path;

/// Every row of both result tables, as text, in key order (to compare reruns).
fn snapshot(db: &mut postgres::Client, schema: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for q in [
        format!("SELECT t::text FROM {schema}.results t ORDER BY interaction_id, source, ruleset_sha256"),
        format!("SELECT t::text FROM {schema}.violations t ORDER BY interaction_id, source, ruleset_sha256, ordinal"),
        format!("SELECT t::text FROM {schema}.verdicts t ORDER BY store_id"),
        format!("SELECT t::text FROM {schema}.appeals t ORDER BY store_id"),
    ] {
        rows.extend(db.query(&q, &[]).unwrap().iter().map(|r| r.get::<_, String>(0)));
    }
    rows
}

fn count(db: &mut postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).unwrap().get(0)
}

/// Asserts that every result of results.jsonl is in PostgreSQL as written, with
/// exactly its violations; returns how many results there are.
fn matches_results_jsonl(out: &Path, db: &mut postgres::Client) -> usize {
    let results: Vec<InteractionResult> = sorted_results(out);
    assert!(!results.is_empty());
    for r in &results {
        let key: [&(dyn postgres::types::ToSql + Sync); 3] =
            [&r.interaction_id, &r.source, &&*r.ruleset.sha256];
        let row = db
            .query_one(
                "SELECT agent_id, score, passed, fatal, violation_count, ruleset_version, kind,
                        line->>'interaction_id', duration_s
                 FROM callqa.results WHERE interaction_id = $1 AND source = $2 AND ruleset_sha256 = $3",
                &key,
            )
            .unwrap_or_else(|e| panic!("{} not in PostgreSQL: {e}", r.interaction_id));
        assert_eq!(row.get::<_, String>(0), r.agent_id);
        assert_eq!(row.get::<_, i32>(1), r.score as i32, "{}", r.interaction_id);
        assert_eq!(row.get::<_, bool>(2), r.passed);
        assert_eq!(row.get::<_, bool>(3), r.fatal);
        assert_eq!(row.get::<_, i32>(4), r.violations.len() as i32);
        assert_eq!(row.get::<_, String>(5), &*r.ruleset.version);
        assert_eq!(row.get::<_, String>(6), "chat");
        assert_eq!(row.get::<_, String>(7), r.interaction_id);
        assert_eq!(row.get::<_, f64>(8), r.duration_s);
        let got: Vec<(i32, String, i32, i32, Option<String>)> = db
            .query(
                "SELECT ordinal, rule_id, deduct, hits, first_matched FROM callqa.violations
                 WHERE interaction_id = $1 AND source = $2 AND ruleset_sha256 = $3 ORDER BY ordinal",
                &key,
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect();
        let want: Vec<(i32, String, i32, i32, Option<String>)> = r
            .violations
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    i as i32 + 1,
                    v.rule_id.to_string(),
                    v.deduct as i32,
                    v.evidence.len() as i32,
                    v.evidence.first().map(|e| e.matched.clone()),
                )
            })
            .collect();
        assert_eq!(got, want, "violations of {}", r.interaction_id);
    }
    results.len()
}

fn export(db: &Path, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", "--db", s(db), "--postgres", url];
    args.extend(extra);
    String::from_utf8(callqa_ok(&args, 0).stderr).unwrap()
}

#[test]
fn export_to_postgres_is_idempotent_and_follows_the_store() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let mut pg = server.client();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    for f in ["week47.jsonl", "week48.csv"] {
        std::fs::copy(Path::new("samples/chats").join(f), archive.join(f)).unwrap();
    }
    let out = dir.path().join("out");
    let db = out.join("callqa.db");
    callqa_ok(&["scan", s(&archive), "--out", s(&out)], 0);

    // First export: the schema is made, every result and violation arrives.
    let status = export(&db, &url, &[]);
    assert!(status.contains("upgraded from version 0 to 2"), "{status}");
    let n = matches_results_jsonl(&out, &mut pg);
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.results"),
        n as i64
    );
    let violations: usize = sorted_results(&out)
        .iter()
        .map(|r| r.violations.len())
        .sum();
    assert!(violations > 0);
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.violations"),
        violations as i64
    );
    assert!(
        status.contains(&format!("exported {n} result(s)"))
            && status.contains(&format!(
                "{n} new or changed ({violations} violation row(s))"
            )),
        "{status}"
    );

    // A rerun sends the same results and writes nothing.
    let before = snapshot(&mut pg, "callqa");
    let status = export(&db, &url, &[]);
    assert!(
        status.contains("0 new or changed (0 violation row(s))"),
        "{status}"
    );
    assert!(!status.contains("upgraded"), "{status}");
    assert_eq!(snapshot(&mut pg, "callqa"), before);

    // The workbench's records: a verdict, an appeal and its ruling.
    // Not c-0002, whose text changes below (an overturned violation no longer
    // counts, so its rows would not show what the edit removes).
    let first = sorted_results(&out)
        .into_iter()
        .find(|r| !r.violations.is_empty() && r.interaction_id != "c-0002")
        .unwrap();
    let on = Reviewed {
        interaction_id: &first.interaction_id,
        source: &first.source,
    };
    let rule = first.violations[0].rule_id.to_string();
    let (verdict_id, appeal_id) = {
        let mut store = callqa::store::Store::open_shared(&db).unwrap();
        let verdict = NewVerdict {
            rule_id: &rule,
            hit_key: "1:0-3".into(),
            verdict: VerdictKind::FalseHit,
            start_s: Some(1.5),
            note: "客户原话",
            user: "lead1",
        };
        let v = store.verdict_put(on, &verdict).unwrap();
        let a = store
            .appeal_add(on, &rule, "我说的是客户的话", "agent7")
            .unwrap();
        (v, a)
    };
    let status = export(&db, &url, &[]);
    assert!(status.contains("1 verdict(s), 1 appeal(s)"), "{status}");
    let row = pg
        .query_one(
            "SELECT interaction_id, rule_id, hit_key, verdict, start_s, note, reviewer FROM callqa.verdicts WHERE store_id = $1",
            &[&verdict_id],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), first.interaction_id);
    assert_eq!(row.get::<_, String>(1), rule);
    assert_eq!(row.get::<_, String>(2), "1:0-3");
    assert_eq!(row.get::<_, String>(3), "false_hit");
    assert_eq!(row.get::<_, Option<f64>>(4), Some(1.5));
    assert_eq!(row.get::<_, String>(5), "客户原话");
    assert_eq!(row.get::<_, String>(6), "lead1");
    let ruling: Option<String> = pg
        .query_one(
            "SELECT ruling FROM callqa.appeals WHERE store_id = $1",
            &[&appeal_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(ruling, None);
    // The ruling and a changed verdict reach PostgreSQL on the next export.
    {
        let mut store = callqa::store::Store::open_shared(&db).unwrap();
        assert!(store
            .appeal_rule(appeal_id, Ruling::Overturned, "确认", "lead1")
            .unwrap());
        let verdict = NewVerdict {
            rule_id: &rule,
            hit_key: "1:0-3".into(),
            verdict: VerdictKind::TrueHit,
            start_s: Some(1.5),
            note: "复核",
            user: "lead2",
        };
        assert_eq!(store.verdict_put(on, &verdict).unwrap(), verdict_id);
    }
    export(&db, &url, &[]);
    let row = pg
        .query_one(
            "SELECT a.ruling, a.ruled_by, a.ruled_at IS NOT NULL, v.verdict, v.reviewer
             FROM callqa.appeals a, callqa.verdicts v WHERE a.store_id = $1 AND v.store_id = $2",
            &[&appeal_id, &verdict_id],
        )
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("overturned")
    );
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("lead1"));
    assert!(row.get::<_, bool>(2));
    assert_eq!(row.get::<_, String>(3), "true_hit");
    assert_eq!(row.get::<_, String>(4), "lead2");
    assert_eq!(count(&mut pg, "SELECT count(*) FROM callqa.verdicts"), 1);

    // Changed input, same ruleset: c-0002's agent no longer says 不知道, so the
    // rescan rewrites its result and the export drops the violations it lost.
    let c2 = |db: &mut postgres::Client| {
        count(
            db,
            "SELECT count(*) FROM callqa.violations WHERE interaction_id = 'c-0002'",
        )
    };
    let had = c2(&mut pg);
    assert!(had > 0);
    let chats = archive.join("week47.jsonl");
    let text = std::fs::read_to_string(&chats).unwrap();
    let polite = text
        .replace(
            "这个我也不知道，财务那边的事情我不清楚",
            "我帮您查询一下财务的处理进度",
        )
        .replace("不知道，您再等等吧", "请您再耐心等待一下");
    assert_ne!(polite, text);
    std::fs::write(&chats, polite).unwrap();
    let week48 = |db: &mut postgres::Client| -> Vec<String> {
        db.query(
            "SELECT t::text FROM callqa.results t WHERE source LIKE '%week48.csv' ORDER BY interaction_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let other_file = week48(&mut pg);
    assert!(!other_file.is_empty());
    callqa_ok(&["scan", s(&archive), "--out", s(&out)], 0);
    let status = export(&db, &url, &[]);
    // The edited file's results are re-recorded (new input), the other file's not.
    assert!(!status.contains(" 0 new or changed"), "{status}");
    assert_eq!(
        week48(&mut pg),
        other_file,
        "untouched rows are not rewritten"
    );
    assert!(c2(&mut pg) < had, "the lost violations are removed");
    // The overturned violation does not count in PostgreSQL either.
    let overturned = count(
        &mut pg,
        &format!(
            "SELECT count(*) FROM callqa.violations WHERE interaction_id = '{}' AND rule_id = '{rule}'",
            first.interaction_id
        ),
    );
    assert_eq!(
        overturned, 0,
        "{rule} of {} was overturned",
        first.interaction_id
    );
    assert_eq!(matches_results_jsonl(&out, &mut pg), n);
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.results"),
        n as i64
    );

    // A rescore with a changed ruleset: its rows arrive beside the old ones and the
    // current_* views show them. Only results recorded since the rescore are sent.
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let rules = dir.path().join("rules-v2");
    std::fs::create_dir(&rules).unwrap();
    let text = std::fs::read_to_string("rules/default.toml").unwrap();
    let changed = text.replace(
        "phrases = [\"不知道\", \"不清楚\", \"不晓得\"]",
        "phrases = [\"不晓得\", \"等等\"]",
    );
    assert_ne!(changed, text);
    std::fs::write(rules.join("default.toml"), changed).unwrap();
    callqa_ok(&["rescore", "--rules", s(&rules), "--out", s(&out)], 0);
    let status = export(&db, &url, &["--since", &since]);
    assert!(
        status.contains(&format!("exported {n} result(s)")),
        "only the rescored results are sent: {status}"
    );
    assert_eq!(matches_results_jsonl(&out, &mut pg), n);
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.results"),
        2 * n as i64
    );
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.current_results"),
        n as i64
    );
    let new_sha = sorted_results(&out)[0].ruleset.sha256.to_string();
    let current: i64 = pg
        .query_one(
            "SELECT count(*) FROM callqa.current_results WHERE ruleset_sha256 = $1",
            &[&new_sha],
        )
        .unwrap()
        .get(0);
    assert_eq!(current, n as i64);
    let violations: usize = sorted_results(&out)
        .iter()
        .map(|r| r.violations.len())
        .sum();
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM callqa.current_violations"),
        violations as i64
    );
    let before = snapshot(&mut pg, "callqa");
    export(&db, &url, &[]);
    assert_eq!(
        snapshot(&mut pg, "callqa"),
        before,
        "a full rerun changes nothing"
    );
}

#[test]
fn an_older_schema_is_upgraded_and_a_newer_one_refused() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let mut pg = server.client();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let db = out.join("callqa.db");
    callqa_ok(&["scan", "samples/chats/week48.csv", "--out", s(&out)], 0);

    // A schema as an older callqa left it: version 1 only.
    let target = callqa::output::postgres::PgTarget::parse(&url, "qa_old").unwrap();
    let m = callqa::output::postgres::migrate(&target, 1).unwrap();
    assert_eq!((m.found, m.applied), (0, vec![1]));
    let status = export(&db, &url, &["--pg-schema", "qa_old"]);
    assert!(status.contains("upgraded from version 1 to 2"), "{status}");
    let versions: Vec<i32> = pg
        .query(
            "SELECT version FROM qa_old.schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);
    let n = sorted_results(&out).len() as i64;
    assert_eq!(
        count(&mut pg, "SELECT count(*) FROM qa_old.current_results"),
        n
    );
    // Nothing went into the default schema.
    assert_eq!(
        count(
            &mut pg,
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'callqa'"
        ),
        0
    );

    // A loader that may only write rows (no CREATE anywhere) exports into the
    // existing, current schema.
    pg.batch_execute(
        "CREATE ROLE loader LOGIN;
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         GRANT USAGE ON SCHEMA qa_old TO loader;
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA qa_old TO loader;",
    )
    .unwrap();
    let loader = url.replace("postgresql://callqa@", "postgresql://loader@");
    pg.batch_execute("DELETE FROM qa_old.results").unwrap();
    let status = export(&db, &loader, &["--pg-schema", "qa_old"]);
    assert!(status.contains(&format!("{n} new or changed")), "{status}");
    assert_eq!(count(&mut pg, "SELECT count(*) FROM qa_old.results"), n);

    // A schema from a newer callqa is refused, and nothing is written.
    pg.batch_execute(
        "INSERT INTO qa_old.schema_migrations (version, description, callqa_version) VALUES (99, 'future', '9.9.9');
         DELETE FROM qa_old.results;",
    )
    .unwrap();
    let out2 = callqa(&[
        "export",
        "--db",
        s(&db),
        "--postgres",
        &url,
        "--pg-schema",
        "qa_old",
    ]);
    assert_eq!(out2.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out2.stderr);
    assert!(
        err.contains("version 99, newer than this callqa knows (2)"),
        "{err}"
    );
    assert_eq!(count(&mut pg, "SELECT count(*) FROM qa_old.results"), 0);

    // A server that is not there: the message names it without a password.
    let secret = "postgresql://callqa:hunter2@%2Fnonexistent:5432/postgres";
    let out3 = callqa(&["export", "--db", s(&db), "--postgres", secret]);
    assert_eq!(out3.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out3.stderr);
    assert!(
        err.contains("cannot connect to PostgreSQL at callqa@/nonexistent:5432/postgres"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    // Bad arguments are usage errors.
    let out4 = callqa(&[
        "export",
        "--db",
        s(&db),
        "--postgres",
        &url,
        "--pg-schema",
        "Bad-Name",
    ]);
    assert_eq!(
        out4.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&out4.stderr)
    );
}
