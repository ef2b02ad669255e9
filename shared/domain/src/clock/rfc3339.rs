//! Timestamps in JSON and in the stores, written and read as chrono writes and reads them
//! (`2026-12-04T09:30:00Z`, with a fraction only when there is one), without chrono's general
//! formatter and parser for the one shape every stored and answered timestamp has. A page of
//! 50 invitations writes and reads a hundred of them (`bench/RESULTS.md`, "The warm path").
//! Anything else (an offset, a year past 9999, a leap second) goes through chrono.
//!
//! Use as `#[serde(with = "domain::clock::rfc3339")]` on a [`Timestamp`] field.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

use super::Timestamp;

/// `2026-12-04T09:30:00Z`, or with `.123`, `.123456` or `.123456789` where the fraction is
/// not zero: the text chrono's `Serialize` writes.
pub fn format(time: &Timestamp) -> String {
    match Plain::of(time) {
        Some(plain) => plain.as_str().to_owned(),
        None => time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    }
}

/// The text of a timestamp of years 0 to 9999, on the stack.
struct Plain {
    bytes: [u8; 30],
    len: usize,
}

impl Plain {
    fn of(time: &Timestamp) -> Option<Self> {
        let (year, nanos) = (time.year(), time.nanosecond());
        if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
            return None;
        }
        let mut plain = Self {
            bytes: [0; 30],
            len: 0,
        };
        plain.push_digits(year as u32, 4);
        for (separator, value) in [
            (b'-', time.month()),
            (b'-', time.day()),
            (b'T', time.hour()),
            (b':', time.minute()),
            (b':', time.second()),
        ] {
            plain.push(separator);
            plain.push_digits(value, 2);
        }
        let fraction = match nanos {
            0 => None,
            n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
            n if n % 1_000 == 0 => Some((n / 1_000, 6)),
            n => Some((n, 9)),
        };
        if let Some((value, width)) = fraction {
            plain.push(b'.');
            plain.push_digits(value, width);
        }
        plain.push(b'Z');
        Some(plain)
    }

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// `value`'s last `width` decimal digits, zero-padded.
    fn push_digits(&mut self, value: u32, width: usize) {
        let mut rest = value;
        for slot in self.bytes[self.len..self.len + width].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        self.len += width;
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII digits and separators")
    }
}

/// Reads what [`format`] writes directly; any other RFC 3339 text as chrono reads it.
pub fn parse(text: &str) -> Result<Timestamp, chrono::ParseError> {
    match parse_plain(text.as_bytes()) {
        Some(time) => Ok(time),
        None => text.parse::<DateTime<Utc>>(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None`.
fn parse_plain(text: &[u8]) -> Option<Timestamp> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        text.get(range)?.iter().try_fold(0u32, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if text.len() < 20
        || text.last() != Some(&b'Z')
        || separators.iter().any(|(at, byte)| text[*at] != *byte)
    {
        return None;
    }
    let nanos = match text.len() {
        20 => 0,
        len if text[19] == b'.' && (22..=30).contains(&len) => {
            let width = len - 21;
            number(20..len - 1)? * 10u32.pow(9 - width as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    let time = date.and_hms_nano_opt(number(11..13)?, number(14..16)?, number(17..19)?, nanos)?;
    // A leap second (`:60`) is left to chrono.
    (time.second() < 60 && nanos < 1_000_000_000).then(|| time.and_utc())
}

/// Writes `time` as [`format`] does, without allocating.
pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    match Plain::of(time) {
        Some(plain) => serializer.serialize_str(plain.as_str()),
        None => serializer.serialize_str(&format(time)),
    }
}

/// Reads a timestamp as [`parse`] does.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(D::Error::custom)
}
