//! The workbench's pages, rendered on the server (no bundler, no assets from the
//! network): agents worst first, an agent's or a filter's interactions, and one
//! interaction as a conversation with every hit marked, an audio player that
//! jumps to a hit when it is clicked, and the verdict, appeal and ruling buttons
//! the user's role allows. The little script posts to the JSON API with the CSRF
//! token. Chinese first, English beside, usable at 390 px.

use super::api::ApiError;
use super::auth::Principal;
use super::index::{Filter, Index};
use super::users::Role;
use super::State;
use crate::output::html::escape::esc;
use crate::scan::result::{Dismissed, DismissedBy, InteractionResult, Violation};
use crate::store::reviews::{Appeal, Reviewed, Verdict};
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

const STYLE: &str = "body{font:15px/1.5 system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;margin:0;color:#1d2430;background:#f5f6f8}header{background:#1f3a5f;color:#fff;padding:.6rem 1rem}header a{color:#fff}main{padding:1rem;max-width:1100px;margin:auto}.wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left;white-space:nowrap}td.num,th.num{text-align:right}form.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}form.filters input,form.filters select{padding:.3rem;max-width:10rem}.turn{background:#fff;border-radius:6px;padding:.4rem .6rem;margin:.3rem 0;max-width:46rem}.turn.agent{margin-left:auto;background:#eef4ff}.meta{color:#667;font-size:.85em}mark{background:#ffd9a8;cursor:pointer;padding:0 .1em}mark.false{background:#ddd;text-decoration:line-through}.v{background:#fff;border-left:4px solid #c0392b;padding:.4rem .6rem;margin:.4rem 0}.v.overturned{border-color:#999;opacity:.7}button{margin:.15rem;padding:.25rem .6rem}audio{width:100%;position:sticky;top:0;z-index:1}.bad{color:#c0392b}.ok{color:#1e7d32}";

/// The page frame.
fn page(title: &str, me: &Principal, csrf: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · callqa</title><style>{STYLE}</style></head><body data-csrf=\"{}\"><header><a href=\"/\">质检工作台 QA workbench</a> · <a href=\"/rules\">规则准确率 Rule precision</a> · <span id=\"who\">{} ({})</span></header><main>{body}</main><script>{SCRIPT}</script></body></html>",
        esc(title),
        esc(csrf),
        esc(&me.name),
        role_name(me.role)
    ))
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Reviewer => "质检员 reviewer",
        Role::Agent => "坐席 agent",
        Role::Lead => "组长 lead",
    }
}

/// Posts JSON to the API with the CSRF token, then reloads; clicking a hit seeks
/// the audio.
const SCRIPT: &str = r#"
function api(path, body){return fetch(path,{method:'POST',headers:{'Content-Type':'application/json','X-CSRF-Token':document.body.dataset.csrf},body:JSON.stringify(body)}).then(function(r){if(!r.ok){return r.json().then(function(e){alert(e.error||r.status)})}location.reload()})}
document.addEventListener('click',function(e){var t=e.target;
 if(t.dataset.seek!==undefined){var a=document.getElementById('audio');if(a){a.currentTime=parseFloat(t.dataset.seek);a.play().catch(function(){})}}
 if(t.dataset.verdict){api(location.pathname.replace('/interactions/','/api/interactions/')+'/verdicts',{rule_id:t.dataset.rule,evidence:t.dataset.evidence===''?null:parseInt(t.dataset.evidence),verdict:t.dataset.verdict,note:''})}
 if(t.dataset.appeal){var r=prompt('申诉理由 Reason');if(r){api(location.pathname.replace('/interactions/','/api/interactions/')+'/appeals',{rule_id:t.dataset.appeal,reason:r})}}
 if(t.dataset.ruling){api('/api/appeals/'+t.dataset.id+'/ruling',{ruling:t.dataset.ruling,note:''})}
 var here=location.pathname.replace('/interactions/','/api/interactions/');
 if(t.id==='add-missed'){var at=parseFloat(document.getElementById('missed-at').value);if(isNaN(at)){alert('秒数 Seconds?');return}api(here+'/verdicts',{rule_id:document.getElementById('missed-rule').value,verdict:'missed',start_s:at,note:document.getElementById('missed-note').value})}
 if(t.id==='mark-reviewed'){api(here+'/reviewed',{})}
 if(t.id==='login'){fetch('/api/login',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({user:document.getElementById('user').value,password:document.getElementById('password').value})}).then(function(r){if(r.ok){location.href='/'}else{document.getElementById('msg').textContent='登录失败 Login failed ('+r.status+')'}})}
});
"#;

