//! Fuzz the roster reader: any bytes as a roster must give agents or a list of
//! problems each naming the file and line, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    match callqa::input::roster::parse(data, Path::new("roster.csv")) {
        Ok(r) => {
            if !r.is_empty() {
                assert!(r.len() <= data.len());
            }
        }
        Err(e) => {
            assert!(!e.problems.is_empty());
            assert!(e.problems.iter().all(|p| p.starts_with("roster.csv:")), "{:?}", e.problems);
        }
    }
});
