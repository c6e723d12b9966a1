//! Customer endpoints under `/firms/{firm}/customers`.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderName, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::body::json_object;
use super::clock;
use super::customer_fields::{new_record, public_view, updated_record};
use super::error::ApiError;
use super::pagination::{paginate, requested_page};
use super::query::QueryParams;
use super::server::App;
use super::state::{StoredCustomer, lock};

const X_PAGINATION: HeaderName = HeaderName::from_static("x-pagination");

type Reply = Result<Response, ApiError>;

pub(crate) fn routes() -> Router<Arc<App>> {
    // The router cannot match a parameter followed by `.json` within one path segment, so
    // `{id}` in the second route captures e.g. `42.json` and the handlers strip the suffix.
    Router::new()
        .route("/firms/{firm}/customers.json", get(list).post(create))
        .route(
            "/firms/{firm}/customers/{id}",
            get(show).patch(update).delete(destroy),
        )
        .route("/firms/{firm}/customers/{id}/archive.json", post(archive))
        .route(
            "/firms/{firm}/customers/{id}/unarchive.json",
            post(unarchive),
        )
        .route("/firms/{firm}/customers/{id}/quotes.json", get(quotes))
        .route("/firms/{firm}/customers/{id}/invoices.json", get(invoices))
}

/// The id in a `{id}.json` segment.
fn id_from_file(segment: &str) -> Result<u64, ApiError> {
    segment
        .strip_suffix(".json")
        .and_then(|id| id.parse().ok())
        .ok_or_else(ApiError::record_not_found)
}

/// The id in a bare `{id}` segment.
fn id_from_segment(segment: &str) -> Result<u64, ApiError> {
    segment.parse().map_err(|_| ApiError::record_not_found())
}

/// Whether the caller asked for bank details with `with_sepa=1`.
fn wants_sepa(uri: &Uri) -> bool {
    QueryParams::new(uri.query()).get("with_sepa") == Some("1")
}

async fn list(State(app): State<Arc<App>>, Path(firm): Path<String>, uri: Uri) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let params = QueryParams::new(uri.query());
    let listing = Listing::parse(&params)?;
    let mut found: Vec<&StoredCustomer> = firm
        .customers
        .values()
        .filter(|customer| listing.includes(customer))
        .collect();
    found.sort_by(|a, b| listing.compare(a, b));
    let page = paginate(found, listing.page);
    let body: Vec<Value> = page
        .items
        .iter()
        .map(|customer| public_view(&customer.fields, listing.with_sepa))
        .collect();
    Ok(([(X_PAGINATION, page.header)], Json(body)).into_response())
}

async fn create(
    State(app): State<Arc<App>>,
    Path(firm): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let mut store = lock(&app.store);
    let firm_id = store.firm(&firm)?.id;
    let input = json_object(&headers, &body)?;
    let record = new_record(&input).map_err(ApiError::invalid)?;
    let id = store.allocate_customer_id();
    let firm = store.firm_mut(&firm)?;
    firm.insert_customer(id, record, false);
    let view = public_view(&firm.customer(id)?.fields, wants_sepa(&uri));
    let location = format!("/firms/{firm_id}/customers/{id}.json");
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(view)).into_response())
}

async fn show(
    State(app): State<Arc<App>>,
    Path((firm, id)): Path<(String, String)>,
    uri: Uri,
) -> Reply {
    let store = lock(&app.store);
    let customer = store.firm(&firm)?.customer(id_from_file(&id)?)?;
    Ok(Json(public_view(&customer.fields, wants_sepa(&uri))).into_response())
}

async fn update(
    State(app): State<Arc<App>>,
    Path((firm, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let mut store = lock(&app.store);
    let customer = store.firm_mut(&firm)?.customer_mut(id_from_file(&id)?)?;
    let changes = json_object(&headers, &body)?;
    customer.fields = updated_record(&customer.fields, &changes).map_err(ApiError::invalid)?;
    // The reference documents a bare 200 for updates.
    Ok(StatusCode::OK.into_response())
}

async fn destroy(State(app): State<Arc<App>>, Path((firm, id)): Path<(String, String)>) -> Reply {
    let mut store = lock(&app.store);
    let firm = store.firm_mut(&firm)?;
    let id = id_from_file(&id)?;
    // Invoices must keep their customer, so only never-invoiced customers can go.
    if !firm.customer(id)?.fields["last_invoiced_on"].is_null() {
        return Err(ApiError::invalid_field(
            "base",
            "This customer has been invoiced and cannot be deleted; archive it instead",
        ));
    }
    firm.customers.remove(&id);
    Ok(StatusCode::OK.into_response())
}

async fn archive(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    set_archived(&app, &path, true)
}

async fn unarchive(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    set_archived(&app, &path, false)
}

fn set_archived(app: &App, (firm, id): &(String, String), archived: bool) -> Reply {
    let mut store = lock(&app.store);
    let customer = store.firm_mut(firm)?.customer_mut(id_from_segment(id)?)?;
    if customer.archived != archived {
        customer.archived = archived;
        customer.fields.insert(
            "updated_at".to_owned(),
            Value::String(clock::now_timestamp()),
        );
    }
    Ok(StatusCode::OK.into_response())
}

async fn quotes(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    redirect_to_list(&app, &path, "quotes")
}

async fn invoices(State(app): State<Arc<App>>, Path(path): Path<(String, String)>) -> Reply {
    redirect_to_list(&app, &path, "invoices")
}

/// A customer's quotes and invoices are shortcuts: the service redirects to the firm-wide
/// list filtered on the customer.
fn redirect_to_list(app: &App, (firm, id): &(String, String), list: &str) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(firm)?;
    let id = id_from_segment(id)?;
    firm.customer(id)?;
    let location = format!("/firms/{}/{list}.json?customer_id={id}", firm.id);
    Ok((StatusCode::FOUND, [(LOCATION, location)]).into_response())
}

/// Which customers a list shows (`mode`).
#[derive(Clone, Copy)]
enum Mode {
    Active,
    All,
    Company,
    Individual,
    Archived,
}

/// What a list request asks for: filters, order and page.
struct Listing<'a> {
    params: &'a QueryParams,
    mode: Mode,
    /// The record field to sort on.
    sort_field: &'static str,
    descending: bool,
    /// `Some(None)` selects customers without a category (`category_id=0`).
    category: Option<Option<i64>>,
    api_id: Option<i64>,
    page: usize,
    with_sepa: bool,
}

