//! JSON for the answers: objects built by moving their values in, and text written so that
//! its many small pieces stay inside the component.
//!
//! `json!` serialises each value it is given, so wrapping a record or a page in an answer
//! with it copies the record value by value; [`object`] moves them instead.
//!
//! The serialiser writes a value token by token: a key, a quote, a comma, each run of a
//! string between two escapes. Written into a `String` through `Display`, every piece is a
//! `memory.copy`, which wasmtime runs as a call out to the host's `memcpy`: for pieces of a
//! few bytes that call costs far more than the copy. In a profile of the host serving
//! `get_customer` (perf, 1 worker), `memcpy` took 13.5% of the process's time, nearly all of it
//! starting copies of a few bytes from this serialisation; 5% once short pieces are appended
//! byte by byte here, as plain WebAssembly, and only long ones copied as a block.

use std::io;

use serde::Serialize;
use serde_json::{Map, Value};

/// Pieces up to this length are appended byte by byte.
const SHORT_PIECE: usize = 32;

/// An object holding `fields`, their values moved in.
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(Map::from_iter(
        fields.map(|(name, value)| (name.to_string(), value)),
    ))
}

/// The compact JSON text of `value`.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = Text(Vec::with_capacity(1024));
    // Writing into memory cannot fail, and serialising a JSON value or a derived
    // `Serialize` cannot either.
    serde_json::to_writer(&mut text, value).expect("JSON serialisation into memory");
    String::from_utf8(text.0).expect("serde_json writes UTF-8")
}

struct Text(Vec<u8>);

impl io::Write for Text {
    fn write(&mut self, piece: &[u8]) -> io::Result<usize> {
        if piece.len() <= SHORT_PIECE {
            for &byte in piece {
                self.0.push(byte);
            }
        } else {
            self.0.extend_from_slice(piece);
        }
        Ok(piece.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn the_text_is_what_serde_json_writes() {
        let long = "x".repeat(100);
        let value = json!({
            "quotes": "a \"quoted\" word\n\ttab",
            "long": long,
            "unicode": "règlement € 😀",
            "nested": [1, 2.5, null, true, { "k": "v" }],
        });
        assert_eq!(to_text(&value), value.to_string());
    }

    /// Strings as a hostile API record might hold them: quotes, backslashes, control
    /// characters, non-ASCII, runs on either side of the short-piece length.
    fn hostile_string() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[\"\\\\\u{0}-\u{1f}a-zé€😀]{0,80}",
            (0..3 * SHORT_PIECE).prop_map(|length| "y".repeat(length)),
        ]
    }

    fn hostile_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            hostile_string().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::btree_map(hostile_string(), inner, 0..6)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_written_exactly_as_serde_json_writes_it(value in hostile_value()) {
            let text = to_text(&value);
            prop_assert_eq!(&text, &value.to_string());
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, value);
        }
    }
}
