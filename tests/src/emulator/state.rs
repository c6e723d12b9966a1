//! The in-memory data: the accounts' firms, and each firm's records.
//!
//! Every firm belongs to one account. Handlers look firms up by id alone; the front door
//! (`server.rs`) has already refused a firm of another account than the caller's. Data lives
//! per firm, so an id that belongs to another firm is simply not found, just as the
//! real service scopes every record to the firm in the URL. Within a firm, records are grouped
//! in collections named like the URL segment (`"customers"`, `"quotes"`, ...).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};

use super::EmulatorConfig;
use super::accounts::{Account, Accounts};
use super::error::ApiError;

/// Record ids start here so they never look like firm ids in test output.
const FIRST_ID: u64 = 180_001;

/// Locks a mutex even if a handler panicked while holding it: the emulator's data stays
/// usable for the rest of the test, which then reports the panic itself.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct Record {
    /// Every field of the resource's table, keyed by name, `null` when unset.
    pub(crate) fields: Map<String, Value>,
    /// Archiving (customers) is not a field of the record: it only changes which lists show it.
    pub(crate) archived: bool,
    /// A supplier the service manages itself (tax and social bodies), with deletion limits.
    pub(crate) system: bool,
}

impl Record {
    pub(crate) fn new(fields: Map<String, Value>) -> Self {
        Self {
            fields,
            archived: false,
            system: false,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.fields["id"].as_u64().unwrap_or_default()
    }
}

/// The content of an uploaded file.
pub(crate) struct Blob {
    pub(crate) bytes: Vec<u8>,
    pub(crate) content_type: String,
}

/// One counter for all records of all firms, like a database sequence, so ids are unique
/// account-wide and an id from one firm (or one resource) can be tried against another.
pub(crate) struct IdSequence {
    next: u64,
}

impl IdSequence {
    pub(crate) fn new() -> Self {
        Self { next: FIRST_ID }
    }