/// Partial, case-insensitive filters: query parameter and the field it searches.
const TEXT_FILTERS: &[(&str, &str)] = &[
    ("api_custom", "api_custom"),
    ("company", "company_name"),
    ("last_name", "last_name"),
    ("email", "email"),
    ("account_code", "account_code"),
    ("accounting_entry", "accounting_entry"),
];

fn integer_param(params: &QueryParams, name: &str) -> Result<Option<i64>, ApiError> {
    params
        .get(name)
        .map(|raw| {
            raw.parse()
                .map_err(|_| ApiError::invalid_field(name, "must be an integer"))
        })
        .transpose()
}

/// An enumerated parameter: absent gives `default`, an unknown value is refused with 422 so
/// that a typo does not silently change what is listed.
fn choice<T: Copy>(
    params: &QueryParams,
    name: &str,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ApiError> {
    let Some(raw) = params.get(name) else {
        return Ok(default);
    };
    choices
        .iter()
        .find(|(value, _)| *value == raw)
        .map(|(_, choice)| *choice)
        .ok_or_else(|| {
            let allowed: Vec<&str> = choices.iter().map(|(value, _)| *value).collect();
            ApiError::invalid_field(name, format!("must be one of: {}", allowed.join(", ")))
        })
}

impl<'a> Listing<'a> {
    fn parse(params: &'a QueryParams) -> Result<Self, ApiError> {
        let mode = choice(
            params,
            "mode",
            Mode::Active,
            &[
                ("all", Mode::All),
                ("company", Mode::Company),
                ("individual", Mode::Individual),
                ("archived", Mode::Archived),
            ],
        )?;
        // By default the list is alphabetical on the short name.
        let sort_field = choice(
            params,
            "order",
            "short_name",
            &[
                ("last_invoice", "last_invoiced_on"),
                ("last_paid", "last_paid_on"),
                ("created", "created_at"),
                ("updated", "updated_at"),
            ],
        )?;
        let descending = choice(params, "sort", false, &[("asc", false), ("desc", true)])?;
        let category = integer_param(params, "category_id")?.map(|id| (id != 0).then_some(id));
        Ok(Self {
            params,
            mode,
            sort_field,
            descending,
            category,
            api_id: integer_param(params, "api_id")?,
            page: requested_page(params)?,
            with_sepa: params.get("with_sepa") == Some("1"),
        })
    }

    fn includes(&self, customer: &StoredCustomer) -> bool {
        let fields = &customer.fields;
        let individual = fields["individual"].as_bool().unwrap_or(false);
        let in_mode = match self.mode {
            Mode::Active => !customer.archived,
            Mode::All => true,
            Mode::Company => !customer.archived && !individual,
            Mode::Individual => !customer.archived && individual,
            Mode::Archived => customer.archived,
        };
        let api_id_ok = self
            .api_id
            .is_none_or(|wanted| fields["api_id"].as_i64() == Some(wanted));
        let category_ok = self
            .category
            .is_none_or(|wanted| fields["category_id"].as_i64() == wanted);
        let text_ok = TEXT_FILTERS.iter().all(|(param, field)| {
            self.params.get(param).is_none_or(|wanted| {
                fields[*field]
                    .as_str()
                    .is_some_and(|value| value.to_lowercase().contains(&wanted.to_lowercase()))
            })
        });
        in_mode && api_id_ok && category_ok && text_ok
    }

    /// Orders on the chosen field, case-insensitively; customers without a value come first
    /// in ascending order, as a database puts NULLs. Ties keep id order so pages are stable.
    fn compare(&self, a: &StoredCustomer, b: &StoredCustomer) -> Ordering {
        let key = |customer: &StoredCustomer| {
            customer.fields[self.sort_field]
                .as_str()
                .map(str::to_lowercase)
        };
        let primary = key(a).cmp(&key(b));
        let primary = if self.descending {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| id_of(a).cmp(&id_of(b)))
    }
}

fn id_of(customer: &StoredCustomer) -> Option<u64> {
    customer.fields["id"].as_u64()
}
