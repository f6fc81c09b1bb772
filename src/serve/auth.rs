//! Logins and who is asking. `POST /api/login` checks the password against the
//! users file and hands out a random token, both as JSON (for `Authorization:
//! Bearer`) and as an HttpOnly, SameSite=Strict cookie (for pages). A request made
//! with the cookie that changes something must also carry the session's CSRF token
//! (`X-CSRF-Token`). Failed logins are limited per user name. Without a users file
//! the server only listens on 127.0.0.1 and everyone is the local lead.

use super::users::{Role, Users};
use axum::http::{header, HeaderMap};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "callqa_session";
/// How long a login lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per user name within [`LOCKOUT_WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(600);

/// The user behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// Agents: their own agent id.
    pub agent_id: Option<String>,
}

impl Principal {
    /// Without a users file: the one local user, allowed everything.
    pub fn local() -> Principal {
        Principal {
            name: "local".into(),
            role: Role::Lead,
            agent_id: None,
        }
    }

    pub fn can_review(&self) -> bool {
        matches!(self.role, Role::Reviewer | Role::Lead)
    }

    pub fn can_rule(&self) -> bool {
        self.role == Role::Lead
    }

    /// Agents: the only agent whose interactions they may list.
    pub fn only_agent(&self) -> Option<&str> {
        (self.role == Role::Agent).then(|| self.agent_id.as_deref().unwrap_or(""))
    }

    /// Whether the user may see an interaction of `agent_id`.
    pub fn may_see(&self, agent_id: &str) -> bool {
        match self.role {
            Role::Agent => self.agent_id.as_deref() == Some(agent_id),
            _ => true,
        }
    }
}

struct Session {
    principal: Principal,
    csrf: String,
    expires: Instant,
}

/// Why a request is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No or an expired login: 401.
    Anonymous,
    /// A cookie-authenticated change without the CSRF token: 403.
    Csrf,
    /// Too many failed logins: 429.
    Throttled,
}

/// Sessions and login throttling.
pub struct Auth {
    users: Option<Users>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// A fresh login.
#[derive(Debug, Clone)]
pub struct Login {
    pub token: String,
    pub csrf: String,
    pub principal: Principal,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing leaves no safe way to log in.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Auth {
    pub fn new(users: Option<Users>) -> Auth {
        Auth {
            users,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether logins are required (a users file was given).
    pub fn required(&self) -> bool {
        self.users.is_some()
    }

    /// Checks a password; `Err(Throttled)` after too many failures for that name.
    pub fn login(&self, name: &str, password: &str) -> Result<Option<Login>, Denied> {
        let Some(users) = &self.users else {
            return Ok(None);
        };
        let now = Instant::now();
        {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((n, since)) = failures.get(name).copied() {
                if now.duration_since(since) > LOCKOUT_WINDOW {
                    failures.remove(name);
                } else if n >= MAX_FAILURES {
                    return Err(Denied::Throttled);
                }
            }
        }
        let Some(user) = users.verify(name, password) else {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let entry = failures.entry(name.to_string()).or_insert((0, now));
            entry.0 += 1;
            return Ok(None);
        };
        let login = Login {
            token: random_token(),
            csrf: random_token(),
            principal: Principal {
                name: user.name.clone(),
                role: user.role,
                agent_id: user.agent_id.clone(),
            },
        };
        if login.token.is_empty() {
            return Ok(None);
        }
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                login.token.clone(),
                Session {
                    principal: login.principal.clone(),
                    csrf: login.csrf.clone(),
                    expires: now + SESSION_TTL,
                },
            );
        Ok(Some(login))
    }

    /// Who makes a request with these headers; `changes`: the request writes
    /// something (cookie logins then need the CSRF header).
    pub fn principal(&self, headers: &HeaderMap, changes: bool) -> Result<Principal, Denied> {
        if self.users.is_none() {
            return Ok(Principal::local());
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (token, by_cookie) = match bearer {
            Some(t) => (t.to_string(), false),
            None => match cookie(headers, COOKIE) {
                Some(t) => (t, true),
                None => return Err(Denied::Anonymous),
            },
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let Some(session) = sessions.get(&token) else {
            return Err(Denied::Anonymous);
        };
        if session.expires < Instant::now() {
            sessions.remove(&token);
            return Err(Denied::Anonymous);
        }
        if by_cookie && changes {
            let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
            if sent != Some(session.csrf.as_str()) {
                return Err(Denied::Csrf);
            }
        }
        Ok(session.principal.clone())
    }

    /// The CSRF token of the session a cookie names (for pages to embed).
    pub fn csrf_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = cookie(headers, COOKIE)?;
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.get(&token).map(|s| s.csrf.clone())
    }
}

/// The value of cookie `name`.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
