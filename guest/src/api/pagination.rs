//! The `X-Pagination` header that list routes send: a small JSON object.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub struct Pagination {
    pub current_page: u64,
    pub total_pages: u64,
    pub per_page: u64,
    pub total_entries: u64,
}

impl Pagination {
    pub fn from_header(value: &str) -> Option<Self> {
        serde_json::from_str(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_vendor_header() {
        let header = r#"{"current_page":1,"total_pages":10,"per_page":30,"total_entries":300}"#;
        let pagination = Pagination::from_header(header).unwrap();
        assert_eq!(
            (pagination.total_pages, pagination.total_entries),
            (10, 300)
        );
        assert_eq!(Pagination::from_header("not json"), None);
    }
}
