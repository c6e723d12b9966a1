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

pub const ALL_PAGES: Field = arg("all_pages", FieldType::Boolean, "Also fetch the next pages");
/// Bounds a listing that follows its pages: 100 pages of 50 are 5,000 records.
pub const MAX_PAGES: Field = arg("max_pages", FieldType::Range(1, 100), "Default 10");
pub const OVERWRITE: Field = arg(
    "overwrite",
    FieldType::Boolean,
    "Replace a file of the same name",
);
pub const INLINE: Field = arg(
    "inline",
    FieldType::Boolean,
    "Return the bytes instead of saving them",
);
pub const PATH: Field = arg(
    "path",
    FieldType::Text(None),
    "Relative to the downloads folder, e.g. receipts/taxi.pdf",
);
pub const CONTENT_BASE64: Field = arg(
    "content_base64",
    FieldType::Base64,
    "Instead of path; then filename is required",
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
