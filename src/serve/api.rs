//! The JSON API (documented in docs/api.md) and the audio route. Every handler
//! first asks [`super::auth::Auth`] who is calling; an agent asking for another
//! agent's interaction gets 404, as if it did not exist.

use super::audio;
use super::auth::{Denied, Principal, COOKIE, SESSION_TTL};
use super::index::Filter;
use super::precision::precision;
use super::users::Role;
use super::State;
use crate::scan::result::InteractionResult;
use crate::store::reviews::{NewVerdict, Reviewed, Ruling, VerdictKind};
use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = AxState<Arc<State>>;

/// An error answer: status and a JSON `{"error": …}` saying what to do.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Anonymous => ApiError(
                StatusCode::UNAUTHORIZED,
                "log in first: POST /api/login".into(),
            ),
            Denied::Csrf => ApiError(
                StatusCode::FORBIDDEN,
                "missing or wrong X-CSRF-Token".into(),
            ),
            Denied::Throttled => ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed logins; wait ten minutes".into(),
            ),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// A note or reason as stored: customer numbers in it masked, as in every
/// transcript the database holds (docs/privacy.md).
fn masked(text: &str) -> String {
    crate::text::redact::redact(text).into_owned()
}

fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such interaction".into())
}

fn who(state: &State, headers: &HeaderMap, changes: bool) -> Result<Principal, ApiError> {
    Ok(state.auth.principal(headers, changes)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    user: String,
    password: String,
}

/// `POST /api/login`.
pub async fn login(
    AxState(state): Shared,
    Json(body): Json<LoginBody>,
) -> Result<Response, ApiError> {
    if !state.auth.required() {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "this server runs without --users: no login needed".into(),
        ));
    }
    let Some(login) = state.auth.login(&body.user, &body.password)? else {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "unknown user or wrong password".into(),
        ));
    };
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        login.token,
        SESSION_TTL.as_secs()
    );
    let mut response =
        Json(json!({ "token": login.token, "csrf": login.csrf, "role": login.principal.role }))
            .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /api/interactions`.
pub async fn list(
    AxState(state): Shared,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let me = who(&state, &headers, false)?;
    let index = state.index.read().unwrap_or_else(|p| p.into_inner());
    let selected = index.select(&filter, me.only_agent());
    let (page, per_page) = filter.paging(50);
    let items: Vec<Value> = selected
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|&i| {
            let mut v = serde_json::to_value(&index.items[i]).unwrap_or(Value::Null);
            v["status"] = json!(index.items[i].status());
            v["reviewed"] = json!(index.reviewed.contains(&i));
            v["appealed"] = json!(index.appealed.contains(&i));
            v
        })
        .collect();
    Ok(Json(
        json!({ "total": selected.len(), "page": page, "per_page": per_page, "items": items }),
    ))
}

/// The interaction `id` as `me` may see it: (source, result).
pub(super) fn visible(
    state: &State,
    me: &Principal,
    id: &str,
) -> Result<(String, InteractionResult), ApiError> {
    let (source, sha, ruleset) = {
        let index = state.index.read().unwrap_or_else(|p| p.into_inner());
        let s = index.get(id).ok_or_else(not_found)?;
        if !me.may_see(&s.agent_id) {
            return Err(not_found());
        }
        (
            s.source.clone(),
            index.ruleset_sha256.clone(),
            index.ruleset.clone(),
        )
    };
    let store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    let line = store
        .result_line(id, &source, &sha)?
        .ok_or_else(not_found)?;
    let mut result: InteractionResult = serde_json::from_str(&line).map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("stored result does not read: {e}"),
        )
    })?;
    if let Some(ruleset) = ruleset {
        let review = store.review_of(Reviewed {
            interaction_id: id,
            source: &source,
        })?;
        crate::scan::review::apply(&mut result, &ruleset, &review);
    }
    Ok((source, result))
}

/// `GET /api/interactions/{id}`.
pub async fn get(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let me = who(&state, &headers, false)?;
    let (source, result) = visible(&state, &me, &id)?;
    let on = Reviewed {
        interaction_id: &id,
        source: &source,
    };
    let store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    let verdicts = store.verdicts_of(on)?;
    let appeals = store.appeals_of(on)?;
    Ok(Json(
        json!({ "result": result, "verdicts": verdicts, "appeals": appeals }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictBody {
    rule_id: String,
    #[serde(default)]
    evidence: Option<usize>,
    verdict: VerdictKind,
    #[serde(default)]
    note: String,
    #[serde(default)]
    start_s: Option<f64>,
}

/// `POST /api/interactions/{id}/verdicts`.
pub async fn add_verdict(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<VerdictBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let me = who(&state, &headers, true)?;
    let (source, result) = visible(&state, &me, &id)?;
    if !me.can_review() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only reviewers and leads give verdicts".into(),
        ));
    }
    let bad = |m: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m);
    let hit_key = match body.verdict {
        VerdictKind::Missed => {
            let at = body
                .start_s
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| {
                    bad("a missed verdict needs start_s (seconds into the interaction)".into())
                })?;
            format!("missed@{at:.2}")
        }
        _ => {
            // A violation review took back can be judged again.
            let dismissed = result.review.iter().flat_map(|e| &e.dismissed);
            let v = result
                .violations
                .iter()
                .chain(dismissed.map(|d| &d.violation))
                .find(|v| *v.rule_id == *body.rule_id && v.added_by_verdict.is_none())
                .ok_or_else(|| {
                    bad(format!(
                        "interaction {id} has no violation of {}",
                        body.rule_id
                    ))
                })?;
            match (body.evidence, v.evidence.len()) {
                (None | Some(0), 0) => String::new(),
                (None, _) => {
                    return Err(bad(
                        "give evidence: the index in the violation's evidence list".into(),
                    ))
                }
                (Some(i), n) if i < n => {
                    let e = &v.evidence[i];
                    format!("{}:{}-{}", e.turn, e.start_byte, e.end_byte)
                }
                (Some(i), n) => {
                    return Err(bad(format!(
                        "evidence {i} is out of range; the violation has {n}"
                    )))
                }
            }
        }
    };
    let new = NewVerdict {
        rule_id: &body.rule_id,
        hit_key,
        verdict: body.verdict,
        start_s: body.start_s,
        note: &masked(&body.note),
        user: &me.name,
    };
    let mut store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    let vid = store.verdict_put(
        Reviewed {
            interaction_id: &id,
            source: &source,
        },
        &new,
    )?;
    let mut index = state.index.write().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = index.position(&id) {
        index.reviewed.insert(i);
    }
    index.refresh(&store, &id)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": vid }))))
}

/// `POST /api/interactions/{id}/reviewed`: the reviewer went through the whole
/// interaction (every hit judged, every miss added): what recall is measured on.
pub async fn mark_reviewed(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let me = who(&state, &headers, true)?;
    let (source, _) = visible(&state, &me, &id)?;
    if !me.can_review() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only reviewers and leads review interactions".into(),
        ));
    }
    let mut store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    store.full_review_put(
        Reviewed {
            interaction_id: &id,
            source: &source,
        },
        &me.name,
    )?;
    let mut index = state.index.write().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = index.position(&id) {
        index.reviewed.insert(i);
        index.full.insert(i);
    }
    Ok((StatusCode::CREATED, Json(json!({ "interaction_id": id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    rule_id: String,
    reason: String,
}

/// `POST /api/interactions/{id}/appeals`.
pub async fn add_appeal(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<AppealBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let me = who(&state, &headers, true)?;
    let (source, result) = visible(&state, &me, &id)?;
    if me.role != Role::Agent && state.auth.required() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "appeals come from the agent whose interaction it is".into(),
        ));
    }
    if !result
        .violations
        .iter()
        .any(|v| *v.rule_id == *body.rule_id)
    {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("interaction {id} has no violation of {}", body.rule_id),
        ));
    }
    if body.reason.trim().is_empty() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give a reason".into(),
        ));
    }
    let aid = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .appeal_add(
            Reviewed {
                interaction_id: &id,
                source: &source,
            },
            &body.rule_id,
            &masked(&body.reason),
            &me.name,
        )?;
    let mut index = state.index.write().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = index.position(&id) {
        index.appealed.insert(i);
    }
    Ok((StatusCode::CREATED, Json(json!({ "id": aid }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulingBody {
    ruling: Ruling,
    #[serde(default)]
    note: String,
}

/// `POST /api/appeals/{id}/ruling`.
pub async fn rule_appeal(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<RulingBody>,
) -> Result<Json<Value>, ApiError> {
    let me = who(&state, &headers, true)?;
    if !me.can_rule() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only leads rule on appeals".into(),
        ));
    }
    let mut store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    let Some(appeal) = store.appeal_get(id)? else {
        return Err(ApiError(StatusCode::NOT_FOUND, "no such appeal".into()));
    };
    if !store.appeal_rule(id, body.ruling, &masked(&body.note), &me.name)? {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "this appeal already has a ruling, which is final".into(),
        ));
    }
    state
        .index
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .refresh(&store, &appeal.interaction_id)?;
    Ok(Json(json!({ "id": id, "ruling": body.ruling })))
}

/// `GET /api/rules/precision`.
pub async fn rule_precision(
    AxState(state): Shared,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    who(&state, &headers, false)?;
    let verdicts = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .all_verdicts()?;
    let recall = state
        .index
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .recall();
    Ok(Json(
        serde_json::to_value(precision(&verdicts, &recall)).unwrap_or(Value::Null),
    ))
}

/// `GET /api/agents` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsQuery {
    #[serde(default)]
    pub(super) week: Option<String>,
}

/// `GET /api/agents`.
pub async fn agents(
    AxState(state): Shared,
    headers: HeaderMap,
    Query(q): Query<AgentsQuery>,
) -> Result<Json<Value>, ApiError> {
    let me = who(&state, &headers, false)?;
    let index = state.index.read().unwrap_or_else(|p| p.into_inner());
    let rows = index.agents(q.week.as_deref(), me.only_agent());
    Ok(Json(json!({
        "calibration": index.calibration(),
        "agents": rows,
    })))
}

/// `GET /audio/{id}`.
pub async fn audio_of(
    AxState(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let me = who(&state, &headers, false)?;
    let path = {
        let index = state.index.read().unwrap_or_else(|p| p.into_inner());
        let s = index.get(&id).ok_or_else(not_found)?;
        if !me.may_see(&s.agent_id) || s.kind != crate::interaction::InteractionKind::Call {
            return Err(not_found());
        }
        std::path::PathBuf::from(&s.source)
    };
    let decoded = tokio::task::spawn_blocking(move || crate::audio::decode_file(&path))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| {
            ApiError(
                StatusCode::NOT_FOUND,
                format!("the recording cannot be read: {e}"),
            )
        })?;
    let bytes = audio::wav_bytes(&decoded);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let len = bytes.len();
    let mut response = match audio::byte_range(range, len) {
        Ok(None) => (StatusCode::OK, bytes).into_response(),
        Ok(Some((start, end))) => {
            let mut r = (StatusCode::PARTIAL_CONTENT, bytes[start..=end].to_vec()).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Err(audio::Unsatisfiable) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}
