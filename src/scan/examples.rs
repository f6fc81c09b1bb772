//! `callqa rules test`: every example sentence of every rule run through the real
//! matcher (normalization, match mode, except and near contexts), so a rule author
//! sees a rule miss its own examples before the nightly run does. An example is one
//! sentence of one speaker; `after` and `within` windows are not part of it, so a
//! hit is any hit of the rule's phrases or patterns, counted or outside its window.

use crate::interaction::{Interaction, InteractionKind, Roles, Turn};
use crate::rules::Ruleset;
use crate::scan::matcher::find_hits;

/// An example the rule gets wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// `file:line:column` of the example.
    pub at: String,
    pub rule_id: String,
    pub text: String,
    /// Whether the rule was expected to find it.
    pub expected_hit: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (want, got) = if self.expected_hit {
            ("hit", "finds nothing")
        } else {
            ("miss", "finds a hit")
        };
        write!(
            f,
            "{}: rule `{}`: example {:?} should {want}, but the rule {got}",
            self.at, self.rule_id, self.text
        )
    }
}

/// What testing the examples found: how many were run, and the failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExampleReport {
    pub tested: usize,
    pub failures: Vec<ExampleFailure>,
}

/// Runs every example of every rule of `ruleset`.
pub fn test_examples(ruleset: &Ruleset) -> ExampleReport {
    let mut report = ExampleReport::default();
    for (r, rule) in ruleset.rules.iter().enumerate() {
        for ex in &rule.conditions.examples {
            // A rule limited to some kinds of interaction is tried on the first of them.
            let kind = rule
                .applies_to
                .as_ref()
                .and_then(|k| k.first().copied())
                .unwrap_or(InteractionKind::Chat);
            let interaction = Interaction {
                id: "example".into(),
                kind: Some(kind),
                source: ex.at.clone(),
                agent_id: "example".into(),
                started_at: None,
                duration_s: 0.0,
                roles: Roles::Known,
                roles_reason: None,
                turns: vec![Turn::new(ex.speaker, 0.0, 0.0, ex.text.clone())],
                measured: Default::default(),
            };
            let hits = find_hits(&interaction, ruleset);
            let found = hits.of(r);
            let hit = !found.counted.is_empty() || !found.outside_window.is_empty();
            report.tested += 1;
            if hit != ex.hit {
                report.failures.push(ExampleFailure {
                    at: ex.at.clone(),
                    rule_id: rule.id.to_string(),
                    text: ex.text.clone(),
                    expected_hit: ex.hit,
                });
            }
        }
    }
    report
}
