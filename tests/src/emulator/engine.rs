//! The generic resource engine: list, show, create, update and delete for any resource
//! described by a [`Resource`] (field table, list options, behaviour hooks).
//!
//! A resource module declares its table and list options and implements only the hooks for
//! what is really its own (defaults, cross-field rules, links to other records); the engine
//! does the routing, JSON bodies, validation, timestamps, ids, 201 + `Location`, pagination
//! and the 404s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{HOST, LOCATION};
use axum::http::{HeaderMap, HeaderName, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::body::json_object;
use super::clock;
use super::error::{ApiError, FieldErrors};
use super::fields::{self, Tables};
use super::listing::ListSpec;
use super::pagination::{paginate, requested_page};
use super::query::QueryParams;
use super::server::App;
use super::state::{Firm, IdSequence, Record, lock};

pub(crate) const X_PAGINATION: HeaderName = HeaderName::from_static("x-pagination");

pub(crate) type Reply = Result<Response, ApiError>;

pub(crate) struct Resource {
    /// The URL segment and collection name, e.g. `"quotes"`.
    pub(crate) name: &'static str,
    pub(crate) fields: Tables,
    pub(crate) list: ListSpec,
    pub(crate) behaviour: &'static (dyn Behaviour + Sync),
    /// Read-only resources (recurring documents) only list and show.
    pub(crate) read_only: bool,
}

/// A record being created or updated: the engine has applied the writable fields of the
/// input; hooks fill defaults, compute derived fields and report rule violations.
pub(crate) struct Draft<'a> {
    pub(crate) firm: &'a Firm,
    pub(crate) ids: &'a mut IdSequence,
    pub(crate) params: &'a QueryParams,
    pub(crate) input: &'a Map<String, Value>,
    /// The stored record on update, `None` on creation.
    pub(crate) before: Option<&'a Map<String, Value>>,
    pub(crate) record: Map<String, Value>,
    pub(crate) errors: FieldErrors,
    /// Direct insertion by a test or the seed: read-only fields may be given, rule violations
    /// are ignored, and hooks keep what is already set.
    pub(crate) trusted: bool,
}

impl Draft<'_> {
    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        super::error::push_error(&mut self.errors, field, message);
    }

    pub(crate) fn is_new(&self) -> bool {
        self.before.is_none()
    }

    /// Whether the input sets `name` (to anything, `null` included).
    pub(crate) fn sets(&self, name: &str) -> bool {
        self.input.contains_key(name)
    }
}

/// How a record is being shown.
pub(crate) struct Shape<'a> {
    /// In a list (lines, files... only on request) or on its own (everything).
    pub(crate) list: bool,
    pub(crate) params: &'a QueryParams,
    /// `http://host` of the request, for absolute download links.
    pub(crate) origin: &'a str,
}

impl Shape<'_> {
    /// Whether a list view should include what only details show by default.
    pub(crate) fn details(&self, extra_param: &str) -> bool {
        !self.list || self.params.get(extra_param) == Some("1")
    }
}

