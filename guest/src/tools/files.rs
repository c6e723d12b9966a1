//! Files in and out: documents downloaded from the API are written into the downloads
//! folder (the sandbox's `/downloads`) atomically and never over an existing file unless
//! asked; uploads are read from that folder or taken inline and sent as multipart forms.

use std::fs;
use std::io::{ErrorKind, Read as _, Write};
use std::path::Path;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde_json::{Map, Value, json};

use crate::api::RequestBody;

/// Where the downloads folder is mounted inside the sandbox.
pub const SANDBOX_DIR: &str = "/downloads";

/// Uploads are held in memory whole; this keeps them well inside the sandbox's memory cap.
const MAX_UPLOAD_BYTES: usize = 20 << 20;

/// A file saved into the downloads folder.
pub struct Saved {
    pub name: String,
    /// The path as the user sees it on their machine.
    pub host_path: String,
}

/// Makes a server- or template-given name safe as a single file name: no directories, no
/// `..`, no control or reserved characters, not hidden, not empty.
pub fn safe_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible(c) || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Dots and spaces in any mix would otherwise leave a hidden name (`. .env`) once the
    // system drops the spaces, and Windows drops trailing ones.
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let cleaned: String = cleaned.chars().take(150).collect();
    if cleaned.is_empty() {
        "download".to_string()
    } else {
        cleaned
    }
}

/// Characters that change how a name is shown without being seen: zero-width ones and the
/// bidirectional overrides that make `facture\u{202e}fdp.exe` read as `factureexe.pdf`.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Writes `bytes` as `name` in the downloads folder: first to a temporary file, then
/// linked or renamed into place, so a reader never sees half a file and an existing file
/// is never replaced unless `overwrite` is true.
pub fn save(name: &str, bytes: &[u8], overwrite: bool) -> Result<Saved, String> {
    let name = safe_file_name(name);
    let target = Path::new(SANDBOX_DIR).join(&name);
    let saved = Saved {
        host_path: host_path(&name),
        name: name.clone(),
    };
    if !overwrite && target.exists() {
        return Err(format!(
            "{} already exists; pass `overwrite: true` to replace it, or `inline: true` to get the bytes",
            saved.host_path
        ));
    }
    let temporary = Path::new(SANDBOX_DIR).join(temporary_name(&name));
    // `create_new`: the name is this operation's own, and were it somehow taken, the other
    // file is left alone rather than truncated.
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary);
    let written = match created {
        Ok(mut file) => file.write_all(bytes).and_then(|()| file.sync_all()),
        Err(err) => return Err(format!("could not write into the downloads folder: {err}")),
    };
    if let Err(err) = written {
        let _ = fs::remove_file(&temporary);
        return Err(format!("could not write into the downloads folder: {err}"));
    }
    let placed = if overwrite {
        fs::rename(&temporary, &target)
    } else {
        // A hard link fails if the name was taken meanwhile, where a rename would replace it.
        fs::hard_link(&temporary, &target).and_then(|()| fs::remove_file(&temporary))
    };
    if let Err(err) = placed {
        let _ = fs::remove_file(&temporary);
        return Err(match err.kind() {
            ErrorKind::AlreadyExists => format!(
                "{} already exists; pass `overwrite: true` to replace it",
                saved.host_path
            ),
            _ => format!("could not save {}: {err}", saved.host_path),
        });
    }
    Ok(saved)
}

/// A hidden name for the temporary file of one download of `name`, unique to this
/// operation: two downloads of the same file at once (two instances, say) each write their
/// own and never truncate or rename the other's. It keeps the start of the name so that a
/// file left behind by a crash says what it was.
fn temporary_name(name: &str) -> String {
    let mut random = [0u8; 8];
    // Without randomness (never seen under WASI), the clock still tells operations apart;
    // `create_new` refuses a clash either way.
    if getrandom::fill(&mut random).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        random = (nanos as u64).to_le_bytes();
    }
    let start: String = name.chars().take(40).collect();
    format!(".{start}.{:016x}.part", u64::from_le_bytes(random))
}

/// The host tells us where the folder really is, so results show a path the user can open.
fn host_path(name: &str) -> String {
    match std::env::var("FACTURATION_DOWNLOADS_DIR") {
        Ok(dir) if !dir.is_empty() => Path::new(&dir).join(name).display().to_string(),
        _ => format!("{SANDBOX_DIR}/{name}"),
    }
}

/// A `file://` URI for a local path, with the characters URIs cannot carry escaped.
pub fn file_uri(path: &str) -> String {
    let mut uri = String::from("file://");
    if !path.starts_with('/') {
        uri.push('/');
    }
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                uri.push(byte as char)
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri
}

