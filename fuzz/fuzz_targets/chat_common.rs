// Shared by the chat/transcript fuzz targets: a ruleset with every matching feature,
// and a check that scanning any interaction read from fuzz input keeps its promises.
use callqa::rules::Ruleset;
use std::path::PathBuf;
use std::sync::OnceLock;

pub fn ruleset() -> &'static Ruleset {
    static R: OnceLock<Ruleset> = OnceLock::new();
    R.get_or_init(|| {
        let mut text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/default.toml")).unwrap();
        text.push_str("\n[[rule]]\nid = \"fuzz.pinyin\"\nkind = \"forbidden\"\nspeaker = \"any\"\nphrases = [\"没办法\", \"a1\"]\nmatch = \"pinyin\"\nmax-distance = 2\ndeduct = 1\n");
        Ruleset::from_sources(&[(PathBuf::from("default.toml"), text)]).unwrap()
    })
}

pub fn check(read: callqa::input::TextRead) {
    for i in &read.interactions {
        let r = callqa::scan::scan(i, ruleset());
        assert!(r.score <= 100);
        for v in &r.violations {
            for e in &v.evidence {
                let turn = &r.turns[e.turn - 1];
                assert_eq!(turn.text.get(e.start_byte..e.end_byte), Some(e.matched.as_str()));
            }
        }
    }
    for p in &read.problems {
        assert!(!p.reason.is_empty());
    }
}
