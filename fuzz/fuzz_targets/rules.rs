//! Fuzz the rule loader: any bytes as a rule file must give a ruleset or errors
//! with file:line:column, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match callqa::rules::Ruleset::from_sources(&[(PathBuf::from("fuzz.toml"), text.to_string())]) {
            Ok(r) => assert!(!r.rules.is_empty()),
            Err(e) => assert!(!e.errors.is_empty() && !e.to_string().is_empty()),
        }
    }
});
