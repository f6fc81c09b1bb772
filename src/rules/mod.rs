//! The service standard as data: TOML rule files are parsed strictly, checked and
//! compiled once into a [`Ruleset`] the scanner can apply to any number of interactions.

/// A score band reported per agent (e.g. >= 90 "excellent", coefficient 1.2).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: f64,
    pub label: String,
    #[serde(default = "one")]
    pub coefficient: f64,
}

fn one() -> f64 {
    1.0
}