/// What a resource adds to the generic behaviour. Every hook has a neutral default.
pub(crate) trait Behaviour {
    /// Fills defaults, derived fields and checks rules on a record being written.
    fn prepare(&self, _draft: &mut Draft<'_>) {}

    /// Runs once the record is valid and has its id, before it is stored: numbering and
    /// changes to other records (a customer's last invoice date...).
    fn commit(&self, _firm: &mut Firm, _ids: &mut IdSequence, _record: &mut Map<String, Value>) {}

    /// Runs after the record is stored.
    fn after_write(&self, _firm: &mut Firm, _id: u64) {}

    /// Refuses a deletion (422) when the record must stay.
    fn check_delete(&self, _firm: &Firm, _record: &Record) -> Result<(), ApiError> {
        Ok(())
    }

    /// Removes or updates what depended on a deleted record.
    fn after_delete(&self, _firm: &mut Firm, _record: &Record) {}

    /// Adjusts the JSON shown for a record (computed fields, hidden fields).
    fn view(
        &self,
        _firm: &Firm,
        _record: &Record,
        _shape: &Shape<'_>,
        _out: &mut Map<String, Value>,
    ) {
    }

    /// Answers `GET …/{id}.{extension}` for extensions other than `json` (PDF downloads).
    fn download(
        &self,
        _firm: &Firm,
        _record: &Record,
        _extension: &str,
        _params: &QueryParams,
    ) -> Option<Response> {
        None
    }
}

/// `{id}.json` → `(id, "json")`; anything unparsable is an unknown record.
pub(crate) fn split_file(segment: &str) -> Result<(u64, &str), ApiError> {
    let (id, extension) = segment
        .split_once('.')
        .ok_or_else(ApiError::record_not_found)?;
    let id = id.parse().map_err(|_| ApiError::record_not_found())?;
    Ok((id, extension))
}

/// The id in a `{id}.json` segment.
pub(crate) fn json_id(segment: &str) -> Result<u64, ApiError> {
    match split_file(segment)? {
        (id, "json") => Ok(id),
        _ => Err(ApiError::record_not_found()),
    }
}

/// The id in a bare `{id}` segment.
pub(crate) fn bare_id(segment: &str) -> Result<u64, ApiError> {
    segment.parse().map_err(|_| ApiError::record_not_found())
}

/// `http://host` for this request (the emulator's own address as the client reached it).
pub(crate) fn origin(headers: &HeaderMap) -> String {
    headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_default()
}

impl Resource {
    /// The routes of this resource: the collection and its members.
    pub(crate) fn routes(&'static self) -> Router<Arc<App>> {
        let collection = format!("/firms/{{firm}}/{}.json", self.name);
        let member = format!("/firms/{{firm}}/{}/{{id}}", self.name);
        let mut collection_route: MethodRouter<Arc<App>> = get(
            move |State(app): State<Arc<App>>,
                  Path(firm): Path<String>,
                  uri: Uri,
                  headers: HeaderMap| async move {
                let store = lock(&app.store);
                self.list_response(
                    store.firm(&firm)?,
                    &QueryParams::new(uri.query()),
                    &origin(&headers),
                )
            },
        );
        let mut member_route: MethodRouter<Arc<App>> = get(
            move |State(app): State<Arc<App>>,
                  Path((firm, file)): Path<(String, String)>,
                  uri: Uri,
                  headers: HeaderMap| async move {
                let store = lock(&app.store);
                let firm = store.firm(&firm)?;
                let (id, extension) = split_file(&file)?;
                let record = firm.get(self.name, id)?;
                let params = QueryParams::new(uri.query());
                if extension == "json" {
                    let shape = Shape {
                        list: false,
                        params: &params,
                        origin: &origin(&headers),
                    };
                    return Ok(Json(self.view(firm, record, &shape)).into_response());
                }
                self.behaviour
                    .download(firm, record, extension, &params)
                    .ok_or_else(ApiError::record_not_found)
            },
        );
        if !self.read_only {
            collection_route = collection_route.post(
                move |State(app): State<Arc<App>>,
                      Path(firm): Path<String>,
                      uri: Uri,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    let params = QueryParams::new(uri.query());
                    let mut store = lock(&app.store);
                    let (firm, ids) = store.firm_mut(&firm)?;
                    let input = json_object(&headers, &body)?;
                    let id = self.create(firm, ids, &params, &input)?;
                    Ok::<_, ApiError>(self.created(firm, id, &params, &origin(&headers)))
                },
            );
            member_route = member_route
                .patch(
                    move |State(app): State<Arc<App>>,
                          Path((firm, file)): Path<(String, String)>,
                          uri: Uri,
                          headers: HeaderMap,
                          body: Bytes| async move {
                        let mut store = lock(&app.store);
                        let (firm, ids) = store.firm_mut(&firm)?;
                        let id = json_id(&file)?;
                        firm.get(self.name, id)?;
                        // An empty body changes no field; it still applies the parameters
                        // (`type_doc=final` finalizes a draft invoice).
                        let input = if body.is_empty() {
                            Map::new()
                        } else {
                            json_object(&headers, &body)?
                        };
                        self.update(firm, ids, id, &QueryParams::new(uri.query()), &input)?;
                        // The reference documents a bare 200 for updates.
                        Ok::<_, ApiError>(StatusCode::OK.into_response())
                    },
                )
                .delete(
                    move |State(app): State<Arc<App>>,
                          Path((firm, file)): Path<(String, String)>| async move {
                        let mut store = lock(&app.store);
                        let (firm, _) = store.firm_mut(&firm)?;
                        self.delete(firm, json_id(&file)?)?;
                        Ok::<_, ApiError>(StatusCode::OK.into_response())
                    },
                );
        }
        Router::new()
            .route(&collection, collection_route)
            .route(&member, member_route)
    }

    /// One page of the list, with `X-Pagination`.
    pub(crate) fn list_response(&self, firm: &Firm, params: &QueryParams, origin: &str) -> Reply {
        let page_number = requested_page(params)?;
        let found = self.list.select(firm, self.name, params)?;
        let page = paginate(found, page_number);
        let shape = Shape {
            list: true,
            params,
            origin,
        };
        let body: Vec<Value> = page
            .items
            .iter()
            .map(|record| self.view(firm, record, &shape))
            .collect();
        Ok(([(X_PAGINATION, page.header)], Json(body)).into_response())
    }

    /// The JSON of a record as the API shows it.
    pub(crate) fn view(&self, firm: &Firm, record: &Record, shape: &Shape<'_>) -> Value {
        let mut out = record.fields.clone();
        self.behaviour.view(firm, record, shape, &mut out);
        Value::Object(out)
    }

