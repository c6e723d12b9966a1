//! Files attached to customers, quotes, invoices and purchases ("assets"): multipart uploads,
//! per-kind lists, downloads and deletion.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::clock;
use super::engine::{Reply, X_PAGINATION, bare_id, json_id, origin};
use super::error::ApiError;
use super::fields::boolean;
use super::listing::{Filter, Key, ListSpec};
use super::pagination::{paginate, requested_page};
use super::query::QueryParams;
use super::server::App;
use super::state::{Blob, Firm, IdSequence, Record, lock};

/// What files can be attached to.
pub(crate) struct Owner {
    /// The owner's collection, also the URL segment of its list (`assets/quotes.json`).
    collection: &'static str,
    /// The asset field holding the owner's id.
    key: &'static str,
    /// Whether the file can be shown to the customer (`visible`).
    shareable: bool,
    list: ListSpec,
}

/// The documented sort options, shared by the four lists.
const ORDERS: &[(&str, Key)] = &[
    ("title", Key::Field("document_name")),
    ("size", Key::Field("document_size")),
    ("updated", Key::Field("updated_at")),
    ("created", Key::Field("created_at")),
];

/// Each list filters on its owner's id and is newest first by default.
macro_rules! owner {
    ($collection:expr, $key:literal, $shareable:literal) => {
        Owner {
            collection: $collection,
            key: $key,
            shareable: $shareable,
            list: ListSpec {
                filters: &[Filter::Id($key, $key)],
                orders: ORDERS,
                default_order: (Key::Field("created_at"), true),
            },
        }
    };
}

const OWNERS: &[Owner] = &[
    owner!("quotes", "quote_id", true),
    owner!("invoices", "invoice_id", true),
    owner!("customers", "customer_id", false),
    owner!("purchases", "purchase_id", false),
];

pub(crate) const COLLECTION: &str = "assets";

/// The multipart part holding the file.
const FILE_PART: &str = "upload_file";

pub(crate) fn routes() -> Router<Arc<App>> {
    let mut router = Router::new()
        .route(
            "/firms/{firm}/assets/{id}",
            get(list_or_show).delete(destroy),
        )
        .route("/firms/{firm}/assets/{id}/download", get(download));
    for owner in OWNERS {
        let path = format!("/firms/{{firm}}/{}/{{id}}/upload.json", owner.collection);
        router = router.route(
            &path,
            post(
                move |State(app): State<Arc<App>>,
                      Path((firm, id)): Path<(String, String)>,
                      uri: Uri,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    upload(owner, &app, &firm, &id, &uri, &headers, body).await
                },
            ),
        );
    }
    router
}

fn owner_of(asset: &Record) -> Option<(&'static Owner, u64)> {
    OWNERS.iter().find_map(|owner| {
        let id = asset.fields.get(owner.key)?.as_u64()?;
        Some((owner, id))
    })
}

/// The asset as the API shows it; lists add the owner's label as `title`.
fn view(firm: &Firm, asset: &Record, origin: &str, with_title: bool) -> Value {
    let mut out = asset.fields.clone();
    if let Some(Value::String(path)) = out.get("download_url") {
        let absolute = format!("{origin}{path}");
        out.insert("download_url".to_owned(), Value::String(absolute));
    }
    if with_title && let Some((owner, id)) = owner_of(asset) {
        out.insert("title".to_owned(), owner_label(firm, owner, id));
    }
    Value::Object(out)
}

/// How the owner is named in asset lists: the document's number, or the record's name.
fn owner_label(firm: &Firm, owner: &Owner, id: u64) -> Value {
    let Some(record) = firm.find(owner.collection, id) else {
        return Value::Null;
    };
    let field = |name: &str| record.fields[name].clone();
    match owner.collection {
        "quotes" => json!(format!("Devis n°{}", field("quote_ref"))),
        "invoices" => match field("invoice_ref") {
            Value::String(reference) => json!(format!("Facture n°{reference}")),
            _ => json!("Facture (brouillon)"),
        },
        "customers" => field("short_name"),
        _ => field("title"),
    }
}

/// The files attached to a record, for its detail view.
pub(crate) fn files_of(firm: &Firm, collection: &str, id: u64, origin: &str) -> Value {
    let files = firm
        .records(COLLECTION)
        .filter(|asset| {
            owner_of(asset).is_some_and(|(owner, of)| owner.collection == collection && of == id)
        })
        .map(|asset| view(firm, asset, origin, false))
        .collect();
    Value::Array(files)
}

