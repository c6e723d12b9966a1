//! JSON text for the answers, written so that its many small pieces stay inside the
//! component.
//!
//! The serialiser writes a value token by token: a key, a quote, a comma, each run of a
//! string between two escapes. Written into a `String` through `Display`, every piece is a
//! `memory.copy`, which wasmtime runs as a call out to the host's `memcpy`: for pieces of a
//! few bytes that call costs far more than the copy. In a profile of the host serving
//! `get_customer` (perf, 1 worker), `memcpy` took 13% of the process's time, nearly all of it
//! starting copies of a few bytes from this serialisation; 5% once short pieces are appended
//! byte by byte here, as plain WebAssembly, and only long ones copied as a block.

use std::io;

use serde::Serialize;

/// Pieces up to this length are appended byte by byte.
const SHORT_PIECE: usize = 32;

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
}
