//! Long lists at archive size (400 agents): the worst [`SHOWN`] rows are in the
//! page, the rest wait in a collapsed `<details>` that says how many there are. No
//! script is needed to open it, and the page stays short enough to find the worst
//! agent without scrolling through everyone else.

use super::escape::esc;
use super::text::put;

/// Rows of a long list shown before the collapsed rest.
pub const SHOWN: usize = 20;

/// A table of `shown` rows (rendered `<tr>`s) and, when `rest` is not empty, a
/// collapsed copy of the table with the rest, its summary counting them as
/// "其余 n {zh} · The other n {en}". `head` is the header row.
pub fn table(
    out: &mut String,
    class: &str,
    head: &str,
    shown: &[String],
    rest: &[String],
    (zh, en): (&str, &str),
) {
    rows(out, class, head, shown);
    if rest.is_empty() {
        return;
    }
    put!(
        out,
        r#"<details class="rest"><summary>其余 {n} {} · The other {n} {}</summary>"#,
        esc(zh),
        esc(en),
        n = rest.len()
    );
    rows(out, class, head, rest);
    out.push_str("</details>");
}

fn rows(out: &mut String, class: &str, head: &str, rows: &[String]) {
    put!(
        out,
        r#"<div class="scroll"><table class="data {}"><thead>{head}</thead><tbody>"#,
        esc(class)
    );
    for r in rows {
        out.push_str(r);
    }
    out.push_str("</tbody></table></div>");
}

/// `rows` split after the first `n`.
pub fn split<T>(rows: &[T], n: usize) -> (&[T], &[T]) {
    rows.split_at(n.min(rows.len()))
}
