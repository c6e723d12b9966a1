//! The in-memory data: the account, its firms, and each firm's customers.
//!
//! Data lives per firm, so an id that belongs to another firm is simply not found, just as the
//! real service scopes every record to the firm in the URL.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};

use super::EmulatorConfig;
use super::error::ApiError;

/// The account id reported by `GET /account.json`; the reference gives no way to choose it.
const ACCOUNT_ID: u64 = 4_217;

/// Customer ids start here so they never look like firm ids in test output.
const FIRST_CUSTOMER_ID: u64 = 180_001;

/// Locks a mutex even if a handler panicked while holding it: the emulator's data stays
/// usable for the rest of the test, which then reports the panic itself.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct StoredCustomer {
    /// Every field of the reference's table, keyed by name, `null` when unset.
    pub(crate) fields: Map<String, Value>,
    /// Archiving is not a field of the record: it only changes which lists show the customer.
    pub(crate) archived: bool,
}

pub(crate) struct Firm {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) customers: BTreeMap<u64, StoredCustomer>,
}

pub(crate) struct Store {
    email: String,
    firms: Vec<Firm>,
    /// One counter for all firms, like a database sequence, so ids are unique account-wide
    /// and a customer id from one firm can be tried against another.
    next_customer_id: u64,
}

impl Store {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        Self {
            email: config.user_email.clone(),
            firms: config
                .firms
                .iter()
                .map(|(id, name)| Firm {
                    id: *id,
                    name: name.clone(),
                    customers: BTreeMap::new(),
                })
                .collect(),
            next_customer_id: FIRST_CUSTOMER_ID,
        }
    }

    pub(crate) fn firm_ids(&self) -> Vec<u64> {
        self.firms.iter().map(|firm| firm.id).collect()
    }

    pub(crate) fn account_json(&self) -> Value {
        let firms: Vec<Value> = self
            .firms
            .iter()
            .map(|firm| json!({"id": firm.id, "name": firm.name}))
            .collect();
        json!({"id": ACCOUNT_ID, "email": self.email, "firms": firms})
    }

    pub(crate) fn firm_by_id(&self, id: u64) -> Option<&Firm> {
        self.firms.iter().find(|firm| firm.id == id)
    }

    pub(crate) fn firm_by_id_mut(&mut self, id: u64) -> Option<&mut Firm> {
        self.firms.iter_mut().find(|firm| firm.id == id)
    }

    /// Resolves the `{firm}` path segment. A firm outside the account is forbidden (403), as
    /// the key has no rights on it, whether or not it exists elsewhere.
    pub(crate) fn firm(&self, segment: &str) -> Result<&Firm, ApiError> {
        segment
            .parse()
            .ok()
            .and_then(|id| self.firm_by_id(id))
            .ok_or_else(|| forbidden_firm(segment))
    }

    pub(crate) fn firm_mut(&mut self, segment: &str) -> Result<&mut Firm, ApiError> {
        segment
            .parse()
            .ok()
            .and_then(|id| self.firm_by_id_mut(id))
            .ok_or_else(|| forbidden_firm(segment))
    }

    /// A fresh customer id. Ids are never reused, even after a deletion.
    pub(crate) fn allocate_customer_id(&mut self) -> u64 {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        id
    }
}

impl Firm {
    /// Stores a customer under `id`, writing the id into the record as well.
    pub(crate) fn insert_customer(
        &mut self,
        id: u64,
        mut fields: Map<String, Value>,
        archived: bool,
    ) {
        fields.insert("id".to_owned(), json!(id));
        self.customers
            .insert(id, StoredCustomer { fields, archived });
    }

    /// The customer with this id in this firm, or the API's 404.
    pub(crate) fn customer(&self, id: u64) -> Result<&StoredCustomer, ApiError> {
        self.customers
            .get(&id)
            .ok_or_else(ApiError::record_not_found)
    }

    pub(crate) fn customer_mut(&mut self, id: u64) -> Result<&mut StoredCustomer, ApiError> {
        self.customers
            .get_mut(&id)
            .ok_or_else(ApiError::record_not_found)
    }
}

fn forbidden_firm(segment: &str) -> ApiError {
    ApiError::forbidden(format!(
        "Firm {segment} is not part of the account of this API key"
    ))
}
