//! Results leave callqa with customers' numbers masked (see
//! [`crate::text::redact`] for what is masked and why offsets stay valid).

use super::result::{Evidence, InteractionResult};
use crate::text::redact::{redact, redact_in_place};
use std::borrow::Cow;

/// Masks the numbers in turn texts, evidence texts and matched words, and the
/// reviewer notes of a result. Byte offsets (evidence `start_byte..end_byte`, token
/// timings) stay valid because masking keeps lengths.
pub fn redact_result(r: &mut InteractionResult) {
    for turn in &mut r.turns {
        redact_in_place(&mut turn.text);
    }
    for v in &mut r.violations {
        for e in v.evidence.iter_mut().chain(v.outside_window.iter_mut()) {
            redact_evidence(e);
        }
        if let Some(d) = &mut v.detail {
            if let Cow::Owned(m) = redact(d) {
                *d = m.into();
            }
        }
    }
}

fn redact_evidence(e: &mut Evidence) {
    let whole = redact(&e.text);
    if let Cow::Owned(masked) = whole {
        // The matched words are a slice of the text: take them from the masked text
        // so they agree with it, even when the match cuts a number in two.
        if e.text.get(e.start_byte..e.end_byte) == Some(e.matched.as_str()) {
            e.matched = masked[e.start_byte..e.end_byte].to_string();
        }
        e.text = masked;
    }
    redact_in_place(&mut e.matched);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interaction::{InteractionKind, Roles, Speaker, Turn};
    use crate::scan::result::{RuleKind, RulesetId, Severity, Violation};

    fn result_with(text: &str, matched: &str) -> InteractionResult {
        let start = text.find(matched).unwrap();
        let ev = Evidence {
            turn: 1,
            speaker: Speaker::Agent,
            start_s: 0.0,
            end_s: 1.0,
            matched: matched.into(),
            text: text.into(),
            start_byte: start,
            end_byte: start + matched.len(),
            fuzzy: false,
        };
        InteractionResult {
            schema_version: 1,
            interaction_id: "c1".into(),
            kind: InteractionKind::Chat,
            source: "s".into(),
            agent_id: "A01".into(),
            started_at: None,
            duration_s: 1.0,
            roles: Roles::Known,
            ruleset: RulesetId {
                name: "n".into(),
                version: "v".into(),
                sha256: "h".into(),
            },
            score: 90,
            passed: true,
            fatal: false,
            violations: vec![Violation {
                rule_id: "forbidden.read-number".into(),
                kind: RuleKind::Forbidden,
                severity: Severity::Major,
                deduct: 10,
                evidence: vec![ev.clone()],
                value: None,
                limit: None,
                outside_window: vec![ev],
                detail: Some(format!("said {matched}").into()),
            }],
            passed_rules: vec![],
            metrics: Default::default(),
            turns: vec![Turn::new(Speaker::Agent, 0.0, 1.0, text)],
        }
    }

    #[test]
    fn result_texts_are_masked_and_offsets_still_point_at_the_match() {
        let text = "好的，您的手机13812345678对吗？";
        let mut r = result_with(text, "手机13812345678");
        redact_result(&mut r);
        assert_eq!(r.turns[0].text, "好的，您的手机138****5678对吗？");
        let v = &r.violations[0];
        for e in v.evidence.iter().chain(&v.outside_window) {
            assert_eq!(e.text, r.turns[0].text);
            assert_eq!(e.matched, "手机138****5678");
            assert_eq!(&e.text[e.start_byte..e.end_byte], e.matched);
        }
        assert_eq!(v.detail.as_deref(), Some("said 手机138****5678"));
    }

    #[test]
    fn a_match_that_cuts_a_number_takes_its_slice_of_the_masked_text() {
        // The match covers only part of the number; alone it would not be masked.
        let mut r = result_with("卡号6222021234567890128", "卡号622202123456");
        redact_result(&mut r);
        let e = &r.violations[0].evidence[0];
        assert_eq!(e.text, "卡号622202*********0128");
        assert_eq!(e.matched, "卡号622202******");
    }
}
