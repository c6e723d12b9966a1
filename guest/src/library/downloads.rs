//! The downloaded files as resources: the `file://` URIs the tools return (built from the
//! folder's real path on the host) are listed and read back from the sandbox's
//! `/downloads`. A URI is decoded first and checked after, so that no spelling (`..`,
//! percent-escapes, another absolute path) reaches anything outside the folder; the
//! sandbox would refuse anyway, but the refusal here says why.

use std::fs;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Value, json};

use super::resources::CHANGING_TTL_MS;
use crate::api::percent_decode;
use crate::mcp::{CacheScope, Cached, LibraryError};
use crate::tools::files::{
    SANDBOX_DIR, Unfit, file_uri, mime_type, plain_relative_path, regular_file,
};

/// How many files `resources/list` shows; a folder of years of downloads would otherwise
/// make every listing huge.
const MAX_LISTED: usize = 100;
/// Files are read whole into memory and sent base64-encoded; this keeps an answer well
/// inside the sandbox's memory cap.
const MAX_READ_BYTES: u64 = 20 << 20;

pub struct Downloads {
    /// The folder's path on the host, as the tools' URIs spell it (decoded, `/`-separated,
    /// with a leading `/`, e.g. `/C:/Users/me/Downloads` on Windows).
    host_root: String,
}

pub fn is_file_uri(uri: &str) -> bool {
    uri.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("file://"))
}

impl Downloads {
    pub fn new(host_dir: String) -> Self {
        let uri = file_uri(host_dir.trim_end_matches(['/', '\\']));
        let host_root = percent_decode(&uri["file://".len()..])
            .expect("file_uri escapes every byte it does not keep");
        Self { host_root }
    }

    /// The regular files at the top of the folder, by name; hidden ones (such as the
    /// `.part` files of a download in progress) and links are left out.
    pub fn list(&self) -> Vec<Value> {
        let Ok(entries) = fs::read_dir(SANDBOX_DIR) else {
            return Vec::new();
        };
        let mut files: Vec<(String, u64)> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let size = entry.metadata().ok()?.len();
                (!name.starts_with('.')).then_some((name, size))
            })
            .collect();
        files.sort();
        files.truncate(MAX_LISTED);
        files
            .into_iter()
            .map(|(name, size)| {
                json!({
                    "uri": self.uri_of(&name),
                    "name": name,
                    "description": "A file this server downloaded into your downloads folder",
                    "mimeType": mime_type(None, &name),
                    "size": size,
                })
            })
            .collect()
    }

    /// The bytes of a downloaded file: text for text and JSON, base64 otherwise.
    pub fn read(&self, uri: &str) -> Result<Cached<Vec<Value>>, LibraryError> {
        let relative = self.relative_path(uri)?;
        let inside = format!("{SANDBOX_DIR}/{relative}");
        let shown = format!("{}/{relative}", self.host_root);
        let not_found = |reason: String| LibraryError::ResourceNotFound {
            uri: uri.to_string(),
            reason,
        };
        let metadata = regular_file(&relative).map_err(|unfit| match unfit {
            Unfit::Missing => not_found(format!("{shown} does not exist in the downloads folder")),
            Unfit::NotRegular(kind) => LibraryError::InvalidParams(format!(
                "{shown} is {kind}, not a regular file (links, folders and special files are \
                 not served), and nothing was read"
            )),
            Unfit::Unreadable(error) => {
                LibraryError::Failed(format!("cannot read {shown}: {error}"))
            }
        })?;
        if metadata.len() > MAX_READ_BYTES {
            return Err(LibraryError::Failed(format!(
                "{shown} is {} bytes; files larger than {MAX_READ_BYTES} bytes are not served \
                 through MCP, open it from the folder instead",
                metadata.len()
            )));
        }
        let bytes = fs::read(&inside)
            .map_err(|error| LibraryError::Failed(format!("cannot read {shown}: {error}")))?;
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        let mime = mime_type(None, name);
        let mut content = json!({ "uri": uri, "mimeType": mime });
        match String::from_utf8(bytes) {
            Ok(text) if is_textual(&mime) => content["text"] = json!(text),
            Ok(text) => content["blob"] = json!(BASE64_STANDARD.encode(text)),
            Err(error) => content["blob"] = json!(BASE64_STANDARD.encode(error.into_bytes())),
        }
        Ok(Cached {
            value: vec![content],
            ttl_ms: CHANGING_TTL_MS,
            scope: CacheScope::Private,
        })
    }

    fn uri_of(&self, name: &str) -> String {
        file_uri(&format!("{}/{name}", self.host_root))
    }

    /// The path below the folder that `uri` names, refused unless it is plainly inside.
    fn relative_path(&self, uri: &str) -> Result<String, LibraryError> {
        let outside = |why: &str| {
            LibraryError::InvalidParams(format!(
                "{uri} {why}; this server reads only files inside its downloads folder \
                 ({}), and nothing was read",
                self.host_root
            ))
        };
        // `file://localhost/path` is the same as `file:///path`.
        let rest = &uri["file://".len()..];
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        if rest.contains(['?', '#']) {
            return Err(outside("carries a query or fragment"));
        }
        let path = percent_decode(rest).ok_or_else(|| outside("is not a valid file URI"))?;
        let relative = path
            .strip_prefix(&self.host_root)
            .and_then(|tail| tail.strip_prefix('/'))
            .ok_or_else(|| outside("is outside the downloads folder"))?;
        if let Err(reason) = plain_relative_path(relative) {
            return Err(outside(&format!(
                "does not name a file plainly inside the downloads folder: it {reason}"
            )));
        }
        Ok(relative.to_string())
    }
}

