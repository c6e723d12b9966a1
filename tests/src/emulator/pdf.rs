//! A minimal but well-formed PDF writer, so downloads of subscription invoices return bytes
//! that real PDF readers (and a client's content checks) accept.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// One A4 page showing `lines` in Helvetica, one per line. The font uses the Windows Latin
/// encoding, so French accents and the euro sign print; other characters become `?`.
pub(crate) fn text_document(lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 12 Tf\n16 TL\n56 780 Td");
    for line in lines {
        content.push_str(&format!("\n({}) Tj T*", escape(line)));
    }
    content.push_str("\nET");

    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];

    let mut pdf = String::from("%PDF-1.4\n");
    // The cross-reference table needs the byte offset of every object.
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", index + 1));
    }
    let xref_offset = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_offset}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

/// A PDF download: `application/pdf`, shown inline under `filename`.
pub(crate) fn response(document: Vec<u8>, filename: &str) -> Response {
    let disposition = format!("inline; filename=\"{filename}\"");
    (
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        document,
    )
        .into_response()
}

/// Escapes a PDF literal string: parentheses and backslashes are special inside `( )`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '(' | ')' | '\\' => {
                escaped.push('\\');
                escaped.push(character);
            }
            ' '..='~' => escaped.push(character),
            _ => match win_ansi(character) {
                Some(code) => escaped.push_str(&format!("\\{code:03o}")),
                None => escaped.push('?'),
            },
        }
    }
    escaped
}

/// The Windows Latin (WinAnsi) code of a non-ASCII character: Latin-1 letters keep their
/// code, a few common typographic signs live in 0x80-0x9F.
fn win_ansi(character: char) -> Option<u32> {
    match character {
        '\u{a0}'..='\u{ff}' => Some(u32::from(character)),
        '€' => Some(0x80),
        '…' => Some(0x85),
        'Œ' => Some(0x8c),
        '‘' => Some(0x91),
        '’' => Some(0x92),
        '“' => Some(0x93),
        '”' => Some(0x94),
        '–' => Some(0x96),
        '—' => Some(0x97),
        'œ' => Some(0x9c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::text_document;

    #[test]
    fn cross_reference_offsets_point_at_their_objects() {
        let pdf =
            String::from_utf8(text_document(&["Total (EUR): 48.00".to_owned()])).expect("ASCII");
        let startxref: usize = pdf
            .rsplit("startxref\n")
            .next()
            .and_then(|tail| tail.lines().next())
            .and_then(|offset| offset.parse().ok())
            .expect("startxref offset");
        assert!(pdf[startxref..].starts_with("xref\n0 6\n"));
        let entries = pdf[startxref..].lines().skip(3).take(5);
        for (number, entry) in (1..).zip(entries) {
            let offset: usize = entry[..10].parse().expect("offset");
            assert!(
                pdf[offset..].starts_with(&format!("{number} 0 obj\n")),
                "object {number}"
            );
        }
        assert!(pdf.contains("(Total \\(EUR\\): 48.00) Tj"));
        let accented =
            String::from_utf8(text_document(&["Échéance 5 €".to_owned()])).expect("ASCII");
        assert!(
            accented.contains("(\\311ch\\351ance 5 \\200) Tj"),
            "{accented}"
        );
        let stream_start = pdf.find("stream\n").expect("stream") + "stream\n".len();
        let stream_end = pdf.find("\nendstream").expect("endstream");
        assert!(pdf.contains(&format!("/Length {}", stream_end - stream_start)));
    }
}
