//! Which ISO week an interaction belongs to. Adherence is reported per agent and
//! week; the week is that of the local date in the timestamp's own UTC offset, so a
//! call at 00:30 on Monday in Beijing counts for that Monday's week.

use chrono::{DateTime, Datelike};
use serde::{Serialize, Serializer};
use std::fmt;

/// An ISO 8601 week (`2026-W47`), or `unknown` for results without a usable start time.
/// Orders by year then week, with `unknown` last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Week {
    Iso { year: i32, week: u32 },
    Unknown,
}

impl Week {
    /// The week of an RFC 3339 timestamp; `Unknown` when absent or unparseable.
    pub fn of(started_at: Option<&str>) -> Week {
        match started_at.map(DateTime::parse_from_rfc3339) {
            Some(Ok(t)) => {
                let w = t.iso_week();
                Week::Iso {
                    year: w.year(),
                    week: w.week(),
                }
            }
            _ => Week::Unknown,
        }
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Week::Iso { year, week } => write!(f, "{year}-W{week:02}"),
            Week::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for Week {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> String {
        Week::of(Some(s)).to_string()
    }

    #[test]
    fn year_boundary_uses_the_timestamps_own_offset() {
        // Thursday 2026-12-31 is in 2026-W53; Friday 2027-01-01 still belongs to it.
        assert_eq!(w("2026-12-31T23:30:00+08:00"), "2026-W53");
        assert_eq!(w("2027-01-01T00:30:00+08:00"), "2026-W53");
        // Monday 2027-01-04 starts 2027-W01.
        assert_eq!(w("2027-01-04T00:10:00+08:00"), "2027-W01");
        // Monday 07:30 in Beijing is still Sunday in UTC: the local date counts.
        assert_eq!(w("2027-01-04T07:30:00+08:00"), "2027-W01");
        assert_eq!(w("2027-01-03T23:30:00Z"), "2026-W53");
        // Sunday 23:30 at -01:00 is Monday in UTC, but Sunday locally.
        assert_eq!(w("2027-01-03T23:30:00-01:00"), "2026-W53");
        // 2025-12-29 (Monday) is already 2026-W01.
        assert_eq!(w("2025-12-29T09:00:00+08:00"), "2026-W01");
    }

    #[test]
    fn missing_or_bad_times_are_unknown() {
        assert_eq!(Week::of(None), Week::Unknown);
        assert_eq!(w("yesterday"), "unknown");
        assert_eq!(w("2026-11-16"), "unknown");
    }

    #[test]
    fn unknown_sorts_last_and_weeks_by_year_first() {
        let mut v = [
            Week::Unknown,
            Week::of(Some("2027-01-05T00:00:00Z")),
            Week::of(Some("2026-11-16T00:00:00Z")),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(|w| w.to_string()).collect();
        assert_eq!(s, ["2026-W47", "2027-W01", "unknown"]);
    }
}