/// Who is asking and their CSRF token; `None`: nobody is logged in.
fn who(state: &State, headers: &HeaderMap) -> Option<(Principal, String)> {
    let me = state.auth.principal(headers, false).ok()?;
    Some((me, state.auth.csrf_of(headers).unwrap_or_default()))
}

/// The answer to a page request without a login: 401 with the login form.
fn login_required() -> Response {
    (StatusCode::UNAUTHORIZED, login_page()).into_response()
}

/// A hit inside a turn: (start byte, end byte, rule id, evidence index, start_s).
type Mark<'a> = (usize, usize, &'a str, usize, f64);

fn login_page() -> Html<String> {
    Html(format!("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>登录 Log in · callqa</title><style>{STYLE}</style></head><body><header>质检工作台 QA workbench</header><main><h1>登录 Log in</h1><p><label>用户 User <input id=\"user\" autocomplete=\"username\"></label></p><p><label>密码 Password <input id=\"password\" type=\"password\" autocomplete=\"current-password\"></label></p><button id=\"login\">登录 Log in</button><p id=\"msg\" class=\"bad\"></p></main><script>{SCRIPT}</script></body></html>"))
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `GET /`: agents worst first, over all weeks or one.
pub async fn agents(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<super::api::AgentsQuery>,
) -> Response {
    let Some((me, csrf)) = who(&state, &headers) else {
        return login_required();
    };
    let index = state.index.read().unwrap_or_else(|p| p.into_inner());
    let week = q.week.as_deref().filter(|w| !w.is_empty());
    let rows = index.agents(week, me.only_agent());
    let mut body = String::from("<h1>坐席（达标率从低到高） Agents, worst first</h1>");
    body.push_str("<form class=\"filters\" action=\"/\"><select name=\"week\"><option value=\"\">全部周 All weeks</option>");
    for w in weeks(&index) {
        let sel = if week == Some(w) { " selected" } else { "" };
        let _ = write!(body, "<option{sel}>{}</option>", esc(w));
    }
    body.push_str("</select><button>查看 Show</button></form>");
    body.push_str("<details><summary>查找会话 Find interactions</summary>");
    body.push_str(&filters(&index, &Filter::default()));
    body.push_str("</details>");
    body.push_str("<p class=\"meta\">达标率按复核后结果；校正值按全量复核样本测得的机器误判率校正，附 95% 区间（见 docs/api.md）。 Adherence as review has it; corrected: adjusted for the machine's error rates measured on interactions reviewed in full, with a 95% interval (docs/api.md).</p>");
    body.push_str("<div class=\"wrap\"><table id=\"agents\"><thead><tr><th>坐席 Agent</th><th class=\"num\">质检 Assessed</th><th class=\"num\">达标率 Adherence</th><th class=\"num\">机器 Machine</th><th class=\"num\">校正 Corrected</th><th class=\"num\">致命 Fatal</th><th class=\"num\">平均分 Mean</th><th class=\"num\">全量复核 Reviewed</th></tr></thead><tbody>");
    for r in rows {
        let corrected = r.corrected.map_or_else(
            || "<span class=\"meta\">待复核 needs reviews</span>".to_string(),
            |c| {
                format!(
                    "{} <span class=\"meta\">{}–{}</span>",
                    pct(c.estimate),
                    pct(c.low),
                    pct(c.high)
                )
            },
        );
        let _ = write!(
            body,
            "<tr data-agent=\"{0}\"><td><a href=\"/interactions?{1}\">{0}</a></td><td class=\"num\">{2}</td><td class=\"num adherence\">{3}</td><td class=\"num\">{4}</td><td class=\"num corrected\">{corrected}</td><td class=\"num\">{5}</td><td class=\"num\">{6:.1}</td><td class=\"num\">{7}</td></tr>",
            esc(&r.agent_id),
            esc(&query(&[("agent", &r.agent_id), ("week", week.unwrap_or(""))])),
            r.assessed,
            pct(r.adherence),
            pct(r.machine_adherence),
            r.fatal,
            r.mean_score,
            r.reviewed
        );
    }
    body.push_str("</tbody></table></div>");
    page("坐席 Agents", &me, &csrf, &body).into_response()
}

/// Below this precision a rule is listed with its false hits.
pub const LOW_PRECISION: f64 = 0.8;

/// False hits shown per low-precision rule.
const FALSE_HIT_EXAMPLES: usize = 5;

/// `GET /rules`: rule precision and recall from reviewers' verdicts, lowest
/// precision first; rules under [`LOW_PRECISION`] with examples of their false hits.
pub async fn rules(AxState(state): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    let Some((me, csrf)) = who(&state, &headers) else {
        return login_required();
    };
    let verdicts = match state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .all_verdicts()
    {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let recall = state
        .index
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .recall();
    let rows = super::precision::precision(&verdicts, &recall);
    let mut body = String::from("<h1>规则准确率 Rule precision</h1><p class=\"meta\">由复核结论计算：准确率 = 正确命中 / 已复核命中；召回率 = 机器命中 / 全量复核会话中真实违规，均附 95% Wilson 区间。 From reviewers' verdicts: precision = true hits / reviewed hits; recall = flagged / true violations in interactions reviewed in full; 95% Wilson intervals.</p><div class=\"wrap\"><table id=\"precision\"><thead><tr><th>规则 Rule</th><th class=\"num\">已复核 Reviewed</th><th class=\"num\">正确 True</th><th class=\"num\">误报 False</th><th class=\"num\">准确率 Precision</th><th class=\"num\">95% 区间 CI</th><th class=\"num\">漏检 Missed</th><th class=\"num\">召回率 Recall</th><th class=\"num\">95% 区间 CI</th></tr></thead><tbody>");
    let interval = |l: Option<f64>, h: Option<f64>| match (l, h) {
        (Some(l), Some(h)) => format!("{}–{}", pct(l), pct(h)),
        _ => String::new(),
    };
    for p in &rows {
        let _ = write!(
            body,
            "<tr data-rule=\"{0}\"><td>{0}</td><td class=\"num\">{1}</td><td class=\"num\">{2}</td><td class=\"num\">{3}</td><td class=\"num precision\">{4}</td><td class=\"num\">{5}</td><td class=\"num\">{6}</td><td class=\"num recall\">{7}</td><td class=\"num\">{8}</td></tr>",
            esc(&p.rule_id),
            p.reviewed,
            p.true_hits,
            p.false_hits,
            p.precision.map(pct).unwrap_or_default(),
            interval(p.low, p.high),
            p.missed,
            p.recall.map(pct).unwrap_or_default(),
            interval(p.recall_low, p.recall_high),
        );
    }
    body.push_str("</tbody></table></div>");
    let low: Vec<_> = rows
        .iter()
        .filter(|p| p.precision.is_some_and(|x| x < LOW_PRECISION))
        .collect();
    if !low.is_empty() {
        let _ = write!(
            body,
            "<h2>准确率低于 {0:.0}% 的规则 Rules under {0:.0}% precision</h2><div id=\"low\">",
            LOW_PRECISION * 100.0
        );
        for p in low {
            let _ = write!(
                body,
                "<h3 data-rule=\"{0}\">{0} · {1}</h3><ul>",
                esc(&p.rule_id),
                p.precision.map(pct).unwrap_or_default()
            );
            let false_hits = verdicts.iter().rev().filter(|v| {
                v.rule_id == p.rule_id && v.verdict == crate::store::reviews::VerdictKind::FalseHit
            });
            for v in false_hits.take(FALSE_HIT_EXAMPLES) {
                let said = quote_hit(&state, v).unwrap_or_default();
                let _ = write!(
                    body,
                    "<li class=\"false-hit\"><a href=\"/interactions/{0}\">{0}</a> <q>{1}</q> <span class=\"meta\">{2}{3}{4}</span></li>",
                    esc(&v.interaction_id),
                    esc(&said),
                    esc(&v.user),
                    if v.note.is_empty() { "" } else { " · " },
                    esc(&v.note)
                );
            }
            body.push_str("</ul>");
        }
        body.push_str("</div>");
    }
    page("规则准确率 Rule precision", &me, &csrf, &body).into_response()
}

/// The words of the hit a verdict names, from the stored result.
fn quote_hit(state: &State, v: &Verdict) -> Option<String> {
    // The index's lock is let go before the store's is taken: the verdict and
    // ruling handlers hold the store while they update the index.
    let sha = state
        .index
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .ruleset_sha256
        .clone();
    let line = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .result_line(&v.interaction_id, &v.source, &sha)
        .ok()??;
    let key = &v.hit_key;
    let r: InteractionResult = serde_json::from_str(&line).ok()?;
    let hit = r
        .violations
        .iter()
        .filter(|x| *x.rule_id == *v.rule_id)
        .flat_map(|x| &x.evidence)
        .find(|e| crate::scan::review::hit_key(e) == *key)?;
    Some(hit.matched.clone())
}

/// A URL query string of `pairs` (percent-encoded; HTML-escape it for a page).
fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The weeks the index holds, in order.
fn weeks(index: &Index) -> Vec<&str> {
    let mut weeks: Vec<&str> = index.items.iter().map(|s| s.week.as_str()).collect();
    weeks.sort_unstable();
    weeks.dedup();
    weeks
}

fn filters(index: &Index, f: &Filter) -> String {
    let weeks = weeks(index);
    let mut out = String::from("<form class=\"filters\" action=\"/interactions\">");
    let _ = write!(
        out,
        "<input name=\"agent\" placeholder=\"坐席 Agent\" value=\"{}\">",
        esc(f.agent.as_deref().unwrap_or(""))
    );
    let _ = write!(
        out,
        "<input name=\"rule\" placeholder=\"规则 Rule id\" value=\"{}\">",
        esc(f.rule.as_deref().unwrap_or(""))
    );
    let _ = write!(
        out,
        "<input name=\"q\" placeholder=\"对话内容 Text\" value=\"{}\">",
        esc(f.q.as_deref().unwrap_or(""))
    );
    out.push_str("<select name=\"week\"><option value=\"\">全部周 All weeks</option>");
    for w in weeks {
        let sel = if f.week.as_deref() == Some(w) {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option{sel}>{}</option>", esc(w));
    }
    out.push_str("</select><select name=\"status\"><option value=\"\">全部 All</option>");
    for (v, label) in [
        ("failed", "不达标 Failed"),
        ("deductions", "有扣分 Passed with deductions"),
        ("reviewed", "已复核 Reviewed"),
        ("appealed", "已申诉 Appealed"),
    ] {
        let sel = if f.status.as_deref() == Some(v) {
            " selected"
        } else {
            ""
        };
        let _ = write!(out, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    out.push_str("</select><button>筛选 Filter</button></form>");
    out
}

/// `GET /interactions`: the interactions a filter selects, worst first.
pub async fn interactions(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> Response {
    let Some((me, csrf)) = who(&state, &headers) else {
        return login_required();
    };
    let index = state.index.read().unwrap_or_else(|p| p.into_inner());
    let selected = index.select(&filter, me.only_agent());
    let (page_no, per_page) = filter.paging(100);
    let mut body = format!("<h1>会话 Interactions ({})</h1>", selected.len());
    body.push_str(&filters(&index, &filter));
    body.push_str("<div class=\"wrap\"><table id=\"interactions\"><thead><tr><th>会话 Interaction</th><th>坐席 Agent</th><th>周 Week</th><th class=\"num\">得分 Score</th><th>状态 Status</th><th>违反 Violated</th></tr></thead><tbody>");
    for &i in selected
        .iter()
        .skip((page_no - 1) * per_page)
        .take(per_page)
    {
        let s = &index.items[i];
        let status = match s.status() {
            "failed" => "<span class=\"bad\">不达标 failed</span>",
            "deductions" => "有扣分 deductions",
            _ => "<span class=\"ok\">达标 passed</span>",
        };
        let violated: Vec<&str> = s.violated.iter().map(|v| &**v).collect();
        let _ = write!(
            body,
            "<tr><td><a href=\"/interactions/{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td class=\"num\">{3}</td><td>{status}</td><td>{4}</td></tr>",
            esc(&s.interaction_id),
            esc(&s.agent_id),
            esc(&s.week),
            if s.score == s.machine_score {
                s.score.to_string()
            } else {
                format!("{} <span class=\"meta\">({})</span>", s.score, s.machine_score)
            },
            esc(&violated.join(", "))
        );
    }
    body.push_str("</tbody></table></div>");
    if selected.len() > page_no * per_page {
        let page = (page_no + 1).to_string();
        let mut pairs: Vec<(&str, &str)> = vec![("page", &page)];
        for (k, v) in [
            ("agent", &filter.agent),
            ("rule", &filter.rule),
            ("week", &filter.week),
            ("status", &filter.status),
            ("q", &filter.q),
        ] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        let next = format!("/interactions?{}", query(&pairs));
        let next = esc(&next);
        let _ = write!(body, "<p><a href=\"{next}\">下一页 Next page</a></p>");
    }
    page("会话 Interactions", &me, &csrf, &body).into_response()
}

/// `GET /interactions/{id}`: one interaction as a conversation.
pub async fn interaction(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some((me, csrf)) = who(&state, &headers) else {
        return login_required();
    };
    let found = (|| -> Result<_, ApiError> {
        let (source, result) = super::api::visible(&state, &me, &id)?;
        let store = state.store.lock().unwrap_or_else(|p| p.into_inner());
        let on = Reviewed {
            interaction_id: &id,
            source: &source,
        };
        Ok((result, store.verdicts_of(on)?, store.appeals_of(on)?))
    })();
    let (result, verdicts, appeals) = match found {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let (rule_ids, full) = {
        let index = state.index.read().unwrap_or_else(|p| p.into_inner());
        let rules: Vec<String> = index
            .ruleset
            .iter()
            .flat_map(|rs| rs.rules.iter().map(|r| r.id.to_string()))
            .collect();
        (
            rules,
            index.position(&id).is_some_and(|i| index.full.contains(&i)),
        )
    };
    let mut body = conversation(&me, &result, &verdicts, &appeals);
    if me.can_review() {
        body.push_str(&review_tools(&rule_ids, full));
    }
    page(&format!("会话 {id}"), &me, &csrf, &body).into_response()
}

/// The reviewer's tools under a conversation: add a violation the machine missed,
/// and mark the interaction reviewed in full.
fn review_tools(rule_ids: &[String], full: bool) -> String {
    let mut out =
        String::from("<h2>复核 Review</h2><div class=\"filters\"><select id=\"missed-rule\">");
    for id in rule_ids {
        let _ = write!(out, "<option>{}</option>", esc(id));
    }
    out.push_str("</select><input id=\"missed-at\" type=\"number\" min=\"0\" step=\"0.1\" placeholder=\"秒 Seconds\"><input id=\"missed-note\" placeholder=\"说明 Note\"><button id=\"add-missed\">补充漏检 Add missed</button></div>");
    if full {
        out.push_str("<p id=\"full\" class=\"ok\">已全量复核 Reviewed in full</p>");
    } else {
        out.push_str("<p><button id=\"mark-reviewed\">全部复核完成 Reviewed in full</button> <span class=\"meta\">每条命中已判定、漏检已补充 every hit judged, every miss added</span></p>");
    }
    out
}

fn conversation(
    me: &Principal,
    r: &InteractionResult,
    verdicts: &[Verdict],
    appeals: &[Appeal],
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<h1>会话 Interaction {}</h1><p class=\"meta\">坐席 Agent {} · {} · 得分 Score <b id=\"score\">{}</b>{} · {}</p>",
        esc(&r.interaction_id),
        esc(&r.agent_id),
        esc(r.started_at.as_deref().unwrap_or("")),
        r.score,
        r.review.as_ref().map_or(String::new(), |e| format!(
            " <span id=\"machine-score\">（复核前 before review {}）</span>",
            e.machine_score
        )),
        if r.passed { "<span class=\"ok\">达标 passed</span>" } else { "<span class=\"bad\">不达标 failed</span>" }
    );
    let roles = match r.roles {
        crate::interaction::Roles::Known => None,
        crate::interaction::Roles::Inferred => {
            Some("角色由声音推断，可能有误 Roles inferred from the voices: may be wrong")
        }
        crate::interaction::Roles::Unknown => {
            Some("未区分坐席与客户，坐席规则适用于全部语音 Roles unknown: agent rules apply to all speech")
        }
    };
    if let Some(label) = roles {
        let _ = write!(
            out,
            "<p class=\"meta\" id=\"roles\"><b>{label}</b> {}</p>",
            esc(r.roles_reason.as_deref().unwrap_or(""))
        );
    }
    if r.kind == crate::interaction::InteractionKind::Call {
        let _ = write!(
            out,
            "<audio id=\"audio\" controls preload=\"metadata\" src=\"/audio/{}\"></audio>",
            esc(&r.interaction_id)
        );
    }
    // Hits by turn: (start, end, rule, evidence index, start_s).
    let dismissed = r.review.iter().flat_map(|e| &e.dismissed);
    let all: Vec<(&Violation, Option<&Dismissed>)> = r
        .violations
        .iter()
        .map(|v| (v, None))
        .chain(dismissed.map(|d| (&d.violation, Some(d))))
        .collect();
    let mut marks: BTreeMap<usize, Vec<Mark<'_>>> = BTreeMap::new();
    for (v, _) in &all {
        for (k, e) in v.evidence.iter().enumerate() {
            marks.entry(e.turn).or_default().push((
                e.start_byte,
                e.end_byte,
                &v.rule_id,
                k,
                e.start_s,
            ));
        }
    }
    let verdict_of = |rule: &str, key: &str| {
        verdicts
            .iter()
            .rev()
            .find(|v| v.rule_id == rule && v.hit_key == key)
    };
    out.push_str("<h2>违规 Violations</h2>");
    for &(v, dismissed) in &all {
        let _ = write!(
            out,
            "<div class=\"v{}\" data-rule=\"{}\"><b>{}</b> −{} <span class=\"meta\">{}</span>",
            if dismissed.is_some() {
                " overturned"
            } else {
                ""
            },
            esc(&v.rule_id),
            esc(&v.rule_id),
            v.deduct,
            esc(v.detail.as_deref().unwrap_or(""))
        );
        match dismissed.map(|d| d.by) {
            Some(DismissedBy::Appeal) => out.push_str(" <b class=\"dismissed\">申诉成立，已撤销，不计分 Overturned on appeal: no longer counts</b>"),
            Some(DismissedBy::Review) => out.push_str(" <b class=\"dismissed\">复核为误报，不计分 Every hit false: no longer counts</b>"),
            None => {}
        }
        if v.added_by_verdict.is_some() {
            out.push_str(" <b class=\"added\">复核补充 Added in review</b>");
        }
        let keys: Vec<(String, String)> = if v.added_by_verdict.is_some() {
            Vec::new()
        } else if v.evidence.is_empty() {
            vec![(String::new(), String::new())]
        } else {
            v.evidence
                .iter()
                .enumerate()
                .map(|(k, e)| {
                    (
                        k.to_string(),
                        format!("{}:{}-{}", e.turn, e.start_byte, e.end_byte),
                    )
                })
                .collect()
        };
        for (k, key) in keys {
            let said = verdict_of(&v.rule_id, &key)
                .map(|x| x.verdict.name())
                .unwrap_or("未复核 not reviewed");
            let label = if k.is_empty() {
                "违规 violation".to_string()
            } else {
                format!("证据 evidence #{k}")
            };
            let _ = write!(
                out,
                "<div class=\"meta\">{}: <span class=\"verdict\">{said}</span>",
                esc(&label)
            );
            if me.can_review() {
                for (verdict, label) in [
                    ("true_hit", "命中正确 True hit"),
                    ("false_hit", "误报 False hit"),
                ] {
                    let _ = write!(out, " <button data-verdict=\"{verdict}\" data-rule=\"{}\" data-evidence=\"{}\">{label}</button>", esc(&v.rule_id), esc(&k));
                }
            }
            out.push_str("</div>");
        }
        if me.role == Role::Agent
            && dismissed.is_none()
            && !appeals.iter().any(|a| a.rule_id == *v.rule_id)
        {
            let _ = write!(
                out,
                "<button data-appeal=\"{}\">申诉 Appeal</button>",
                esc(&v.rule_id)
            );
        }
        for a in appeals.iter().filter(|a| a.rule_id == *v.rule_id) {
            let _ = write!(
                out,
                "<div class=\"meta\">申诉 Appeal #{} ({}): {} — {}</div>",
                a.id,
                esc(&a.user),
                esc(&a.reason),
                a.ruling.map_or("待裁定 pending", |x| x.name())
            );
            if me.can_rule() && a.ruling.is_none() {
                for (ruling, label) in [("upheld", "维持 Uphold"), ("overturned", "撤销 Overturn")]
                {
                    let _ = write!(
                        out,
                        "<button data-ruling=\"{ruling}\" data-id=\"{}\">{label}</button>",
                        a.id
                    );
                }
            }
        }
        out.push_str("</div>");
    }
    if all.is_empty() {
        out.push_str("<p>无违规 No violations.</p>");
    }
    out.push_str("<h2>对话 Conversation</h2><div id=\"turns\">");
    for (i, t) in r.turns.iter().enumerate() {
        let n = i + 1;
        let who = match t.speaker {
            crate::interaction::Speaker::Agent => ("agent", "坐席 Agent"),
            crate::interaction::Speaker::Customer => ("customer", "客户 Customer"),
            _ => ("other", "其他 Other"),
        };
        let _ = write!(
            out,
            "<div class=\"turn {}\"><div class=\"meta\" data-seek=\"{}\">{} · {:.1} s</div>",
            who.0, t.start_s, who.1, t.start_s
        );
        let mut at = 0;
        let mut spans = marks.get(&n).cloned().unwrap_or_default();
        spans.sort_by_key(|s| (s.0, s.1));
        for (start, end, rule, k, start_s) in spans {
            if start < at
                || end > t.text.len()
                || !t.text.is_char_boundary(start)
                || !t.text.is_char_boundary(end)
            {
                continue;
            }
            let key = format!("{n}:{start}-{end}");
            let false_hit = verdict_of(rule, &key)
                .is_some_and(|v| v.verdict == crate::store::reviews::VerdictKind::FalseHit);
            let _ = write!(
                out,
                "{}<mark class=\"{}\" title=\"{}\" data-seek=\"{start_s}\" data-hit=\"{}#{k}\">{}</mark>",
                esc(&t.text[at..start]),
                if false_hit { "false" } else { "" },
                esc(rule),
                esc(rule),
                esc(&t.text[start..end])
            );
            at = end;
        }
        let _ = write!(out, "{}</div>", esc(&t.text[at..]));
    }
    out.push_str("</div>");
    out
}
