//! HTTP Basic credentials, the way the API key authentication sends them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Decodes an `Authorization` header value of the form `Basic base64(id:key)` into
/// `(id, key)`. The key may itself contain `:`; only the first one separates the two.
pub(crate) fn basic_credentials(header_value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header_value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, key) = decoded.split_once(':')?;
    Some((id.to_owned(), key.to_owned()))
}
