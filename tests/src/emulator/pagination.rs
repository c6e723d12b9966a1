//! Paging of list endpoints: fixed pages of 50 and the `X-Pagination` header describing them.

use serde::Serialize;

use super::error::ApiError;
use super::query::QueryParams;

const PER_PAGE: usize = 50;

/// The JSON carried by `X-Pagination`. A struct rather than a map so the members keep the
/// order the vendor documents.
#[derive(Serialize)]
struct PageInfo {
    current_page: usize,
    total_pages: usize,
    per_page: usize,
    total_entries: usize,
}

/// One page of a list, plus the header value describing it.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) header: String,
}

/// The `page` parameter: 1 when absent, otherwise a positive integer.
pub(crate) fn requested_page(params: &QueryParams) -> Result<usize, ApiError> {
    match params.get("page") {
        None => Ok(1),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|&page| page >= 1)
            .ok_or_else(|| ApiError::invalid_field("page", "must be a positive integer")),
    }
}

/// Cuts page `page` (1-based) out of `all`. A page past the end is empty but still valid, and
/// an empty list still reports one page.
pub(crate) fn paginate<T>(all: Vec<T>, page: usize) -> Page<T> {
    let total_entries = all.len();
    let info = PageInfo {
        current_page: page,
        total_pages: total_entries.div_ceil(PER_PAGE).max(1),
        per_page: PER_PAGE,
        total_entries,
    };
    let skip = (page - 1).saturating_mul(PER_PAGE);
    Page {
        items: all.into_iter().skip(skip).take(PER_PAGE).collect(),
        header: serde_json::to_string(&info).expect("page info serializes"),
    }
}
