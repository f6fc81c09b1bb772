//! Whisper, trained on subtitled video, writes subtitle credits and video-channel
//! boilerplate when it hears noise or music ("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
//! "字幕由Amara.org社区提供"). No agent says these on a service call, so a segment made
//! of such text is dropped before scanning: a forbidden-phrase hit must never come
//! from a hallucination.

use crate::text::normalize::normalize_str;

/// Normalized markers of known Whisper hallucinations (Mandarin and English).
const MARKERS: &[&str] = &[
    "点赞订阅",
    "订阅转发",
    "打赏支持",
    "明镜与点点",
    "明镜需要您的支持",
    "字幕由",
    "字幕提供",
    "字幕志愿者",
    "amaraorg",
    "优优独播剧场",
    "yoyotelevisionseries",
    "感谢观看",
    "谢谢观看",
    "下集再见",
    "本期视频",
    "thanksforwatching",
    "pleasesubscribe",
];

/// Whether a recognized segment's text is a known hallucination.
pub fn is_hallucination(text: &str) -> bool {
    let n = normalize_str(text);
    !n.is_empty() && MARKERS.iter().any(|m| n.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_phrases_are_caught_in_any_script() {
        assert!(is_hallucination(
            "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目"
        ));
        assert!(is_hallucination("字幕由Amara.org社区提供"));
        assert!(is_hallucination("Thanks for watching!"));
    }

    #[test]
    fn service_talk_is_kept() {
        assert!(!is_hallucination("您好，很高兴为您服务"));
        assert!(!is_hallucination("感谢您的来电，再见"));
        assert!(!is_hallucination("我帮您订阅了短信提醒"));
        assert!(!is_hallucination(""));
    }
}
