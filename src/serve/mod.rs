//! `callqa serve`: the review workbench over the state database. QA reviewers
//! mark hits true or false and add what the machine missed, agents appeal their
//! violations, leads rule on appeals, and other systems read the same through a
//! JSON API (docs/api.md). Verdicts and appeals live in the state database
//! (migration 4), so they survive restarts and rescoring.
//!
//! Without a users file the server only listens on 127.0.0.1 (one local user);
//! with one, every request needs a login.

pub mod agents;
pub mod api;
pub mod audio;
pub mod auth;
pub mod estimate;
pub mod index;
pub mod pages;
pub mod precision;
pub mod users;

use crate::store::{Store, StoreError};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Every route the server answers, as documented in docs/api.md (a test checks
/// the two agree).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/login"),
    ("GET", "/api/interactions"),
    ("GET", "/api/interactions/{id}"),
    ("POST", "/api/interactions/{id}/verdicts"),
    ("POST", "/api/interactions/{id}/appeals"),
    ("POST", "/api/appeals/{id}/ruling"),
    ("POST", "/api/interactions/{id}/reviewed"),
    ("GET", "/api/agents"),
    ("GET", "/api/rules/precision"),
    ("GET", "/audio/{id}"),
];

/// What the handlers share.
pub struct State {
    pub store: Mutex<Store>,
    pub index: RwLock<index::Index>,
    pub auth: auth::Auth,
    /// The database, for building the index again on a connection of its own.
    pub db: PathBuf,
}

/// How often the server looks for results a run recorded since the index was built.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

impl State {
    /// Builds the index again when the database holds results it was not built
    /// from (a nightly run finished); returns whether it did. The new index is
    /// built on a read-only connection and swapped in whole, so requests are
    /// answered from the old one meanwhile.
    pub fn reload_if_changed(&self) -> Result<bool, StoreError> {
        let reader = Store::open_read_only(&self.db)?;
        let stamp = reader.results_stamp()?;
        let current = self.index.read().unwrap_or_else(|p| p.into_inner()).stamp;
        if stamp == current {
            return Ok(false);
        }
        let fresh = index::Index::load(&reader)?;
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(true)
    }
}

/// The checked configuration of `callqa serve`.
pub struct ServeConfig {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub users: Option<users::Users>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// The application over an opened state.
pub fn app(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(pages::agents))
        .route("/interactions", get(pages::interactions))
        .route("/interactions/{id}", get(pages::interaction))
        .route("/rules", get(pages::rules))
        .route("/api/login", post(api::login))
        .route("/api/interactions", get(api::list))
        .route("/api/interactions/{id}", get(api::get))
        .route("/api/interactions/{id}/verdicts", post(api::add_verdict))
        .route("/api/interactions/{id}/appeals", post(api::add_appeal))
        .route("/api/interactions/{id}/reviewed", post(api::mark_reviewed))
        .route("/api/agents", get(api::agents))
        .route("/api/appeals/{id}/ruling", post(api::rule_appeal))
        .route("/api/rules/precision", get(api::rule_precision))
        .route("/audio/{id}", get(api::audio_of))
        .with_state(state)
}

/// Opens the database and builds the in-memory index.
pub fn open(config: &ServeConfig) -> Result<Arc<State>, ServeError> {
    let store = Store::open_shared(&config.db)?;
    let index = index::Index::load(&store)?;
    Ok(Arc::new(State {
        store: Mutex::new(store),
        index: RwLock::new(index),
        auth: auth::Auth::new(config.users.clone()),
        db: config.db.clone(),
    }))
}

/// What the server tells when it is ready.
pub struct Ready {
    pub addr: SocketAddr,
    /// Interactions listed.
    pub items: usize,
    /// The database lacks the rule text of the listed results (written by a callqa
    /// before rule texts were recorded): review is shown, but scores stay the
    /// machine's until a `scan` or `rescore` records it.
    pub no_rule_text: bool,
}

/// Serves until interrupted (Ctrl-C); `ready` is called once listening.
pub fn run(config: ServeConfig, ready: impl FnOnce(Ready)) -> Result<(), ServeError> {
    let state = open(&config)?;
    let (items, no_rule_text) = {
        let index = state.index.read().unwrap_or_else(|p| p.into_inner());
        (
            index.items.len(),
            !index.items.is_empty() && index.ruleset.is_none(),
        )
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr()?;
        ready(Ready {
            addr,
            items,
            no_rule_text,
        });
        let watched = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RELOAD_EVERY).await;
                let s = watched.clone();
                // A failed look is tried again next time; the old index stays.
                let _ = tokio::task::spawn_blocking(move || s.reload_if_changed()).await;
            }
        });
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
