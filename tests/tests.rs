//! Every integration test in one binary: each file of `tests/` is a module, so the
//! library (and whisper.cpp) is linked once instead of once per file. The crash
//! tests, which kill processes on a timer and measure runs, stay binaries of their
//! own (see Cargo.toml) so that nothing else runs beside them.

mod aggregate_merge;
mod asr_whisper;
mod assessment_cases;
mod assessment_cli;
mod audio_decode;
mod audio_speech;
mod bad_inputs;
mod call_manifest;
mod call_transcribe;
mod calls_e2e;
mod cli;
mod common;
mod config_file;
mod export_cli;
mod export_postgres;
mod help_golden;
mod match_props;
mod merge_cli;
mod model_convert;
mod model_whisper;
mod nightly_rerun;
mod nightly_sample;
mod normalize_props;
mod output_report;
mod output_trend;
mod rerun_unread;
mod rescore_cli;
mod rescore_paging;
mod rules_golden;
mod ruleset_file;
mod sample_props;
mod sample_store;
mod scan_cases;
mod scan_memory;
mod serve_api;
mod serve_browser;
mod serve_review;
mod shard_merge;
mod shard_props;
mod store_basic;
mod store_export;
mod store_safety;
mod store_scale;
