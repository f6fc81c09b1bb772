//! Fuzz the chat_jsonl reader and the scanner behind it: any bytes give interactions and
//! problems, never a panic, and evidence offsets always quote the original text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

#[path = "chat_common.rs"]
mod chat_common;

fuzz_target!(|data: &[u8]| {
    chat_common::check(callqa::input::chat::read_jsonl(Path::new("f.jsonl"), "f.jsonl", data));
});
