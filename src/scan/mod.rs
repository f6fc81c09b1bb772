//! Applies a compiled [`Ruleset`] to one [`Interaction`]: find the hits of every rule
//! ([`matcher`]), then turn them into violations and a score ([`score`]). Scanning is
//! a pure function, so interactions can be scanned in parallel and re-scored later.

pub mod conditions;
pub mod examples;
pub mod holds;
pub mod matcher;
pub mod metrics;
pub mod redact;
pub mod result;
pub mod review;
pub mod schema;
pub mod score;

use crate::interaction::Interaction;
use crate::rules::Ruleset;
use result::InteractionResult;

/// Scans and scores one interaction; the result gets a copy of its turns.
pub fn scan(interaction: &Interaction, ruleset: &Ruleset) -> InteractionResult {
    let hits = matcher::find_hits(interaction, ruleset);
    let mut result = score::score(interaction, ruleset, hits);
    result.turns = interaction.turns.clone();
    result
}

/// Like [`scan`], but the turns move into the result instead of being copied (the
/// batch path, where the interaction is not needed afterwards).
pub fn scan_owned(mut interaction: Interaction, ruleset: &Ruleset) -> InteractionResult {
    let hits = matcher::find_hits(&interaction, ruleset);
    let mut result = score::score(&interaction, ruleset, hits);
    result.turns = std::mem::take(&mut interaction.turns);
    result
}
