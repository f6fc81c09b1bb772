//! The transcript cache: what the recognizer made of a recording, keyed by the
//! recording's content hash, the model's fingerprint and the ASR settings, so a
//! recording is transcribed once per (model, settings) however often it is scanned.

use super::{timestamp, Store, StoreError};
use crate::interaction::{Roles, Turn};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What identifies a transcription.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranscriptKey {
    /// blake3 (hex) of the recording's bytes ([`super::hash_file`]).
    pub audio_hash: String,
    /// Fingerprint of the model, e.g. the blake3 of the model file.
    pub model: String,
    /// Every setting that changes the text (language, channel layout, VAD, ...),
    /// as one canonical string, e.g. `language=zh;layout=agent-left`.
    pub settings: String,
}

/// A transcribed recording: everything of an interaction that comes from the audio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedTranscript {
    pub roles: Roles,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_reason: Option<String>,
    pub duration_s: f64,
    pub turns: Vec<Turn>,
    /// Metrics measured from the audio (silence, interruptions, ...).
    pub measured: BTreeMap<String, f64>,
}

impl Store {
    pub fn transcript_get(
        &self,
        key: &TranscriptKey,
    ) -> Result<Option<CachedTranscript>, StoreError> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM transcripts WHERE audio_hash = ?1 AND model = ?2 AND settings = ?3",
                [&key.audio_hash, &key.model, &key.settings],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql("read the transcript cache"))?;
        body.map(|b| serde_json::from_str(&b).map_err(self.corrupt("cached transcript")))
            .transpose()
    }

    /// Stores (or replaces) a transcript.
    pub fn transcript_put(
        &mut self,
        key: &TranscriptKey,
        transcript: &CachedTranscript,
    ) -> Result<(), StoreError> {
        let body =
            serde_json::to_string(transcript).map_err(self.corrupt("transcript to store"))?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO transcripts (audio_hash, model, settings, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![key.audio_hash, key.model, key.settings, body, timestamp(chrono::Utc::now())],
            )
            .map(|_| ())
            .map_err(self.sql("write the transcript cache"))
    }

    /// Number of cached transcripts.
    pub fn transcript_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM transcripts", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(self.sql("count transcripts"))
    }
}
