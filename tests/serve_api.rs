//! `callqa serve` over a real state database, through HTTP: logins, who may see
//! and do what (anonymous 401, an agent only their own, reviewers no rulings),
//! verdicts changing a rule's precision, appeals and final rulings, CSRF on cookie
//! logins, throttled failed logins, audio with Range, and no path from a request
//! ever opened. docs/api.md names every route.

use crate::common::{callqa_ok, s};
use callqa::scan::result::InteractionResult;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(db: &Path, users: Option<&Path>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
    cmd.args(["serve", "--db", s(db), "--listen", "127.0.0.1:0"]);
    if let Some(u) = users {
        cmd.args(["--users", s(u)]);
    }
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .next()
        .expect("the server says where it listens")
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let a = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match (method, body) {
        ("GET", _) => {
            let mut r = a.get(url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.call()
        }
        (_, body) => {
            let mut r = a.post(url);
            if let Some(h) = &auth {
                r = r.header("Authorization", h);
            }
            r.send_json(body.unwrap_or(json!({})))
        }
    }
    .unwrap();
    let status = response.status().as_u16();
    let text = response.into_body().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn add_user(users: &Path, name: &str, role: &str, agent_id: Option<&str>, password: &str) {
    let mut args = vec![
        "users",
        "add",
        name,
        "--users",
        s(users),
        "--role",
        role,
        "--password-stdin",
    ];
    if let Some(a) = agent_id {
        args.extend(["--agent-id", a]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(&args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success(), "users add {name}");
}

/// A state database of the sample chats plus one call result (no model needed:
/// the call's result is stored as a scan would store it).
pub fn archive(dir: &Path, call_agent: &str) -> std::path::PathBuf {
    let out = dir.join("out");
    callqa_ok(&["scan", "samples/chats", "--out", s(&out)], 0);
    let db = out.join("callqa.db");
    let line = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let mut call: InteractionResult = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    call.interaction_id = "call-x".into();
    call.kind = callqa::interaction::InteractionKind::Call;
    call.source = "samples/calls/call-001.wav".into();
    call.agent_id = call_agent.into();
    // Hits at known times inside the 43.5 s recording, for the player to seek to.
    for (k, e) in call
        .violations
        .iter_mut()
        .flat_map(|v| v.evidence.iter_mut())
        .enumerate()
    {
        e.start_s = 5.0 + 3.0 * k as f64;
    }
    let mut store = callqa::store::Store::open(&db).unwrap();
    let key = callqa::store::ResultKey {
        interaction_id: "call-x",
        source: &call.source,
        ruleset_sha256: call.ruleset.sha256.as_ref(),
    };
    store
        .result_put(&key, "h", &serde_json::to_string(&call).unwrap())
        .unwrap();
    db
}

#[test]
fn the_review_loop_and_who_may_do_what() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path(), "A03");
    let users = dir.path().join("users.toml");
    add_user(&users, "rev", "reviewer", None, "reviewer-pass");
    add_user(&users, "a01", "agent", Some("A01"), "agent-one-pass");
    add_user(&users, "a02", "agent", Some("A02"), "agent-two-pass");
    add_user(&users, "lead", "lead", None, "lead-pass-word");
    let server = serve(&db, Some(&users));
    let url = |p: &str| format!("{}{p}", server.base);

    // Anonymous: 401 everywhere.
    for path in [
        "/api/interactions",
        "/api/interactions/c-0002",
        "/api/rules/precision",
        "/audio/call-x",
    ] {
        assert_eq!(call("GET", &url(path), None, None).0, 401, "{path}");
    }
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/verdicts"),
            None,
            Some(json!({"rule_id": "x", "verdict": "true_hit"}))
        )
        .0,
        401
    );

    let login = |user: &str, password: &str| {
        let (status, body) = call(
            "POST",
            &url("/api/login"),
            None,
            Some(json!({"user": user, "password": password})),
        );
        assert_eq!(status, 200, "login {user}: {body}");
        body["token"].as_str().unwrap().to_string()
    };
    assert_eq!(
        call(
            "POST",
            &url("/api/login"),
            None,
            Some(json!({"user": "rev", "password": "wrong"}))
        )
        .0,
        401
    );
    let (rev, a01, lead) = (
        login("rev", "reviewer-pass"),
        login("a01", "agent-one-pass"),
        login("lead", "lead-pass-word"),
    );

    // Lists: the reviewer sees all, worst first; an agent only their own.
    let (status, all) = call(
        "GET",
        &url("/api/interactions?per_page=500"),
        Some(&rev),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(all["total"], 13, "12 chats and the call");
    let scores: Vec<u64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_u64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] <= w[1]) || all["items"][0]["fatal"] == true,
        "{scores:?}"
    );
    let (_, mine) = call("GET", &url("/api/interactions"), Some(&a01), None);
    assert!(mine["total"].as_u64().unwrap() > 0);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["agent_id"] == "A01"));
    let (_, failed) = call(
        "GET",
        &url("/api/interactions?status=failed&agent=A01"),
        Some(&rev),
        None,
    );
    assert!(failed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "failed" && i["agent_id"] == "A01"));

    // An agent cannot read or appeal another agent's interaction (c-0003 is A02's).
    assert_eq!(
        call("GET", &url("/api/interactions/c-0003"), Some(&a01), None).0,
        404
    );
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0003/appeals"),
            Some(&a01),
            Some(json!({"rule_id": "forbidden.not-my-job", "reason": "x"}))
        )
        .0,
        404
    );
    // …nor give verdicts on their own.
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/verdicts"),
            Some(&a01),
            Some(json!({"rule_id": "forbidden.dont-know", "evidence": 0, "verdict": "false_hit"}))
        )
        .0,
        403
    );

    // A reviewer's false_hit moves the rule's precision.
    let (status, one) = call("GET", &url("/api/interactions/c-0002"), Some(&rev), None);
    assert_eq!(status, 200);
    assert_eq!(one["result"]["interaction_id"], "c-0002");
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/verdicts"),
            Some(&rev),
            Some(json!({"rule_id": "forbidden.dont-know", "evidence": 0, "verdict": "true_hit"}))
        )
        .0,
        201
    );
    assert_eq!(call("POST", &url("/api/interactions/c-0002/verdicts"), Some(&rev), Some(json!({"rule_id": "forbidden.dont-know", "evidence": 1, "verdict": "false_hit", "note": "客户在复述"}))).0, 201);
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/verdicts"),
            Some(&rev),
            Some(json!({"rule_id": "forbidden.dont-know", "evidence": 99, "verdict": "false_hit"}))
        )
        .0,
        422
    );
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/verdicts"),
            Some(&rev),
            Some(json!({"rule_id": "required.closing", "verdict": "missed", "start_s": 42.5}))
        )
        .0,
        201
    );
    let (_, precision) = call("GET", &url("/api/rules/precision"), Some(&rev), None);
    let p = precision
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "forbidden.dont-know")
        .unwrap();
    assert_eq!(
        (
            p["reviewed"].as_u64(),
            p["true_hits"].as_u64(),
            p["false_hits"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(p["precision"], 0.5);
    assert!(p["low"].as_f64().unwrap() < 0.5 && p["high"].as_f64().unwrap() > 0.5);
    let (_, reviewed) = call(
        "GET",
        &url("/api/interactions?status=reviewed"),
        Some(&rev),
        None,
    );
    assert_eq!(reviewed["total"], 1);

    // The agent appeals; a reviewer cannot rule; the lead's ruling is final.
    let (status, appeal) = call(
        "POST",
        &url("/api/interactions/c-0002/appeals"),
        Some(&a01),
        Some(json!({"rule_id": "forbidden.dont-know", "reason": "我是在说客户不知道密码"})),
    );
    assert_eq!(status, 201, "{appeal}");
    let id = appeal["id"].as_i64().unwrap();
    assert_eq!(
        call(
            "POST",
            &url("/api/interactions/c-0002/appeals"),
            Some(&rev),
            Some(json!({"rule_id": "forbidden.dont-know", "reason": "x"}))
        )
        .0,
        403
    );
    let ruling = url(&format!("/api/appeals/{id}/ruling"));
    assert_eq!(
        call(
            "POST",
            &ruling,
            Some(&rev),
            Some(json!({"ruling": "overturned"}))
        )
        .0,
        403
    );
    assert_eq!(
        call(
            "POST",
            &ruling,
            Some(&lead),
            Some(json!({"ruling": "overturned", "note": "属实"}))
        )
        .0,
        200
    );
    assert_eq!(
        call(
            "POST",
            &ruling,
            Some(&lead),
            Some(json!({"ruling": "upheld"}))
        )
        .0,
        409,
        "a ruling is final"
    );
    assert_eq!(
        call(
            "POST",
            &url("/api/appeals/9999/ruling"),
            Some(&lead),
            Some(json!({"ruling": "upheld"}))
        )
        .0,
        404
    );
    let (_, one) = call("GET", &url("/api/interactions/c-0002"), Some(&a01), None);
    assert_eq!(one["appeals"][0]["ruling"], "overturned");
    assert_eq!(one["verdicts"].as_array().unwrap().len(), 3);

    // Audio: only recordings the database knows; Range answers 206.
    for path in [
        "/audio/../../etc/passwd",
        "/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/audio/nope",
        "/audio/c-0002",
    ] {
        let status = agent()
            .get(&url(path))
            .header("Authorization", &format!("Bearer {lead}"))
            .call()
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 404, "{path}");
    }
    let response = agent()
        .get(&url("/audio/call-x"))
        .header("Authorization", &format!("Bearer {lead}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "audio/wav");
    let whole = response.into_body().read_to_vec().unwrap();
    assert_eq!(&whole[..4], b"RIFF");
    let decoded = callqa::audio::decode_bytes(&whole).unwrap();
    assert_eq!(
        (decoded.channels.len(), decoded.source_format.as_str()),
        (2, "pcm16"),
        "both channels as PCM"
    );
    let response = agent()
        .get(&url("/audio/call-x"))
        .header("Authorization", &format!("Bearer {lead}"))
        .header("Range", "bytes=100-199")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 206);
    assert_eq!(
        response
            .headers()
            .get("content-range")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("bytes 100-199/{}", whole.len())
    );
    assert_eq!(response.into_body().read_to_vec().unwrap(), whole[100..200]);
    // The agent of another interaction does not get the call (A03's).
    assert_eq!(call("GET", &url("/audio/call-x"), Some(&a01), None).0, 404);
}

#[test]
fn cookie_logins_need_the_csrf_token_and_failed_logins_are_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path(), "A03");
    let users = dir.path().join("users.toml");
    add_user(&users, "rev", "reviewer", None, "reviewer-pass");
    let server = serve(&db, Some(&users));
    let url = |p: &str| format!("{}{p}", server.base);
    let response = agent()
        .post(&url("/api/login"))
        .send_json(json!({"user": "rev", "password": "reviewer-pass"}))
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body: Value =
        serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
    let session = cookie.split(';').next().unwrap().to_string();
    let verdict = json!({"rule_id": "forbidden.dont-know", "evidence": 0, "verdict": "true_hit"});
    let post = |csrf: Option<&str>| {
        let mut r = agent()
            .post(&url("/api/interactions/c-0002/verdicts"))
            .header("Cookie", &session);
        if let Some(c) = csrf {
            r = r.header("X-CSRF-Token", c);
        }
        r.send_json(verdict.clone()).unwrap().status().as_u16()
    };
    assert_eq!(post(None), 403, "a cookie alone cannot change anything");
    assert_eq!(post(Some("forged")), 403);
    assert_eq!(post(body["csrf"].as_str()), 201);
    // Reading with the cookie needs no token.
    let status = agent()
        .get(&url("/api/interactions"))
        .header("Cookie", &session)
        .call()
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 200);

    for _ in 0..5 {
        assert_eq!(
            call(
                "POST",
                &url("/api/login"),
                None,
                Some(json!({"user": "rev", "password": "guess"}))
            )
            .0,
            401
        );
    }
    assert_eq!(
        call(
            "POST",
            &url("/api/login"),
            None,
            Some(json!({"user": "rev", "password": "reviewer-pass"}))
        )
        .0,
        429,
        "locked out even with the right password"
    );
}

