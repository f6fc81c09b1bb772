//! Weighted score dimensions (服务态度 30 %, 服务规范 30 % …): which part of the
//! overall score a rule's deductions come off. Checked when the rules load: ids
//! unique and well formed, weights positive and summing to 100, and, once any
//! dimension is defined, every rule naming one that exists.

use super::error::{Locator, RuleError};
use super::spec::DimensionSpec;
use super::Rule;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use toml::Spanned;

/// One dimension of the score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dimension {
    pub id: Arc<str>,
    pub title: String,
    /// Percent of the overall score.
    pub weight: f64,
}

/// What the loader collected, file by file, for [`resolve`].
#[derive(Default)]
pub(super) struct Collected {
    /// (file index, the table).
    pub defs: Vec<(usize, Spanned<DimensionSpec>)>,
    /// (file index, rule index in the compiled list, where its id is, `dimension =`).
    pub refs: Vec<(usize, usize, usize, Option<Spanned<String>>)>,
}

/// Checks the dimensions and points every rule at its own; returns them in the
/// order they were defined.
pub(super) fn resolve(
    sources: &[(PathBuf, String)],
    got: &Collected,
    rules: &mut [Rule],
    errors: &mut Vec<RuleError>,
) -> Vec<Dimension> {
    let loc = |file: usize| Locator {
        file: &sources[file].0,
        source: &sources[file].1,
    };
    let mut dims: Vec<Dimension> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    // Ids whose table has an error already reported: rules naming them are not
    // reported again.
    let mut broken: Vec<&str> = Vec::new();
    for (file, def) in &got.defs {
        let spec = def.get_ref();
        let id = spec.id.get_ref().as_str();
        let at = spec.id.span().start;
        if !well_formed(id) {
            errors.push(loc(*file).at(at, None, format!("dimension id {id:?} is malformed: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. \"attitude\")")));
            broken.push(id);
            continue;
        }
        if slot.contains_key(id) {
            errors.push(loc(*file).at(at, None, format!("duplicate dimension id {id:?}")));
            continue;
        }
        let weight = *spec.weight.get_ref();
        if !(weight > 0.0 && weight <= 100.0) {
            errors.push(loc(*file).at(
                spec.weight.span().start,
                None,
                format!("dimension {id:?}: weight = {weight} is out of range; give a percent above 0 and at most 100"),
            ));
            broken.push(id);
            continue;
        }
        if spec.title.trim().is_empty() {
            errors.push(loc(*file).at(
                def.span().start,
                None,
                format!("dimension {id:?} needs a title (e.g. \"服务态度\")"),
            ));
        }
        slot.insert(id, dims.len());
        dims.push(Dimension {
            id: id.into(),
            title: spec.title.clone(),
            weight,
        });
    }
    if let Some((file, first)) = got.defs.first() {
        let sum: f64 = dims.iter().map(|d| d.weight).sum();
        if dims.len() == got.defs.len() && (sum - 100.0).abs() > 1e-6 {
            let parts: Vec<String> = dims
                .iter()
                .map(|d| format!("{} {}", d.id, d.weight))
                .collect();
            errors.push(loc(*file).at(
                first.span().start,
                None,
                format!(
                    "dimension weights sum to {sum} ({}); they must sum to 100",
                    parts.join(" + ")
                ),
            ));
        }
    }
    let defined = || {
        dims.iter()
            .map(|d| d.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (file, rule, id_at, named) in &got.refs {
        let rule_id = rules[*rule].id.clone();
        match named {
            None if !got.defs.is_empty() => errors.push(loc(*file).at(
                *id_at,
                Some(&rule_id),
                format!("missing `dimension`; with [[dimension]] tables every rule names the one its deductions come off ({})", defined()),
            )),
            None => {}
            Some(name) if got.defs.is_empty() => errors.push(loc(*file).at(
                name.span().start,
                Some(&rule_id),
                format!("dimension = {:?} but no [[dimension]] table defines any; add one (id, title, weight) or drop the key", name.get_ref()),
            )),
            Some(name) => match slot.get(name.get_ref().as_str()) {
                Some(&d) => rules[*rule].dimension = Some(d),
                None if broken.contains(&name.get_ref().as_str()) => {}
                None => errors.push(loc(*file).at(
                    name.span().start,
                    Some(&rule_id),
                    format!("unknown dimension {:?}; defined: {}", name.get_ref(), defined()),
                )),
            },
        }
    }
    dims
}

fn well_formed(id: &str) -> bool {
    id.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}
