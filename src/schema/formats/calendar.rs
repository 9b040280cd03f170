//! `pve-calendar-event`: systemd-like calendar events, as Proxmox's `proxmox-time` parses them.
//!
//! PVE trims the value and hands it to the Rust parser of `proxmox-time`. The grammar, in the
//! order the parser tries it:
//!
//! - an optional `UTC` suffix;
//! - a keyword alone: `minutely`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`,
//!   `annually`, `quarterly`, `semiannually`, `semi-annually`;
//! - or, when the value starts with a letter, a comma-separated list of weekdays and weekday
//!   ranges (`mon`, `monday`, `mon..fri`, case-insensitive);
//! - an optional date `[year-]month-day`;
//! - an optional time `[hour:]minute[:second]`.
//!
//! Each date and time component is `*`, `*/step`, or a comma-separated list of `value`,
//! `start..end` and `start[..end]/step`, below a maximum (years 2200, months 13, days 32,
//! hours 24, minutes and seconds 60). At least a weekday, date or time must be given.
//!
//! The functions below return the rest of the input after what they consumed, or `None` where
//! the parser fails; the backtracking mirrors the parser's combinators exactly, including its
//! quirks (`24:00` is minute 24, second 0).

use super::Verdict;

const KEYWORDS: [&str; 10] = [
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annually",
    "quarterly",
    "semiannually",
    "semi-annually",
];

pub(super) fn calendar_event(value: &str) -> Verdict {
    let trimmed = value.trim_matches(char::is_whitespace);
    if !trimmed.is_empty() && parse_event(trimmed) {
        Verdict::Valid
    } else {
        Verdict::Invalid(
            "a calendar event such as 'daily', '*/15', 'sat 03:00' or 'mon..fri 02:00' ([weekdays] [[year-]month-day] [[hour:]minute[:second]])"
                .to_owned(),
        )
    }
}

fn parse_event(value: &str) -> bool {
    let mut i = value;
    if let Some(rest) = i.strip_suffix("UTC") {
        i = rest.trim_end_matches(' ');
    }
    let (mut has_day, mut has_date, mut has_time) = (false, false, false);
    if i.starts_with(|c: char| c.is_ascii_alphabetic()) {
        if KEYWORDS.contains(&i) {
            return true;
        }
        let Some(rest) = separated_list1(i, weekday_range) else {
            return false;
        };
        has_day = true;
        i = space0(rest);
    }
    if let Some(rest) = date_spec(i) {
        has_date = true;
        i = space0(rest);
    }
    if let Some(rest) = time_spec(i) {
        has_time = true;
        i = rest;
    }
    (has_day || has_date || has_time) && i.is_empty()
}

fn space0(i: &str) -> &str {
    i.trim_start_matches([' ', '\t'])
}

/// One or more elements separated by commas; a comma not followed by an element is left.
fn separated_list1<'a>(i: &'a str, element: impl Fn(&'a str) -> Option<&'a str>) -> Option<&'a str> {
    let mut i = element(i)?;
    loop {
        let Some(after) = i.strip_prefix(',') else {
            return Some(i);
        };
        match element(after) {
            Some(rest) => i = rest,
            None => return Some(i),
        }
    }
}

/// The bit of a weekday name, Monday first.
fn weekday(i: &str) -> Option<(&str, u8)> {
    let end = i.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(i.len());
    if end == 0 {
        return None;
    }
    let day = match i[..end].to_ascii_lowercase().as_str() {
        "monday" | "mon" => 0,
        "tuesday" | "tue" => 1,
        "wednesday" | "wed" => 2,
        "thursday" | "thu" => 3,
        "friday" | "fri" => 4,
        "saturday" | "sat" => 5,
        "sunday" | "sun" => 6,
        _ => return None,
    };
    Some((&i[end..], day))
}

fn weekday_range(i: &str) -> Option<&str> {
    let (rest, _) = weekday(i)?;
    match rest.strip_prefix("..").and_then(weekday) {
        Some((after, _)) => Some(after),
        None => Some(rest),
    }
}

/// A number of ASCII digits that fits in 32 bits and is below `max`.
fn time_comp(i: &str, max: u32) -> Option<(&str, u32)> {
    let end = i.find(|c: char| !c.is_ascii_digit()).unwrap_or(i.len());
    if end == 0 {
        return None;
    }
    let value = i[..end].parse::<u32>().ok().filter(|v| *v < max)?;
    Some((&i[end..], value))
}

/// `value`, `start..end`, `value/step` or `start..end/step`.
fn date_time_comp(i: &str, max: u32) -> Option<&str> {
    let (i, value) = time_comp(i, max)?;
    if let Some((after, end)) = i.strip_prefix("..").and_then(|r| time_comp(r, max)) {
        if value > end {
            return None;
        }
        return match after.strip_prefix('/') {
            Some(step) => time_comp(step, max).map(|(rest, _)| rest),
            None => Some(after),
        };
    }
    match i.strip_prefix('/') {
        Some(step) => time_comp(step, max).map(|(rest, _)| rest),
        None => Some(i),
    }
}

/// `*`, `*/step` or a list of components.
fn comp_list(i: &str, max: u32) -> Option<&str> {
    if let Some(rest) = i.strip_prefix('*') {
        if let Some(step) = rest.strip_prefix('/') {
            let (after, repeat) = time_comp(step, max)?;
            if repeat > 0 {
                return Some(after);
            }
        }
        return Some(rest);
    }
    separated_list1(i, |s| date_time_comp(s, max))
}

/// `[hour:]minute[:second]`.
fn time_spec(i: &str) -> Option<&str> {
    let i = match comp_list(i, 24).and_then(|r| r.strip_prefix(':')) {
        Some(after_hour) => after_hour,
        None => i,
    };
    let i = comp_list(i, 60)?;
    match i.strip_prefix(':').and_then(|r| comp_list(r, 60)) {
        Some(after_second) => Some(after_second),
        None => Some(i),
    }
}

/// `year-month-day` or `month-day`.
fn date_spec(i: &str) -> Option<&str> {
    let full = comp_list(i, 2200)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| comp_list(r, 13))
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| comp_list(r, 32));
    full.or_else(|| comp_list(i, 13).and_then(|r| r.strip_prefix('-')).and_then(|r| comp_list(r, 32)))
}