    /// 201 with `Location` and the new record, as every creation answers.
    pub(crate) fn created(
        &self,
        firm: &Firm,
        id: u64,
        params: &QueryParams,
        origin: &str,
    ) -> Response {
        let location = format!("/firms/{}/{}/{id}.json", firm.id, self.name);
        let shape = Shape {
            list: false,
            params,
            origin,
        };
        let body = firm
            .find(self.name, id)
            .map_or(Value::Null, |record| self.view(firm, record, &shape));
        (StatusCode::CREATED, [(LOCATION, location)], Json(body)).into_response()
    }

    /// Validates and stores a new record from a request body; returns its id.
    pub(crate) fn create(
        &self,
        firm: &mut Firm,
        ids: &mut IdSequence,
        params: &QueryParams,
        input: &Map<String, Value>,
    ) -> Result<u64, ApiError> {
        self.create_with(firm, ids, params, input, &[])
    }

    /// Like [`Resource::create`], with some read-only fields set by the service itself (the
    /// invoice of a settlement, the quote of an invoice...).
    pub(crate) fn create_with(
        &self,
        firm: &mut Firm,
        ids: &mut IdSequence,
        params: &QueryParams,
        input: &Map<String, Value>,
        preset: &[(&str, Value)],
    ) -> Result<u64, ApiError> {
        self.write(firm, ids, params, input, None, preset, false)
    }

    /// Stores a record as given (tests, seed data and records derived from valid ones):
    /// read-only fields accepted, rules not enforced, defaults and totals still applied.
    pub(crate) fn insert_trusted(
        &self,
        firm: &mut Firm,
        ids: &mut IdSequence,
        input: &Map<String, Value>,
    ) -> u64 {
        let params = QueryParams::new(None);
        let id = self
            .write(firm, ids, &params, input, None, &[], true)
            .expect("trusted writes skip validation");
        let record = firm.get_mut(self.name, id).expect("just stored");
        record.archived = fields::flag(input, "archived");
        record.system = fields::flag(input, "system");
        id
    }

    /// Validates and applies a request body to a stored record.
    pub(crate) fn update(
        &self,
        firm: &mut Firm,
        ids: &mut IdSequence,
        id: u64,
        params: &QueryParams,
        input: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        self.write(firm, ids, params, input, Some(id), &[], false)
            .map(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        firm: &mut Firm,
        ids: &mut IdSequence,
        params: &QueryParams,
        input: &Map<String, Value>,
        existing: Option<u64>,
        preset: &[(&str, Value)],
        trusted: bool,
    ) -> Result<u64, ApiError> {
        let before = match existing {
            Some(id) => Some(firm.get(self.name, id)?.fields.clone()),
            None => None,
        };
        let mut record = before.clone().unwrap_or_else(|| fields::blank(self.fields));
        let mut errors = FieldErrors::new();
        if trusted {
            fields::copy_known(self.fields, &mut record, input);
        } else {
            fields::apply_writable(self.fields, &mut record, input, &mut errors);
        }
        for (name, value) in preset {
            record.insert((*name).to_owned(), value.clone());
        }
        let mut draft = Draft {
            firm: &*firm,
            ids,
            params,
            input,
            before: before.as_ref(),
            record,
            errors,
            trusted,
        };
        if fields::has_field(self.fields, "soft_deleted") {
            fields::default(&mut draft.record, "soft_deleted", Value::Bool(false));
        }
        self.behaviour.prepare(&mut draft);
        let Draft {
            mut record, errors, ..
        } = draft;
        if !errors.is_empty() && !trusted {
            return Err(ApiError::invalid(errors));
        }
        let now = Value::String(clock::now_timestamp());
        for stamp in ["created_at", "updated_at"] {
            let keep = trusted && record.get(stamp).is_some_and(|value| !value.is_null());
            let creation_only = stamp == "created_at" && existing.is_some();
            if fields::has_field(self.fields, stamp) && !keep && !creation_only {
                record.insert(stamp.to_owned(), now.clone());
            }
        }
        let id = existing.unwrap_or_else(|| ids.allocate());
        record.insert("id".to_owned(), Value::from(id));
        self.behaviour.commit(firm, ids, &mut record);
        match firm.get_mut(self.name, id) {
            Ok(stored) => stored.fields = record,
            Err(_) => firm.insert(self.name, id, Record::new(record)),
        }
        self.behaviour.after_write(firm, id);
        Ok(id)
    }

    /// Deletes a record, with the resource's checks and cascades, and its attached files.
    pub(crate) fn delete(&self, firm: &mut Firm, id: u64) -> Result<(), ApiError> {
        self.behaviour
            .check_delete(firm, firm.get(self.name, id)?)?;
        let record = firm
            .remove(self.name, id)
            .ok_or_else(ApiError::record_not_found)?;
        super::assets::delete_attached(firm, self.name, id);
        self.behaviour.after_delete(firm, &record);
        Ok(())
    }
}