/// Deletes the files of a deleted record.
pub(crate) fn delete_attached(firm: &mut Firm, collection: &str, id: u64) {
    let attached = firm.ids_where(COLLECTION, |asset| {
        owner_of(asset).is_some_and(|(owner, of)| owner.collection == collection && of == id)
    });
    for asset in attached {
        firm.remove(COLLECTION, asset);
        firm.blobs.remove(&asset);
    }
}

/// A file to attach.
struct NewFile {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
    visible: bool,
}

/// Stores a file attached to `owner_id`, returning the new asset id.
fn attach(
    firm: &mut Firm,
    ids: &mut IdSequence,
    owner: &Owner,
    owner_id: u64,
    file: NewFile,
) -> u64 {
    let NewFile {
        name,
        content_type,
        bytes,
        visible,
    } = file;
    let id = ids.allocate();
    let now = clock::now_timestamp();
    let mut fields = Map::new();
    fields.insert(owner.key.to_owned(), json!(owner_id));
    fields.insert("document_name".to_owned(), json!(name));
    fields.insert("document_size".to_owned(), json!(bytes.len()));
    let path = format!("/firms/{}/assets/{id}/download", firm.id);
    fields.insert("download_url".to_owned(), json!(path));
    if owner.shareable {
        fields.insert("visible".to_owned(), json!(visible));
    }
    fields.insert("created_at".to_owned(), json!(now));
    fields.insert("updated_at".to_owned(), json!(now));
    firm.insert(COLLECTION, id, Record::new(fields));
    firm.blobs.insert(
        id,
        Blob {
            bytes,
            content_type,
        },
    );
    id
}

/// Direct insertion for tests and the seed: `fields` names the owner (`quote_id`, ...) and may
/// give `document_name`, `content` (text), `content_type` and `visible`.
pub(crate) fn insert_trusted(
    firm: &mut Firm,
    ids: &mut IdSequence,
    fields: &Map<String, Value>,
) -> Option<u64> {
    let (owner, owner_id) = OWNERS
        .iter()
        .find_map(|owner| Some((owner, fields.get(owner.key)?.as_u64()?)))?;
    let name = fields
        .get("document_name")
        .and_then(Value::as_str)
        .unwrap_or("document.txt");
    let bytes = fields
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    let content_type = fields
        .get("content_type")
        .and_then(Value::as_str)
        .map_or_else(|| guess_type(name).to_owned(), str::to_owned);
    let visible = fields.get("visible").and_then(boolean).unwrap_or(false);
    let file = NewFile {
        name: name.to_owned(),
        content_type,
        bytes,
        visible,
    };
    Some(attach(firm, ids, owner, owner_id, file))
}