/// Whether contents of this type are sent as text rather than base64.
fn is_textual(mime: &str) -> bool {
    mime.starts_with("text/") || mime == "application/json" || mime == "application/xml"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Downloads {
        Downloads::new("/home/me/Facturation PRO".into())
    }

    #[test]
    fn a_uri_the_tools_return_maps_into_the_folder() {
        let uri = file_uri("/home/me/Facturation PRO/facture é.pdf");
        assert_eq!(folder().relative_path(&uri).unwrap(), "facture é.pdf");
        let nested = "file:///home/me/Facturation%20PRO/receipts/taxi.pdf";
        assert_eq!(folder().relative_path(nested).unwrap(), "receipts/taxi.pdf");
        let with_host = "file://localhost/home/me/Facturation%20PRO/a.pdf";
        assert_eq!(folder().relative_path(with_host).unwrap(), "a.pdf");
    }

    #[test]
    fn uris_outside_the_folder_are_refused_with_the_reason() {
        for (uri, reason) in [
            ("file:///etc/passwd", "outside the downloads folder"),
            (
                "file:///home/me/Facturation%20PROX/a.pdf",
                "outside the downloads folder",
            ),
            (
                "file:///home/me/Facturation%20PRO",
                "outside the downloads folder",
            ),
            (
                "file:///home/me/Facturation%20PRO/../secret",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/%2e%2e/secret",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/a/%2E%2E%2F..%2Fsecret",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO//etc/passwd",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/..%5Csecret",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/.a.pdf.part",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/a%00.pdf",
                "plainly inside",
            ),
            (
                "file:///home/me/Facturation%20PRO/a%zz.pdf",
                "not a valid file URI",
            ),
            (
                "file:///home/me/Facturation%20PRO/a.pdf?x=1",
                "query or fragment",
            ),
            (
                "file://otherhost/home/me/Facturation%20PRO/a.pdf",
                "outside the downloads folder",
            ),
        ] {
            match folder().relative_path(uri) {
                Err(LibraryError::InvalidParams(message)) => assert!(
                    message.contains(reason) && message.contains("nothing was read"),
                    "{uri}: {message}"
                ),
                other => panic!("{uri} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn windows_folders_are_matched_as_the_tools_spell_them() {
        let folder = Downloads::new(r"C:\Users\me\Downloads\".into());
        let uri = file_uri(r"C:\Users\me\Downloads\facture.pdf");
        assert_eq!(folder.relative_path(&uri).unwrap(), "facture.pdf");
    }

    #[test]
    fn text_and_json_are_sent_as_text() {
        assert!(is_textual("text/csv") && is_textual("application/json"));
        assert!(!is_textual("application/pdf"));
    }
}
