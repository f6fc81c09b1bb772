//! Which score band an agent's mean score falls in. Bands come from the ruleset
//! (`[[band]] min/label/coefficient`) and feed performance coefficients.

use crate::rules::Band;
use serde::Serialize;

/// The band an agent-week landed in, as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandRef {
    pub label: String,
    pub coefficient: f64,
}

/// The band with the highest `min` that is `<= score`; `None` when no band's minimum
/// is reached (or there are no bands). Bands need not be sorted; on equal minimums
/// the first listed wins.
pub fn band_for(score: f64, bands: &[Band]) -> Option<BandRef> {
    let mut best: Option<&Band> = None;
    for band in bands.iter().filter(|b| b.min <= score) {
        if best.is_none_or(|b| band.min > b.min) {
            best = Some(band);
        }
    }
    best.map(|b| BandRef {
        label: b.label.clone(),
        coefficient: b.coefficient,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(min: f64, label: &str, coefficient: f64) -> Band {
        Band {
            min,
            label: label.into(),
            coefficient,
        }
    }

    #[test]
    fn highest_reached_minimum_wins_in_any_order() {
        let bands = [
            band(60.0, "pass", 1.0),
            band(90.0, "excellent", 1.2),
            band(75.0, "good", 1.1),
        ];
        let label = |s: f64| band_for(s, &bands).map(|b| b.label);
        assert_eq!(label(100.0).as_deref(), Some("excellent"));
        assert_eq!(label(90.0).as_deref(), Some("excellent"));
        assert_eq!(label(89.99).as_deref(), Some("good"));
        assert_eq!(label(75.0).as_deref(), Some("good"));
        assert_eq!(label(60.0).as_deref(), Some("pass"));
        assert_eq!(label(59.9), None);
        assert_eq!(band_for(95.0, &bands).unwrap().coefficient, 1.2);
    }

    #[test]
    fn no_bands_no_band() {
        assert_eq!(band_for(100.0, &[]), None);
    }
}
