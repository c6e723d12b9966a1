//! Arguments the tools themselves use (paging, file handling); never sent to the API.

use crate::spec::{Body, Field, FieldType, Output, ToolSpec};

const fn arg(name: &'static str, ty: FieldType, description: &'static str) -> Field {
    Field {
        name,
        ty,
        description,
        writable: true,
    }
}

pub const ALL_PAGES: Field = arg(
    "all_pages",
    FieldType::Boolean,
    "Fetch the following pages too, up to `max_pages`",
);
pub const MAX_PAGES: Field = arg(
    "max_pages",
    FieldType::Integer,
    "With all_pages: the most pages to fetch (default 10, at most 100)",
);
pub const OVERWRITE: Field = arg(
    "overwrite",
    FieldType::Boolean,
    "Replace a file of the same name in the downloads folder",
);
pub const INLINE: Field = arg(
    "inline",
    FieldType::Boolean,
    "Return the file's bytes in the result instead of saving it in the downloads folder",
);
pub const PATH: Field = arg(
    "path",
    FieldType::Text(None),
    "File to upload, relative to the downloads folder (e.g. `receipts/taxi.pdf`)",
);
pub const CONTENT_BASE64: Field = arg(
    "content_base64",
    FieldType::Text(None),
    "File content, base64-encoded, instead of `path`; then `filename` is required",
);

pub const PAGED: &[Field] = &[ALL_PAGES, MAX_PAGES];
pub const DOWNLOAD: &[Field] = &[OVERWRITE, INLINE];
pub const UPLOAD: &[Field] = &[PATH, CONTENT_BASE64];

/// The local arguments a tool takes, from its shape.
pub fn local_fields(spec: &ToolSpec) -> impl Iterator<Item = &'static Field> {
    let paged: &[Field] = if matches!(spec.output, Output::Page { .. }) {
        PAGED
    } else {
        &[]
    };
    let download: &[Field] = if matches!(spec.output, Output::File { .. }) {
        DOWNLOAD
    } else {
        &[]
    };
    let upload: &[Field] = if matches!(spec.body, Body::File) {
        UPLOAD
    } else {
        &[]
    };
    paged.iter().chain(download).chain(upload)
}
