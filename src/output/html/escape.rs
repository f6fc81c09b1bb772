//! HTML escaping: every piece of data that reaches the report (agent ids, rule titles,
//! what customers and agents said) goes through [`esc`], in element text, attribute
//! values and inline SVG alike. Markup is only ever written by the report code.

use std::fmt;

/// Displays `s` escaped for HTML text and quoted attribute values.
pub fn esc(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// See [`esc`].
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'', '\0']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => "\u{FFFD}",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_quotes_and_nul() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>").to_string(),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(esc("您好\0！").to_string(), "您好\u{FFFD}！");
        assert_eq!(esc("plain 文本").to_string(), "plain 文本");
        assert_eq!(esc("").to_string(), "");
    }
}
