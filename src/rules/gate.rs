//! A rule's regex runs over every turn it sees, and each regex costs about as much
//! as the whole phrase automaton (measured: one more pattern, 10 % less
//! throughput). Most patterns a QA lead writes start with a literal (`工号[0-9]+`,
//! `什么.{0,2}态度`), so their possible first words go into the shared automaton
//! as gates, and a pattern runs only on the turns where one of its gates occurs.
//! A pattern without a usable literal prefix (`\d{11}`, case-insensitive ASCII)
//! runs on every turn, as before.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// At most this many gate literals per pattern; more (a class of digits, say) and
/// the pattern runs ungated.
const MAX_GATES: usize = 32;

/// The literals one of which every match of `pattern` starts with, when there is a
/// small set of them; `None` when the pattern must run on every turn.
pub fn gate_literals(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let mut extractor = Extractor::new();
    // A class of more than 4 characters ends the literal (`工号[0-9]` gives 工号,
    // not ten literals); smaller ones are expanded (`[您你]好` gives 您好 and 你好).
    extractor.kind(ExtractKind::Prefix).limit_class(4);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.len() > MAX_GATES {
        return None;
    }
    let mut out = Vec::with_capacity(literals.len());
    for lit in literals {
        // A literal cut inside a character, or an empty one (the match may start
        // anywhere), is no gate.
        let text = std::str::from_utf8(lit.as_bytes()).ok()?;
        if text.is_empty() {
            return None;
        }
        out.push(text.to_string());
    }
    out.sort();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes_become_gates_and_open_patterns_do_not() {
        assert_eq!(
            gate_literals("工号[0-9]{2,}"),
            Some(vec!["工号".to_string()])
        );
        assert_eq!(
            gate_literals("(您好|你好).{0,3}工号"),
            Some(vec!["您好".to_string(), "你好".to_string()]).map(|mut v| {
                v.sort();
                v
            })
        );
        assert_eq!(gate_literals(r"1[3-9]\d{9}"), Some(vec!["1".to_string()]));
        assert_eq!(
            gate_literals("[您你]好"),
            Some(vec!["你好".to_string(), "您好".to_string()])
        );
        assert_eq!(gate_literals(r"\d{11}"), None);
        assert_eq!(gate_literals(r".{0,3}不知道"), None);
        let any_case = gate_literals("(?i)tmd").unwrap();
        assert!(any_case.contains(&"tmd".to_string()), "{any_case:?}");
    }
}
