//! The workbench in a real browser: Debian's chromium, headless, driven over the
//! W3C WebDriver protocol by chromedriver (plain JSON over HTTP, so no WebDriver
//! crate). A reviewer opens the worst agent, opens a failing call, clicks a hit and
//! the player jumps there, marks a hit false and sees the rule's precision change;
//! the agent appeals; the lead overturns. With CALLQA_SCREENSHOTS=1 the screenshots land in docs/. Without
//! chromium the test fails when CALLQA_REQUIRE_BROWSER is set (scripts/test.sh sets
//! it) and says it did not run otherwise.

use super::serve_api::{add_user, archive, serve};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn send(method: &str, url: &str, body: Option<Value>) -> Value {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let response = match method {
        "GET" => agent.get(url).call(),
        "DELETE" => agent.delete(url).call(),
        _ => agent.post(url).send_json(body.unwrap_or(json!({}))),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = response.into_body().read_to_string().unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Some(err) = v["value"]["error"].as_str() {
        panic!("{method} {url}: {err}: {}", v["value"]["message"]);
    }
    v["value"].clone()
}

impl Driver {
    fn start() -> Option<Driver> {
        let have = |c: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !have("chromium") || !have("chromedriver") {
            assert!(
                std::env::var_os("CALLQA_REQUIRE_BROWSER").is_none(),
                "CALLQA_REQUIRE_BROWSER is set but chromium/chromedriver are missing (scripts/setup.sh installs them)"
            );
            eprintln!("serve_browser: NOT RUN: chromium or chromedriver missing");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", "--autoplay-policy=no-user-gesture-required"]}}}});
        let session = send("POST", &format!("{base}/session"), Some(caps))["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
        Some(Driver {
            child,
            base,
            session,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn go(&self, url: &str) {
        send("POST", &self.url("/url"), Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent();
            let r = agent
                .post(&self.url("/element"))
                .send_json(json!({"using": "css selector", "value": css}))
                .unwrap();
            let v: Value = serde_json::from_str(&r.into_body().read_to_string().unwrap()).unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            if Instant::now() >= deadline {
                let src = send("GET", &self.url("/source"), None);
                panic!(
                    "no element {css} ({v}) in {}",
                    src.as_str()
                        .unwrap_or("")
                        .chars()
                        .take(600)
                        .collect::<String>()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        send("POST", &self.url(&format!("/element/{id}/click")), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        send(
            "POST",
            &self.url(&format!("/element/{id}/value")),
            Some(json!({"text": text})),
        );
    }

    fn js(&self, script: &str) -> Value {
        send(
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
    }

    fn wait_for(&self, script: &str, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.js(script);
            if !v.is_null() && v != json!(false) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Saves a screenshot as docs/NAME with CALLQA_SCREENSHOTS=1 (to commit), else
    /// in the temp directory (still taken, so a broken page still fails here).
    fn screenshot(&self, name: &str) {
        use std::io::Write;
        let path = if std::env::var_os("CALLQA_SCREENSHOTS").is_some() {
            std::path::Path::new("docs").join(name)
        } else {
            std::env::temp_dir().join(name)
        };
        let b64 = send("GET", &self.url("/screenshot"), None);
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::File::create(path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
    }

    fn login(&self, base: &str, user: &str, password: &str) {
        send("DELETE", &self.url("/cookie"), None);
        self.go(&format!("{base}/"));
        self.type_into("#user", user);
        self.type_into("#password", password);
        self.click("#login");
        self.wait_for(&format!("return document.getElementById('who') && document.getElementById('who').textContent.startsWith('{user} ')"), "the login");
    }
}

#[test]
fn review_appeal_and_ruling_in_a_real_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = archive(dir.path(), "A01");
    let users = dir.path().join("users.toml");
    add_user(&users, "rev", "reviewer", None, "reviewer-pass");
    add_user(&users, "a01", "agent", Some("A01"), "agent-one-pass");
    add_user(&users, "lead", "lead", None, "lead-pass-word");
    let server = serve(&db, Some(&users));
    let base = server.base.clone();

    // The reviewer opens the worst agent (first row), then a failing call.
    driver.login(&base, "rev", "reviewer-pass");
    let worst = driver.js("return document.querySelector('#agents tbody tr td a').textContent");
    driver.click("#agents tbody tr td a");
    driver.wait_for("return location.pathname === '/interactions' && document.querySelectorAll('#interactions tbody tr').length > 0", "the agent's interactions");
    let agents = driver.js("return Array.from(document.querySelectorAll('#interactions tbody tr td:nth-child(2)')).map(function(t){return t.textContent})");
    assert!(
        agents.as_array().unwrap().iter().all(|a| *a == worst),
        "{agents} are all {worst}'s"
    );
    driver.go(&format!("{base}/interactions/call-x"));
    driver.wait_for("return document.getElementById('audio') && document.getElementById('audio').readyState >= 1", "the recording's metadata");
    // Clicking a hit moves the player to it.
    let seek = driver
        .js("return parseFloat(document.querySelector('mark').dataset.seek)")
        .as_f64()
        .unwrap();
    assert!(seek > 1.0, "the first hit is {seek} s in");
    driver.click("mark");
    let at = driver.wait_for(&format!("var a=document.getElementById('audio'); return Math.abs(a.currentTime - {seek}) < 0.6 ? a.currentTime : null"), "the player to jump to the hit");
    assert!(
        (at.as_f64().unwrap() - seek).abs() < 0.6,
        "currentTime {at} vs hit at {seek}"
    );
    driver.screenshot("workbench-interaction.png");

    // Mark the first hit false; the rule's precision page shows it.
    let rule = driver
        .js("return document.querySelector('button[data-verdict=false_hit]').dataset.rule")
        .as_str()
        .unwrap()
        .to_string();
    driver.click("button[data-verdict=false_hit]");
    driver.wait_for(
        "return document.querySelector('mark.false') !== null",
        "the hit marked false",
    );
    // The reviewer has gone through the whole call.
    driver.click("#mark-reviewed");
    driver.wait_for(
        "return document.getElementById('full') !== null",
        "the full-review mark",
    );
    driver.go(&format!("{base}/rules"));
    let precision = driver.wait_for(&format!("var r=document.querySelector('#precision tr[data-rule=\"{rule}\"] td.precision'); return r && r.textContent"), "the precision row");
    assert_eq!(precision, json!("0.0%"), "one reviewed hit, false");
    driver.screenshot("workbench-precision.png");

    // The agent appeals the violation (the page asks for the reason).
    driver.login(&base, "a01", "agent-one-pass");
    driver.go(&format!("{base}/interactions/call-x"));
    driver.click(&format!("button[data-appeal=\"{rule}\"]"));
    send(
        "POST",
        &driver.url("/alert/text"),
        Some(json!({"text": "我在复述客户的话"})),
    );
    send("POST", &driver.url("/alert/accept"), None);
    driver.wait_for(
        "return document.body.textContent.indexOf('待裁定 pending') >= 0",
        "the pending appeal",
    );
    assert_eq!(
        driver.js("return document.querySelectorAll('button[data-verdict]').length"),
        json!(0),
        "agents give no verdicts"
    );

    // The lead overturns it; the violation shows as withdrawn.
    driver.login(&base, "lead", "lead-pass-word");
    driver.go(&format!("{base}/interactions/call-x"));
    let before: u64 = driver
        .js("return document.getElementById('score').textContent")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    driver.click("button[data-ruling=overturned]");
    driver.wait_for(&format!("var v=document.querySelector('.v[data-rule=\"{rule}\"]'); return v && v.classList.contains('overturned')"), "the overturned violation");
    let after: u64 = driver
        .js("return document.getElementById('score').textContent")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        after > before,
        "the overturned violation no longer counts: {before} -> {after}"
    );
    let machine = driver.js("return document.getElementById('machine-score').textContent");
    assert!(
        machine.as_str().unwrap().contains("before review"),
        "{machine}"
    );
    driver.screenshot("workbench-ruling.png");

    // The agents page: adherence after review, the machine's, and the corrected one.
    driver.go(&format!("{base}/"));
    driver.wait_for(
        "return document.querySelector('#agents tr[data-agent=A01] td.corrected') !== null",
        "the agents table",
    );
    driver.screenshot("workbench-agents.png");
}
