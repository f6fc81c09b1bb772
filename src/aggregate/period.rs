//! Which period an interaction is assessed in: ISO week (tracked weekly), calendar
//! month (assessed monthly) or quarter (team reviews). Like [`super::Week`], the
//! period is that of the local date in the timestamp's own UTC offset, so a call at
//! 00:30 on 1 December in Beijing counts for December.

use super::Week;
use chrono::{DateTime, Datelike};
use serde::{Serialize, Serializer};
use std::fmt;

/// How results are grouped in time (`--period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    #[default]
    Week,
    Month,
    Quarter,
}

impl PeriodKind {
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }
}

/// One period: `2026-W47`, `2026-11`, `2026-Q4`, or `unknown` for results without a
/// usable start time. Periods of one kind order in time, with `unknown` last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Week { year: i32, week: u32 },
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Unknown,
}

impl Period {
    /// The period of an RFC 3339 timestamp; `Unknown` when absent or unparseable.
    pub fn of(kind: PeriodKind, started_at: Option<&str>) -> Period {
        if kind == PeriodKind::Week {
            return match Week::of(started_at) {
                Week::Iso { year, week } => Period::Week { year, week },
                Week::Unknown => Period::Unknown,
            };
        }
        let Some(Ok(t)) = started_at.map(DateTime::parse_from_rfc3339) else {
            return Period::Unknown;
        };
        let (year, month) = (t.year(), t.month());
        match kind {
            PeriodKind::Month => Period::Month { year, month },
            _ => Period::Quarter {
                year,
                quarter: (month - 1) / 3 + 1,
            },
        }
    }

    /// The period just before this one (2026-W01 -> 2025-W52 or W53, 2026-01 ->
    /// 2025-12, 2026-Q1 -> 2025-Q4); `None` for `unknown`.
    pub fn previous(self) -> Option<Period> {
        Some(match self {
            Period::Week { year, week } if week > 1 => Period::Week {
                year,
                week: week - 1,
            },
            Period::Week { year, .. } => Period::Week {
                year: year - 1,
                week: iso_weeks_in(year - 1),
            },
            Period::Month { year, month } if month > 1 => Period::Month {
                year,
                month: month - 1,
            },
            Period::Month { year, .. } => Period::Month {
                year: year - 1,
                month: 12,
            },
            Period::Quarter { year, quarter } if quarter > 1 => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            Period::Quarter { year, .. } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Unknown => return None,
        })
    }
}

/// 52 or 53: the ISO week of 28 December is always the year's last.
fn iso_weeks_in(year: i32) -> u32 {
    chrono::NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week { year, week } => write!(f, "{year}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Period::Unknown => f.write_str("unknown"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: PeriodKind, t: &str) -> String {
        Period::of(kind, Some(t)).to_string()
    }

    #[test]
    fn month_and_quarter_ends_use_the_timestamps_own_offset() {
        use PeriodKind::{Month, Quarter};
        // 1 December 00:30 in Beijing is still 30 November in UTC: December counts.
        assert_eq!(p(Month, "2026-12-01T00:30:00+08:00"), "2026-12");
        assert_eq!(p(Month, "2026-11-30T16:30:00Z"), "2026-11");
        assert_eq!(p(Month, "2026-11-30T23:59:59+08:00"), "2026-11");
        // 31 March 23:30 at -05:00 is April in UTC, but March locally: Q1.
        assert_eq!(p(Quarter, "2026-03-31T23:30:00-05:00"), "2026-Q1");
        assert_eq!(p(Quarter, "2026-04-01T00:00:00+08:00"), "2026-Q2");
        assert_eq!(p(Quarter, "2026-12-31T23:59:59+08:00"), "2026-Q4");
        // Leap day.
        assert_eq!(p(Month, "2028-02-29T12:00:00+08:00"), "2028-02");
    }

    #[test]
    fn weeks_follow_iso_including_week_53() {
        let w = PeriodKind::Week;
        assert_eq!(p(w, "2026-12-31T23:30:00+08:00"), "2026-W53");
        assert_eq!(p(w, "2027-01-01T00:30:00+08:00"), "2026-W53");
        assert_eq!(p(w, "2027-01-04T00:10:00+08:00"), "2027-W01");
    }

    #[test]
    fn previous_crosses_years_and_knows_53_week_years() {
        let prev = |kind, t| Period::of(kind, Some(t)).previous().unwrap().to_string();
        assert_eq!(
            prev(PeriodKind::Week, "2027-01-05T09:00:00+08:00"),
            "2026-W53"
        );
        assert_eq!(
            prev(PeriodKind::Week, "2026-01-01T09:00:00+08:00"),
            "2025-W52"
        );
        assert_eq!(
            prev(PeriodKind::Week, "2026-11-18T09:00:00+08:00"),
            "2026-W46"
        );
        assert_eq!(
            prev(PeriodKind::Month, "2027-01-05T09:00:00+08:00"),
            "2026-12"
        );
        assert_eq!(
            prev(PeriodKind::Month, "2026-03-05T09:00:00+08:00"),
            "2026-02"
        );
        assert_eq!(
            prev(PeriodKind::Quarter, "2027-01-05T09:00:00+08:00"),
            "2026-Q4"
        );
        assert_eq!(Period::Unknown.previous(), None);
    }

    #[test]
    fn missing_or_bad_times_are_unknown_and_sort_last() {
        for kind in [PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter] {
            assert_eq!(Period::of(kind, None), Period::Unknown);
            assert_eq!(Period::of(kind, Some("2026-11-16")), Period::Unknown);
        }
        let mut v = [
            Period::Unknown,
            Period::of(PeriodKind::Month, Some("2027-01-05T00:00:00Z")),
            Period::of(PeriodKind::Month, Some("2026-12-16T00:00:00Z")),
        ];
        v.sort();
        let s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(s, ["2026-12", "2027-01", "unknown"]);
    }
}