#[test]
fn without_users_only_loopback_and_no_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path(), "A03");
    let out = crate::common::callqa(&["serve", "--db", s(&db), "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only listens on 127.0.0.1"));
    let server = serve(&db, None);
    let (status, list) = call(
        "GET",
        &format!("{}/api/interactions", server.base),
        None,
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(list["total"], 13);
}

#[test]
fn docs_api_md_documents_every_route_and_no_other() {
    let doc = std::fs::read_to_string("docs/api.md").unwrap();
    let documented: Vec<(String, String)> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter_map(|l| {
            let mut parts = l.trim_matches('`').split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.next()?.trim_matches('`').to_string(),
            ))
        })
        .filter(|(m, _)| m == "GET" || m == "POST")
        .collect();
    let routes: Vec<(String, String)> = callqa::serve::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, routes,
        "docs/api.md headings (### `METHOD /path`) must list the server's routes in order"
    );
}

#[test]
fn verdicts_survive_a_rescore_that_still_finds_the_hit() {
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path(), "A03");
    let out = db.parent().unwrap().to_path_buf();
    let hit_key = |v: &Value, k: usize| {
        let e = &v["result"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule_id"] == "forbidden.dont-know")
            .unwrap()["evidence"][k];
        format!("{}:{}-{}", e["turn"], e["start_byte"], e["end_byte"])
    };
    let key_before;
    {
        let server = serve(&db, None);
        let url = format!("{}/api/interactions/c-0002", server.base);
        assert_eq!(
            call(
                "POST",
                &format!("{url}/verdicts"),
                None,
                Some(
                    json!({"rule_id": "forbidden.dont-know", "evidence": 1, "verdict": "false_hit"})
                )
            )
            .0,
            201
        );
        key_before = hit_key(&call("GET", &url, None, None).1, 1);
    }
    // A new version of the rules: another rule changes, 不知道 is still forbidden.
    let rules = dir.path().join("rules-v2");
    std::fs::create_dir_all(&rules).unwrap();
    let text = std::fs::read_to_string("rules/default.toml").unwrap();
    let changed = text
        .replace("version = \"2026.12.1\"", "version = \"2026.12.9\"")
        .replace("\"你自己看\",", "\"你自己看\", \"自己查\",");
    assert_ne!(changed, text);
    std::fs::write(rules.join("default.toml"), changed).unwrap();
    callqa_ok(&["rescore", "--rules", s(&rules), "--out", s(&out)], 0);

    let server = serve(&db, None);
    let (_, one) = call(
        "GET",
        &format!("{}/api/interactions/c-0002", server.base),
        None,
        None,
    );
    assert_eq!(
        one["result"]["ruleset"]["version"], "2026.12.9",
        "the server shows the rescored results"
    );
    assert_eq!(hit_key(&one, 1), key_before, "the same hit");
    let verdicts = one["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(
        (
            verdicts[0]["hit_key"].as_str(),
            verdicts[0]["verdict"].as_str()
        ),
        (Some(key_before.as_str()), Some("false_hit"))
    );
    // The page still marks that hit false.
    let page = agent()
        .get(&format!("{}/interactions/c-0002", server.base))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert_eq!(
        page.matches("<mark class=\"false\"").count(),
        1,
        "one hit shown as a false hit"
    );
}
