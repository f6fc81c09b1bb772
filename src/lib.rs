//! callqa: customer-service quality assurance as a batch pipeline.
//!
//! The folders follow the pipeline: `input` and `audio` + `asr` turn files into
//! [`interaction::Interaction`]s, `text` normalizes what was said, `rules` loads the
//! service standard, `scan` matches and scores, `aggregate` rolls scores up per agent
//! and week, and `output` writes what other systems read. `cli` turns raw arguments
//! into a checked run configuration; `model` fetches and converts the Whisper model.
#![warn(clippy::print_stdout, clippy::print_stderr)]
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod asr;
pub mod audio;
pub mod batch;
pub mod call;
pub mod cli;
pub mod input;
pub mod interaction;
pub mod model;
pub mod output;
pub mod reporter;
pub mod rules;
pub mod sample;
pub mod scan;
pub mod serve;
pub mod store;
pub mod text;
