//! The call stage: from a recording to an [`Interaction`](crate::interaction::Interaction).
//! A call is described ([`spec`]: file, agent, start, channel layout), collected
//! from manifests and bare recordings ([`collect`], [`manifest`]), transcribed
//! and measured ([`transcribe`]), and its recognized segments become speaker turns
//! ([`turns`]); on a mono call, who is who is read from the conversation
//! ([`mono_roles`]: the pitch split checked against the turn-taking reading of
//! [`turn_roles`], which weighs the service script of [`roles`]). Decoding lives in
//! `audio`, recognition in `asr`; this module is where the two meet.

pub mod collect;
pub mod manifest;
pub mod mono_roles;
pub mod roles;
pub mod spec;
pub mod transcribe;
pub mod turn_roles;
pub mod turns;

pub use collect::{
    call_minutes, collect_calls, heard_as_mono, no_model_problem, transcribe_one, CallOptions,
};
pub use spec::{AsrInput, CallError, CallSpec, ChannelLayout};
pub use transcribe::{
    transcribe_call, turn_windows, NO_SPEECH_DROP, RECOGNIZER_WINDOW_S, TURN_FORMAT_VERSION,
};
