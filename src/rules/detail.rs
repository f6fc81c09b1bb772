//! The sentence each violation carries for the QA reviewer (`detail`), Chinese
//! first and English beside it, as every line of the report reads. All of them are
//! made here from fixed templates, so the wording is the same in results.jsonl,
//! the report and the workbench, and changes in one place.

use super::{MetricBound, Window};

/// A window in Chinese: 前 10 秒, 最后 30 秒, 前 2 轮, 最后 2 轮.
pub fn window_zh(w: Window) -> String {
    match w {
        Window::FirstTurns(n) => format!("前 {n} 轮"),
        Window::LastTurns(n) => format!("最后 {n} 轮"),
        Window::FirstSeconds(s) => format!("前 {s} 秒"),
        Window::LastSeconds(s) => format!("最后 {s} 秒"),
    }
}

/// A forbidden rule hit `n` times.
pub fn forbidden(title: &str, n: u32) -> String {
    format!("{title}：命中 {n} 次。 {n} hit(s).")
}

/// A required phrase never said (made once per rule, at load time).
pub fn not_found(title: &str, window: Option<Window>) -> String {
    match window {
        Some(w) => format!(
            "{title}：应在{}内说出，未说。 Expected within the {w}.",
            window_zh(w)
        ),
        None => format!("{title}：未说。 Not said."),
    }
}

/// A required phrase said, but at `at_s` seconds, outside its time window.
pub fn said_at(title: &str, window: Window, at_s: f64, matched: &str) -> String {
    let zh = window_zh(window);
    format!("{title}：应在{zh}内说出，实际在第 {at_s:.1} 秒说出（“{matched}”）。 Expected within the {window}; said at {at_s:.1} s (\"{matched}\").")
}

/// A required phrase said, but in turn `turn`, outside its turn window.
pub fn said_in_turn(title: &str, window: Window, turn: usize, matched: &str) -> String {
    let zh = window_zh(window);
    format!("{title}：应在{zh}内说出，实际在第 {turn} 轮说出（“{matched}”）。 Expected within the {window}; said in turn {turn} (\"{matched}\").")
}

/// A metric over (or under) its bound.
pub fn metric(bound: &MetricBound, value: f64, limit: f64) -> String {
    let (zh, en) = if bound.max.is_some_and(|m| value > m) {
        ("上限", "at most")
    } else {
        ("下限", "at least")
    };
    format!(
        "{} = {value}（{zh} {limit}）。 {} = {value} ({en} {limit}).",
        bound.metric.name_zh(),
        bound.metric.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Metric;

    #[test]
    fn every_sentence_is_chinese_first_then_english() {
        let bound = MetricBound {
            metric: Metric::LongestSilenceSeconds,
            max: Some(10.0),
            min: None,
        };
        let expected = not_found("开场问候", Some(Window::FirstSeconds(10.0)));
        let sentences = [
            forbidden("禁用语：不知道", 2),
            expected.clone(),
            not_found("结束语", None),
            said_at("开场问候", Window::FirstSeconds(10.0), 13.62, "您好"),
            said_in_turn("开场问候", Window::FirstTurns(1), 3, "您好"),
            metric(&bound, 12.5, 10.0),
        ];
        for s in &sentences {
            let (zh, en) = s
                .split_once("。 ")
                .expect("a Chinese sentence, then English");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{s}"
            );
            assert!(en.is_ascii() || en.contains('“') || en.contains('"'), "{s}");
        }
        assert_eq!(sentences[0], "禁用语：不知道：命中 2 次。 2 hit(s).");
        assert_eq!(
            sentences[3],
            "开场问候：应在前 10 秒内说出，实际在第 13.6 秒说出（“您好”）。 Expected within the first 10 s; said at 13.6 s (\"您好\")."
        );
        assert_eq!(
            sentences[5],
            "最长静默（秒） = 12.5（上限 10）。 longest-silence-seconds = 12.5 (at most 10)."
        );
    }
}