/// The MIME type the server gave, or one guessed from the name.
pub fn mime_type(content_type: Option<&str>, name: &str) -> String {
    if let Some(given) = content_type.map(|value| value.split(';').next().unwrap_or("").trim())
        && !given.is_empty()
    {
        return given.to_string();
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "json" => "application/json",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// The file an upload tool sends: its name and bytes, from the downloads folder or inline.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the upload's source from the tool's local arguments (`path` or `content_base64`);
/// `filename` is the name the caller asked the API to store it under, if any.
pub fn upload_source(local: &Map<String, Value>, filename: Option<&str>) -> Result<Upload, String> {
    let upload = match (local.get("path").and_then(Value::as_str), local.get("content_base64").and_then(Value::as_str)) {
        (Some(_), Some(_)) => return Err("give either `path` or `content_base64`, not both".into()),
        (None, None) => return Err("give the file: `path` (inside the downloads folder) or `content_base64` with `filename`".into()),
        (Some(relative), None) => {
            let bytes = read_for_upload(relative)?;
            let name = filename.map_or_else(|| safe_file_name(relative), safe_file_name);
            Upload { name, bytes }
        }
        (None, Some(encoded)) => {
            let name = filename.ok_or("`content_base64` needs `filename`, the name to store the file under")?;
            let bytes = BASE64_STANDARD
                .decode(encoded)
                .map_err(|err| format!("`content_base64` is not valid base64: {err}"))?;
            Upload { name: safe_file_name(name), bytes }
        }
    };
    if upload.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large(upload.bytes.len() as u64));
    }
    Ok(upload)
}