/// `GET assets/{kind}.json` lists one kind of attachment; `GET assets/{id}.json` shows one.
async fn list_or_show(
    State(app): State<Arc<App>>,
    Path((firm, file)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let origin = origin(&headers);
    let kind = file.strip_suffix(".json").unwrap_or("");
    let Some(owner) = OWNERS.iter().find(|owner| owner.collection == kind) else {
        let asset = firm.get(COLLECTION, json_id(&file)?)?;
        return Ok(Json(view(firm, asset, &origin, true)).into_response());
    };
    let params = QueryParams::new(uri.query());
    let page_number = requested_page(&params)?;
    let found: Vec<&Record> = owner
        .list
        .select(firm, COLLECTION, &params)?
        .into_iter()
        .filter(|asset| owner_of(asset).is_some_and(|(of, _)| of.collection == owner.collection))
        .collect();
    let page = paginate(found, page_number);
    let body: Vec<Value> = page
        .items
        .iter()
        .map(|asset| view(firm, asset, &origin, true))
        .collect();
    Ok(([(X_PAGINATION, page.header)], Json(body)).into_response())
}

async fn destroy(State(app): State<Arc<App>>, Path((firm, file)): Path<(String, String)>) -> Reply {
    let mut store = lock(&app.store);
    let (firm, _) = store.firm_mut(&firm)?;
    let id = json_id(&file)?;
    firm.remove(COLLECTION, id)
        .ok_or_else(ApiError::record_not_found)?;
    firm.blobs.remove(&id);
    Ok(StatusCode::OK.into_response())
}

/// The exact bytes uploaded, with their type and name.
async fn download(State(app): State<Arc<App>>, Path((firm, id)): Path<(String, String)>) -> Reply {
    let store = lock(&app.store);
    let firm = store.firm(&firm)?;
    let id = bare_id(&id)?;
    let asset = firm.get(COLLECTION, id)?;
    let blob = firm.blobs.get(&id).ok_or_else(ApiError::record_not_found)?;
    let name = asset.fields["document_name"].as_str().unwrap_or("download");
    Ok((
        [
            (CONTENT_TYPE, blob.content_type.clone()),
            (CONTENT_DISPOSITION, attachment(name)),
        ],
        blob.bytes.clone(),
    )
        .into_response())
}

/// `attachment; filename="…"`, with an RFC 6266 `filename*` when the name is not plain ASCII.
fn attachment(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if plain == name {
        return format!("attachment; filename=\"{plain}\"");
    }
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// A content type from the file extension, for parts sent without one.
fn guess_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// What a multipart upload carried.
struct Upload {
    file: Option<(Option<String>, Option<String>, Vec<u8>)>,
    filename: Option<String>,
    visible: Option<String>,
}

/// `POST {owner}/{id}/upload.json`: the file comes in the multipart part `upload_file`; its
/// stored name is the `filename` parameter (query or form field), else the part's own name.
async fn upload(
    owner: &'static Owner,
    app: &App,
    firm: &str,
    id: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Reply {
    let owner_id = bare_id(id)?;
    // Unknown firms and owners are reported before anything about the body.
    lock(&app.store)
        .firm(firm)?
        .get(owner.collection, owner_id)?;
    let upload = read_multipart(headers, body).await?;
    let Some((part_name, part_type, bytes)) = upload.file else {
        return Err(ApiError::invalid_field(
            FILE_PART,
            "can't be blank: send the file in a multipart part named upload_file",
        ));
    };
    if bytes.is_empty() {
        return Err(ApiError::invalid_field(FILE_PART, "is empty"));
    }
    let params = QueryParams::new(uri.query());
    let chosen = params
        .get("filename")
        .map(str::to_owned)
        .or(upload.filename)
        .or(part_name)
        .unwrap_or_else(|| FILE_PART.to_owned());
    // Only the last path component: a name, not a place.
    let name = chosen
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(ApiError::invalid_field(
            "filename",
            "must be a file name of 1 to 255 characters",
        ));
    }
    let visible_raw = params.get("visible").map(str::to_owned).or(upload.visible);
    let visible = match visible_raw {
        None => false,
        Some(raw) => boolean(&Value::String(raw))
            .ok_or_else(|| ApiError::invalid_field("visible", "must be 1 or 0"))?,
    };
    let content_type = part_type
        .filter(|kind| kind != "application/octet-stream")
        .unwrap_or_else(|| guess_type(&name).to_owned());

    let mut store = lock(&app.store);
    let (firm, ids) = store.firm_mut(firm)?;
    firm.get(owner.collection, owner_id)?;
    let file = NewFile {
        name,
        content_type,
        bytes,
        visible,
    };
    let asset = attach(firm, ids, owner, owner_id, file);
    let location = format!("/firms/{}/assets/{asset}.json", firm.id);
    let body = view(firm, firm.get(COLLECTION, asset)?, &origin(headers), false);
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(body)).into_response())
}

/// Parses a `multipart/form-data` body with `multer`.
async fn read_multipart(headers: &HeaderMap, body: Bytes) -> Result<Upload, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Send the file as multipart/form-data in a part named upload_file (got '{content_type}')"
            ),
        )
    })?;
    let malformed =
        |error: multer::Error| ApiError::bad_request(format!("Malformed multipart body: {error}"));
    let mut multipart = multer::Multipart::new(Body::from(body).into_data_stream(), boundary);
    let mut upload = Upload {
        file: None,
        filename: None,
        visible: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some(FILE_PART) => {
                let name = field.file_name().map(str::to_owned);
                let kind = field.content_type().map(ToString::to_string);
                let bytes = field.bytes().await.map_err(malformed)?;
                upload.file = Some((name, kind, bytes.to_vec()));
            }
            Some("filename") => upload.filename = Some(field.text().await.map_err(malformed)?),
            Some("visible") => upload.visible = Some(field.text().await.map_err(malformed)?),
            // Other parts are ignored, as unknown JSON members are.
            _ => {}
        }
    }
    Ok(upload)
}
