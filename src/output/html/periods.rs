//! Choosing a period on the page. Tables that exist per period (teams, the
//! assessment) are written as blocks, one `<details data-period="…">` per period
//! (and `all` for the whole run), inside a `data-periods` container. Without script
//! every block is there, the default ones open, so the page reads top to bottom;
//! the small inline [`SCRIPT`] shows a `<select>` of the periods and, when one is
//! chosen, hides the other blocks and opens the chosen one. "全部 All" brings the
//! page back as it was. The script is inline and loads nothing.

use super::escape::esc;
use super::text::put;
use crate::aggregate::{Period, PeriodKind};

/// The value of the "all periods" choice and of whole-run blocks.
pub const ALL: &str = "all";

/// Unhides the selector and switches blocks; a block keeps its default open state
/// in `data-open` so that "all" restores it.
pub const SCRIPT: &str = r#"(function(){var s=document.getElementById("period"),bar=document.getElementById("periodbar");if(!s||!bar)return;bar.hidden=false;var blocks=[].slice.call(document.querySelectorAll("[data-periods]>[data-period]"));blocks.forEach(function(b){b.setAttribute("data-open",b.open?"1":"")});function show(){var v=s.value;[].slice.call(document.querySelectorAll("[data-periods]")).forEach(function(c){var any=false;[].slice.call(c.children).forEach(function(b){var p=b.getAttribute("data-period");if(p===null)return;var on=v==="all"||p===v;b.hidden=!on;if(v==="all"){b.open=b.getAttribute("data-open")==="1"}else if(on){b.open=true;any=true}});var none=c.querySelector(":scope>.pnone");if(none)none.hidden=v==="all"||any})}s.addEventListener("change",show);show()})();"#;

/// 周 / 月 / 季度 and week / month / quarter.
pub fn kind_names(k: PeriodKind) -> (&'static str, &'static str) {
    match k {
        PeriodKind::Week => ("周", "week"),
        PeriodKind::Month => ("月", "month"),
        PeriodKind::Quarter => ("季度", "quarter"),
    }
}

/// The period bar (hidden until the script shows it): "all" and each period,
/// latest first. Nothing when there are fewer than two periods.
pub fn selector(out: &mut String, kind: PeriodKind, periods: &[Period]) {
    if periods.len() < 2 {
        return;
    }
    let (zh, en) = kind_names(kind);
    put!(
        out,
        r#"<div class="periodbar" id="periodbar" hidden><label for="period">周期 Period（按{zh} by {en}）</label><select id="period"><option value="{ALL}">全部 All</option>"#
    );
    for p in periods.iter().rev() {
        let p = p.to_string();
        put!(out, r#"<option value="{0}">{0}</option>"#, esc(&p));
    }
    out.push_str(r#"</select><span class="muted">切换团队与考核表的周期；图表为全期。 Switches the team and assessment tables; charts cover the whole run.</span></div>"#);
}

/// Opens a period container.
pub fn open(out: &mut String) {
    out.push_str(r#"<div data-periods="">"#);
}

/// Closes a period container, with the note the script shows when a chosen period
/// has no block in it.
pub fn close(out: &mut String) {
    out.push_str(
        r#"<p class="pnone empty" hidden>该周期无数据。 No data for this period.</p></div>"#,
    );
}

/// Opens one block: `key` is a period or [`ALL`]; `title` and `note` are its
/// summary line (already escaped markup is not accepted: both are escaped here).
pub fn block(out: &mut String, key: &str, open: bool, title: &str, note: &str) {
    put!(
        out,
        r#"<details class="pblock" data-period="{}"{}><summary><h3>{}</h3><span class="muted">{}</span></summary><div class="pbody">"#,
        esc(key),
        if open { " open" } else { "" },
        esc(title),
        esc(note)
    );
}

pub fn block_end(out: &mut String) {
    out.push_str("</div></details>");
}

/// "全期 Whole run" or the period itself.
pub fn title(p: Option<Period>) -> String {
    match p {
        None => "全期 Whole run".into(),
        Some(Period::Unknown) => "无日期 unknown".into(),
        Some(p) => p.to_string(),
    }
}
