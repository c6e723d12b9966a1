//! Decimal amounts as the service writes them: JSON strings such as `"700.0"`, `"16.39"` or
//! `"0.200"` (its examples never send decimals as JSON numbers), read back from numbers or text.
//!
//! Arithmetic is plain `f64` with explicit rounding: the emulator only adds and multiplies a few
//! prices, quantities and rates, and every stored result is rounded to the column's scale.

use serde_json::Value;

/// A decimal column's display rule: rounded to `scale` decimals, trailing zeros trimmed down to
/// `min_shown` decimals (the service shows `"700.0"` for prices and `"0.200"` for VAT rates).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub(crate) scale: usize,
    pub(crate) min_shown: usize,
}

/// Prices and totals: `decimal(15,3)`, shown like `"700.0"` or `"1458.27"`.
pub(crate) const MONEY: Format = Format {
    scale: 3,
    min_shown: 1,
};

/// VAT rates: `decimal(5,3)`, always three decimals (`"0.200"`, `"0.055"`).
pub(crate) const RATE: Format = Format {
    scale: 3,
    min_shown: 3,
};

/// Quantities: `decimal(12,4)`, shown like `"1.0"` or `"2.5"`.
pub(crate) const QUANTITY: Format = Format {
    scale: 4,
    min_shown: 1,
};

/// Reads a decimal sent as a JSON number or as text; French-style decimal commas (`"16,39"`,
/// as in the reference's purchase example) are accepted.
pub(crate) fn parse(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let text = text.trim().replace(',', ".");
            // Rust also parses "inf" and "NaN"; only digits, a sign and a point are decimals.
            let plain = !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
            if plain { text.parse().ok() } else { None }
        }
        _ => None,
    };
    number.filter(|number| number.is_finite())
}

/// The stored value of a decimal field, 0 when unset or unreadable.
pub(crate) fn of(value: &Value) -> f64 {
    parse(value).unwrap_or(0.0)
}

/// Rounds half away from zero to `places` decimals. The tiny nudge keeps values such as 1.005,
/// stored in binary just below the half, rounding the way a decimal column would.
pub(crate) fn round(number: f64, places: usize) -> f64 {
    let factor = 10_f64.powi(i32::try_from(places).unwrap_or(6));
    let scaled = number * factor;
    let nudged = scaled + scaled.signum() * 1e-7;
    let rounded = nudged.round() / factor;
    // No "-0.0" on documents.
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Rounds to cents, as document totals are.
pub(crate) fn cents(number: f64) -> f64 {
    round(number, 2)
}

/// Writes `number` with the given display rule.
pub(crate) fn format(number: f64, rule: Format) -> String {
    let fixed = format!("{:.*}", rule.scale, round(number, rule.scale));
    let (whole, decimals) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut decimals = decimals.trim_end_matches('0').to_owned();
    while decimals.len() < rule.min_shown {
        decimals.push('0');
    }
    if decimals.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{decimals}")
    }
}

/// A money amount as a stored JSON value.
pub(crate) fn money(number: f64) -> Value {
    Value::String(format(number, MONEY))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{MONEY, QUANTITY, RATE, cents, format, parse};

    #[test]
    fn reads_numbers_and_text() {
        assert_eq!(parse(&json!(200)), Some(200.0));
        assert_eq!(parse(&json!("16,39")), Some(16.39));
        assert_eq!(parse(&json!(" 0.200 ")), Some(0.2));
        assert_eq!(parse(&json!("NaN")), None);
        assert_eq!(parse(&json!("12 EUR")), None);
        assert_eq!(parse(&json!(true)), None);
    }

    #[test]
    fn writes_like_the_service() {
        assert_eq!(format(700.0, MONEY), "700.0");
        assert_eq!(format(1458.27, MONEY), "1458.27");
        assert_eq!(format(-837.2, MONEY), "-837.2");
        assert_eq!(format(0.2, RATE), "0.200");
        assert_eq!(format(0.055, RATE), "0.055");
        assert_eq!(format(2.5, QUANTITY), "2.5");
        assert_eq!(format(-0.0001, MONEY), "0.0");
        assert_eq!(cents(1.005), 1.01);
        assert_eq!(cents(0.1 + 0.2), 0.3);
    }
}