/// The bytes of the regular file `relative` names inside the downloads folder. The sandbox
/// already stops any escape; refusing here says what was refused and why.
fn read_for_upload(relative: &str) -> Result<Vec<u8>, String> {
    if let Err(reason) = plain_relative_path(relative) {
        return Err(format!(
            "`path` {relative:?} was refused: it {reason}. Give a path relative to the downloads \
             folder naming a file inside it (no hidden names, `.` or `..`, backslashes or \
             absolute paths)"
        ));
    }
    let shown = host_path(relative);
    let metadata = regular_file(relative).map_err(|unfit| match unfit {
        Unfit::Missing => format!("`path` {shown} does not exist in the downloads folder"),
        Unfit::NotRegular(kind) => format!(
            "`path` {shown} is {kind}, not a regular file; only regular files inside the \
             downloads folder can be uploaded"
        ),
        Unfit::Unreadable(err) => format!("`path` {shown} cannot be read: {err}"),
    })?;
    if metadata.len() > MAX_UPLOAD_BYTES as u64 {
        return Err(too_large(metadata.len()));
    }
    let inside = format!("{SANDBOX_DIR}/{relative}");
    // Read at most one byte past the limit, in case the file grew since it was looked at.
    let mut bytes = Vec::new();
    fs::File::open(&inside)
        .and_then(|file| {
            // Opened, it is checked again: it may have been swapped for something else
            // between the look and the open.
            if file.metadata()?.is_file() {
                Ok(file)
            } else {
                Err(std::io::Error::other("it is no longer a regular file"))
            }
        })
        .and_then(|file| {
            file.take(MAX_UPLOAD_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|err| format!("`path` {shown} cannot be read: {err}"))?;
    Ok(bytes)
}

fn too_large(size: u64) -> String {
    format!("the file is {size} bytes; uploads are limited to {MAX_UPLOAD_BYTES} bytes")
}

/// Whether `relative` plainly names something inside the downloads folder, checked on its
/// text before anything is opened; shared by uploads and `resources/read`. `Err` says, as
/// "it ...", what is wrong. Nothing is normalised away: a path that needs normalising
/// (`a/./b`, `a//b`, `a/../b`) is refused, so the checked spelling is the one opened.
pub fn plain_relative_path(relative: &str) -> Result<(), &'static str> {
    if relative.is_empty() {
        return Err("is empty");
    }
    if relative.starts_with('/') {
        return Err("is absolute");
    }
    if relative.contains('\\') {
        return Err("holds a backslash");
    }
    if relative.chars().any(char::is_control) {
        return Err("holds a control character");
    }
    for segment in relative.split('/') {
        match segment {
            "" => return Err("has an empty segment (`//` or a trailing `/`)"),
            "." | ".." => return Err("has a `.` or `..` segment"),
            hidden if hidden.starts_with('.') => {
                return Err("has a hidden segment (a name starting with `.`)");
            }
            _ => {}
        }
    }
    Ok(())
}

/// Why a path inside the downloads folder is not a file this server reads.
pub enum Unfit {
    Missing,
    /// What it is instead: a folder, a link, or a FIFO, device or socket.
    NotRegular(&'static str),
    Unreadable(std::io::Error),
}

/// The metadata of the regular file at `relative` (already checked by
/// [`plain_relative_path`]) inside the downloads folder, as the sandbox shows it: every
/// folder on the way must be a real folder and the file a regular file, links never being
/// followed (not even to a file inside the folder), so that what is checked is what is read.
pub fn regular_file(relative: &str) -> Result<fs::Metadata, Unfit> {
    let mut path = String::from(SANDBOX_DIR);
    let mut segments = relative.split('/').peekable();
    while let Some(segment) = segments.next() {
        path.push('/');
        path.push_str(segment);
        let metadata = fs::symlink_metadata(&path).map_err(|err| match err.kind() {
            ErrorKind::NotFound => Unfit::Missing,
            _ => Unfit::Unreadable(err),
        })?;
        let kind = metadata.file_type();
        let last = segments.peek().is_none();
        if kind.is_symlink() {
            return Err(Unfit::NotRegular("a link"));
        }
        if !last && !kind.is_dir() {
            return Err(Unfit::Missing);
        }
        if last {
            return if kind.is_file() {
                Ok(metadata)
            } else if kind.is_dir() {
                Err(Unfit::NotRegular("a folder"))
            } else {
                Err(Unfit::NotRegular("a FIFO, device or socket"))
            };
        }
    }
    Err(Unfit::Missing)
}

/// The `multipart/form-data` body with the file as `upload_file`.
pub fn multipart(upload: &Upload) -> RequestBody {
    let boundary = boundary_for(&upload.bytes);
    let name = upload.name.replace(['"', '\r', '\n'], "_");
    let mut bytes = Vec::with_capacity(upload.bytes.len() + 256);
    bytes.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"upload_file\"; filename=\"{name}\"\r\nContent-Type: {}\r\n\r\n",
            mime_type(None, &upload.name)
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&upload.bytes);
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    RequestBody::Form {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        bytes,
    }
}

/// A boundary that does not occur in the content.
fn boundary_for(content: &[u8]) -> String {
    (0u64..)
        .map(|attempt| {
            format!(
                "facturation-pro-mcp-{:016x}",
                content.len() as u64 ^ attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            )
        })
        .find(|candidate| {
            !content
                .windows(candidate.len())
                .any(|window| window == candidate.as_bytes())
        })
        .expect("some boundary is absent from any finite content")
}

/// The embedded-resource form of a file, for `inline: true`.
pub fn embedded_resource(uri: &str, mime: &str, bytes: &[u8]) -> Value {
    json!({ "type": "resource", "resource": { "uri": uri, "mimeType": mime, "blob": BASE64_STANDARD.encode(bytes) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_name_a_directory_or_hide() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("a\\b\\facture 1.pdf"), "facture 1.pdf");
        assert_eq!(safe_file_name("..hidden"), "hidden");
        assert_eq!(safe_file_name("bad\u{7}name?.pdf"), "bad_name_.pdf");
        assert_eq!(safe_file_name(".."), "download");
        assert_eq!(safe_file_name(". . .profile"), "profile");
        assert_eq!(safe_file_name("facture. . "), "facture");
        assert_eq!(safe_file_name("facture\u{202e}fdp.exe"), "facture_fdp.exe");
    }

    #[test]
    fn only_plain_paths_inside_the_folder_pass() {
        for (bad, reason) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../x.pdf", "`..`"),
            ("a/../../x", "`..`"),
            ("./x.pdf", "`.`"),
            ("a/./x.pdf", "`.`"),
            ("a//x.pdf", "empty segment"),
            ("a/", "empty segment"),
            (".env", "hidden"),
            (".config/x", "hidden"),
            ("sub/.git/config", "hidden"),
            ("a/.hidden/x", "hidden"),
            ("..\\x", "backslash"),
            ("a\\b.pdf", "backslash"),
            ("a\0.pdf", "control"),
            ("a\n.pdf", "control"),
        ] {
            match plain_relative_path(bad) {
                Err(given) => assert!(given.contains(reason), "{bad:?}: {given}"),
                Ok(()) => panic!("{bad:?} passed"),
            }
        }
        for good in [
            "taxi.pdf",
            "receipts/taxi.pdf",
            "a/b/facture é 1.pdf",
            "x.y..z",
        ] {
            assert_eq!(plain_relative_path(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn temporary_names_are_hidden_and_unique_per_operation() {
        let first = temporary_name("facture 42.pdf");
        let second = temporary_name("facture 42.pdf");
        assert_ne!(first, second);
        assert!(
            first.starts_with(".facture 42.pdf.") && first.ends_with(".part"),
            "{first}"
        );
        let long = temporary_name(&"é".repeat(150));
        assert!(long.len() < 120, "{long}");
    }

    #[test]
    fn the_multipart_body_carries_the_file_as_upload_file() {
        let upload = Upload {
            name: "note.txt".into(),
            bytes: b"hello".to_vec(),
        };
        let RequestBody::Form {
            content_type,
            bytes,
        } = multipart(&upload)
        else {
            panic!("a form")
        };
        let boundary = content_type.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"upload_file\"; filename=\"note.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn uris_escape_what_they_must() {
        assert_eq!(
            file_uri("/home/a b/facture é.pdf"),
            "file:///home/a%20b/facture%20%C3%A9.pdf"
        );
    }
}
