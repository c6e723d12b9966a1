//! Calendar helpers for the record timestamps and date fields, written out here because the
//! emulator needs only UTC formatting and date checks, not a full date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in UTC with millisecond precision, e.g. `2025-10-12T08:30:05.123Z`
/// (the reference's timestamps are `datetime(3)`).
pub(crate) fn now_timestamp() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX);
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        since_epoch.subsec_millis()
    )
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    now_timestamp()[..10].to_owned()
}

/// A `YYYY-MM-DD` date as (year, month, day), if it is a real date.
fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    if !is_valid_date(text) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    Some((i64::from(number(0..4)), number(5..7), number(8..10)))
}

fn format_date((year, month, day): (i64, u32, u32)) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

/// The date `days` days after `date` (before it when negative).
pub(crate) fn add_days(date: &str, days: i64) -> Option<String> {
    let (year, month, day) = parse_date(date)?;
    Some(format_date(civil_from_days(
        days_from_civil(year, month, day) + days,
    )))
}

/// The last day of the month of `date`.
pub(crate) fn end_of_month(date: &str) -> Option<String> {
    let (year, month, _) = parse_date(date)?;
    let year_u32 = u32::try_from(year).ok()?;
    Some(format_date((year, month, days_in_month(year_u32, month))))
}

/// Day `day` of the month after the one of `date` (clamped to that month's length).
pub(crate) fn day_of_next_month(date: &str, day: u32) -> Option<String> {
    let (year, month, _) = parse_date(date)?;
    let (year, month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let last = days_in_month(u32::try_from(year).ok()?, month);
    Some(format_date((year, month, day.clamp(1, last))))
}

/// Whether `text` is a real calendar date written `YYYY-MM-DD`, the only date format the
/// API accepts.
pub(crate) fn is_valid_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(index, byte)| index == 4 || index == 7 || byte.is_ascii_digit());
    if !shape_ok {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of `civil_from_days`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Converts days since 1970-01-01 into (year, month, day), using Howard Hinnant's
/// era-based algorithm for the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both values are small and positive by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::is_valid_date;
    use super::{add_days, civil_from_days, day_of_next_month, days_from_civil, end_of_month};

    #[test]
    fn converts_days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_373), (2025, 10, 12));
        assert_eq!(days_from_civil(2025, 10, 12), 20_373);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn date_arithmetic() {
        assert_eq!(add_days("2013-07-29", 60).as_deref(), Some("2013-09-27"));
        assert_eq!(add_days("2024-03-01", -1).as_deref(), Some("2024-02-29"));
        assert_eq!(end_of_month("2013-09-27").as_deref(), Some("2013-09-30"));
        assert_eq!(
            day_of_next_month("2025-12-31", 10).as_deref(),
            Some("2026-01-10")
        );
        assert_eq!(add_days("2024-02-30", 1), None);
    }

    #[test]
    fn checks_dates() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2024-13-01"));
        assert!(!is_valid_date("2024-1-01"));
        assert!(!is_valid_date("12/01/2024"));
    }
}
