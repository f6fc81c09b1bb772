//! Customers' numbers are masked before anything is scored or stored (unless the
//! run says `--no-redact`): the state database, the transcript cache and every
//! output hold the masked text only. Masking keeps byte lengths (see
//! [`crate::text::redact`]), so token timings and evidence offsets stay valid, and
//! a masked digit still counts as a digit to rules ([`crate::text::normalize`]), so
//! a rule that flags an agent reading out a full number still fires, on the first
//! scan and on every rescore alike.

use crate::interaction::{Interaction, Speaker};
use crate::text::redact::redact_sequence;

/// Masks the numbers in the turns of `i`. Consecutive turns of one speaker are
/// masked as one text, so a number read out over two turns is found.
pub fn redact_interaction(i: &mut Interaction) {
    let mut start = 0;
    while start < i.turns.len() {
        let speaker = i.turns[start].speaker;
        let mut end = start + 1;
        while end < i.turns.len() && i.turns[end].speaker == speaker && speaker != Speaker::System {
            end += 1;
        }
        let mut texts: Vec<&mut String> = i.turns[start..end]
            .iter_mut()
            .map(|t| &mut t.text)
            .collect();
        redact_sequence(&mut texts);
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interaction::{InteractionKind, Roles, Turn};

    fn interaction(turns: &[(Speaker, &str)]) -> Interaction {
        Interaction {
            id: "c1".into(),
            kind: Some(InteractionKind::Call),
            source: "s".into(),
            agent_id: "A01".into(),
            started_at: None,
            duration_s: 10.0,
            roles: Roles::Known,
            roles_reason: None,
            turns: turns
                .iter()
                .enumerate()
                .map(|(n, (s, t))| Turn::new(*s, n as f64, n as f64 + 1.0, *t))
                .collect(),
            measured: Default::default(),
        }
    }

    #[test]
    fn a_number_over_consecutive_turns_of_one_speaker_is_masked() {
        let mut i = interaction(&[
            (Speaker::Customer, "我的手机是幺三八一二三四"),
            (Speaker::Customer, "五六七八"),
            (Speaker::Agent, "好的"),
        ]);
        redact_interaction(&mut i);
        assert_eq!(i.turns[0].text, "我的手机是幺三八＊＊＊＊");
        assert_eq!(i.turns[1].text, "五六七八");
        assert_eq!(i.turns[2].text, "好的");
    }

    #[test]
    fn turns_of_different_speakers_are_not_joined() {
        let mut i = interaction(&[
            (Speaker::Customer, "幺三八一二三四"),
            (Speaker::Agent, "五六七八"),
        ]);
        let before = i.clone();
        redact_interaction(&mut i);
        assert_eq!(i, before);
    }
}