    /// A fresh id. Ids are never reused, even after a deletion.
    pub(crate) fn allocate(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

pub(crate) struct Firm {
    pub(crate) id: u64,
    pub(crate) name: String,
    /// The id of the account the firm belongs to.
    pub(crate) owner: u64,
    collections: BTreeMap<&'static str, BTreeMap<u64, Record>>,
    /// Uploaded file contents, by asset id.
    pub(crate) blobs: BTreeMap<u64, Blob>,
    /// Document numbering (quote numbers, invoice numbers, purchase serial numbers).
    counters: BTreeMap<&'static str, u64>,
}

pub(crate) struct Store {
    firms: Vec<Firm>,
    pub(crate) ids: IdSequence,
    /// Every e-mail sent through `emails.json`, oldest first.
    pub(crate) emails: Vec<Value>,
}

impl Store {
    pub(crate) fn new(config: &EmulatorConfig, accounts: &Accounts) -> Self {
        // `Accounts` lists the configured accounts in the same order, with their ids.
        let firms = config
            .accounts()
            .iter()
            .zip(accounts.iter())
            .flat_map(|(account, owner)| {
                let firms = account.firms.iter();
                firms.map(|(id, name)| Firm::new(*id, name, owner.id))
            })
            .collect();
        Self {
            firms,
            ids: IdSequence::new(),
            emails: Vec::new(),
        }
    }

    /// The ids of an account's firms, in configuration order.
    pub(crate) fn firm_ids(&self, owner: u64) -> Vec<u64> {
        self.owned_by(owner).map(|firm| firm.id).collect()
    }

    /// `GET /account.json` for the account making the request: its own firms only.
    pub(crate) fn account_json(&self, account: &Account) -> Value {
        let firms: Vec<Value> = self
            .owned_by(account.id)
            .map(|firm| json!({"id": firm.id, "name": firm.name}))
            .collect();
        json!({"id": account.id, "email": account.email, "firms": firms})
    }

    fn owned_by(&self, owner: u64) -> impl Iterator<Item = &Firm> {
        self.firms.iter().filter(move |firm| firm.owner == owner)
    }

    pub(crate) fn firm_by_id(&self, id: u64) -> Option<&Firm> {
        self.firms.iter().find(|firm| firm.id == id)
    }

    /// A firm and the id sequence, borrowed together so a handler can create records.
    pub(crate) fn firm_by_id_mut(&mut self, id: u64) -> Option<(&mut Firm, &mut IdSequence)> {
        let firm = self.firms.iter_mut().find(|firm| firm.id == id)?;
        Some((firm, &mut self.ids))
    }

    /// Resolves the `{firm}` path segment. A firm that does not exist is forbidden (403), as
    /// the key has no rights on it; so is a firm of another account ([`check_owner`], which
    /// the front door applies before any handler runs).
    pub(crate) fn firm(&self, segment: &str) -> Result<&Firm, ApiError> {
        parse_firm(segment)
            .and_then(|id| self.firm_by_id(id))
            .ok_or_else(|| forbidden_firm(segment))
    }

    pub(crate) fn firm_mut(
        &mut self,
        segment: &str,
    ) -> Result<(&mut Firm, &mut IdSequence), ApiError> {
        let id = parse_firm(segment).ok_or_else(|| forbidden_firm(segment))?;
        self.firm_by_id_mut(id)
            .ok_or_else(|| forbidden_firm(segment))
    }
}

fn parse_firm(segment: &str) -> Option<u64> {
    segment.parse().ok()
}

/// Refuses a `{firm}` path segment naming a firm of another account than `caller` (or any
/// firm, without a caller), exactly as a firm outside every account is refused, so a caller
/// cannot tell the two apart.
pub(crate) fn check_owner(
    store: &Store,
    segment: &str,
    caller: Option<u64>,
) -> Result<(), ApiError> {
    match parse_firm(segment).and_then(|id| store.firm_by_id(id)) {
        Some(firm) if Some(firm.owner) != caller => Err(forbidden_firm(segment)),
        // Unknown firms are the handler's to refuse, after its own checks as before.
        _ => Ok(()),
    }
}

impl Firm {
    pub(crate) fn new(id: u64, name: &str, owner: u64) -> Self {
        Self {
            id,
            name: name.to_owned(),
            owner,
            collections: BTreeMap::new(),
            blobs: BTreeMap::new(),
            counters: BTreeMap::new(),
        }
    }

    /// The records of a collection, in id order.
    pub(crate) fn records(&self, collection: &str) -> impl Iterator<Item = &Record> {
        self.collections
            .get(collection)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// The record, if this firm has it.
    pub(crate) fn find(&self, collection: &str, id: u64) -> Option<&Record> {
        self.collections.get(collection)?.get(&id)
    }

    /// The record, or the API's 404.
    pub(crate) fn get(&self, collection: &str, id: u64) -> Result<&Record, ApiError> {
        self.find(collection, id)
            .ok_or_else(ApiError::record_not_found)
    }

    pub(crate) fn get_mut(&mut self, collection: &str, id: u64) -> Result<&mut Record, ApiError> {
        self.collections
            .get_mut(collection)
            .and_then(|records| records.get_mut(&id))
            .ok_or_else(ApiError::record_not_found)
    }

    /// Stores a record under `id`, writing the id into its fields as well.
    pub(crate) fn insert(&mut self, collection: &'static str, id: u64, mut record: Record) {
        record.fields.insert("id".to_owned(), json!(id));
        self.collections
            .entry(collection)
            .or_default()
            .insert(id, record);
    }

    pub(crate) fn remove(&mut self, collection: &str, id: u64) -> Option<Record> {
        self.collections.get_mut(collection)?.remove(&id)
    }

    /// Ids of the records of a collection matching `keep`.
    pub(crate) fn ids_where(&self, collection: &str, keep: impl Fn(&Record) -> bool) -> Vec<u64> {
        self.records(collection)
            .filter(|record| keep(record))
            .map(Record::id)
            .collect()
    }

    /// Every record of every collection, for changes that cut across resources.
    pub(crate) fn all_records_mut(&mut self) -> impl Iterator<Item = &mut Record> {
        self.collections.values_mut().flat_map(BTreeMap::values_mut)
    }

    /// The next number of a document series (1, 2, 3...), per firm.
    pub(crate) fn next_number(&mut self, series: &'static str) -> u64 {
        let counter = self.counters.entry(series).or_default();
        *counter += 1;
        *counter
    }
}

fn forbidden_firm(segment: &str) -> ApiError {
    ApiError::forbidden(format!(
        "Firm {segment} is not part of the account of this API key"
    ))
}
