//! An in-memory stand-in for the Facturation.PRO HTTP API.
//!
//! The end-to-end tests point the MCP server at this emulator instead of the real service, so
//! they run offline, never touch real invoicing data, and can inspect exactly what the client
//! sent. The emulator follows the vendor's published API reference (auth, User-Agent rule,
//! pagination, error shapes, rate limits), not the assumptions of any particular client.
//!
//! Each [`Emulator`] owns a background thread with its own single-threaded tokio runtime, so
//! synchronous tests can start several independent emulators side by side.
//!
//! Resources are declared, not hand-written: each module gives its field table (after the
//! reference's field lists), its list filters and sort options, and hooks for what is its own
//! (`engine::Behaviour`); `engine` serves them all with the same validation, pagination and
//! error shapes, over one per-firm record store (`state`).
//!
//! The emulator serves plain HTTP, or HTTPS when given a [`TestCa`] (`EmulatorConfig::tls`),
//! offering HTTP/2 and HTTP/1.1 by ALPN. It numbers the connections it accepts: each
//! [`RecordedRequest`] says which one it came on, and [`Emulator::connection_stats`] counts
//! connections and TLS handshakes, so a test can check that a client reuses its connection.

mod account;
mod accounts;
mod amount;
mod assets;
mod auth;
mod bills;
mod body;
mod categories;
mod clock;
mod connections;
mod customer_fields;
mod customers;
mod emails;
mod engine;
mod error;
mod faults;
mod fields;
mod invoices;
mod listing;
mod oauth;
mod pagination;
mod party;
mod pdf;
mod products;
mod purchases;
mod query;
mod quotes;
mod rate_limit;
mod recording;
mod recurring;
mod seed;
mod server;
mod settlements;
mod state;
mod suppliers;
#[cfg(test)]
mod tests;
mod tls;
mod values;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use serde_json::Value;
use tokio::sync::oneshot;

pub use accounts::{AccountConfig, FIRST_LOGIN, LOGIN_COOKIE};
pub use connections::ConnectionStats;
pub use faults::Fault;
pub use oauth::{
    Consent, OAuthApplication, OAuthConfig, OAuthToken, RefreshAttempt, RefreshRotation,
};
pub use recording::{RecordedRequest, RequestConnection};
pub use tls::TestCa;

use connections::{ApiListener, Counters};
use engine::Shape;
use query::QueryParams;
use server::App;
use state::{Firm, lock};

/// How an emulator instance behaves: credentials it accepts, the accounts it serves, limits.
///
/// The top-level `api_id`, `api_key`, `user_email` and `firms` are the first account (login
/// [`FIRST_LOGIN`]); `other_accounts` adds more, each isolated from the others.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The API identifier expected as the Basic auth user name.
    pub api_id: String,
    /// The API key expected as the Basic auth password.
    pub api_key: String,
    /// E-mail address reported by `GET /account.json`.
    pub user_email: String,
    /// Firms the account may work on, as `(firm id, firm name)`; any other firm id is refused.
    pub firms: Vec<(u64, String)>,
    /// More accounts beside the first, each with its own credentials, firms, tokens and
    /// quotas (see [`EmulatorConfig::with_second_account`]). Empty by default.
    pub other_accounts: Vec<AccountConfig>,
    /// Whether to start with demo data: a few realistic customers and, in the first firm, a
    /// month of quotes, invoices, purchases and files (see `seed.rs`).
    pub seed_demo_data: bool,
    /// Requests allowed in any sliding 5-minute window.
    pub rate_limit_per_5min: u32,
    /// Requests allowed in any sliding 24-hour window.
    pub rate_limit_per_day: u32,
    /// Port to bind on 127.0.0.1; 0 lets the OS pick a free one.
    pub port: u16,
    /// The OAuth2 authorization server beside the API (`/oauth/...`): registered
    /// applications and token settings. The API key keeps working either way.
    pub oauth: OAuthConfig,
    /// Serve HTTPS with a certificate this authority signed (for `localhost` and
    /// `127.0.0.1`) instead of plain HTTP.
    pub tls: Option<TestCa>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_id: "demo-api-id".to_owned(),
            api_key: "demo-api-key".to_owned(),
            user_email: "demo@example.test".to_owned(),
            firms: vec![
                (1001, "Atelier Demo SARL".to_owned()),
                (1002, "Second Firm SAS".to_owned()),
            ],
            other_accounts: Vec::new(),
            seed_demo_data: true,
            // The vendor's documented quotas.
            rate_limit_per_5min: 600,
            rate_limit_per_day: 10_000,
            port: 0,
            oauth: OAuthConfig::default(),
            tls: None,
        }
    }
}

impl EmulatorConfig {
    /// The default account with no demo data: what most tests start from, so that every
    /// record they look at is one they made.
    pub fn without_demo_data() -> Self {
        Self {
            seed_demo_data: false,
            ..Self::default()
        }
    }
}

/// A running emulator. Dropping it stops the server and frees the port.
pub struct Emulator {
    addr: SocketAddr,
    tls: bool,
    app: Arc<App>,
    counters: Arc<Counters>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1:`config.port`, serves on a background thread with its own tokio
    /// runtime, and returns once the socket is listening.
    ///
    /// The socket is bound here, on the caller's thread, so that a busy port is reported as an
    /// error and so that connections made right after `start` returns are queued by the kernel
    /// rather than refused.
    pub fn start(config: EmulatorConfig) -> anyhow::Result<Emulator> {
        config.oauth.validate()?;
        config.validate_accounts()?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the emulator's tokio runtime")?;
        // Registering the socket with tokio needs a runtime context.
        let tcp = {
            let _context = runtime.enter();
            faults::CuttableListener(tokio::net::TcpListener::from_std(listener)?)
        };
        let acceptor = match &config.tls {
            Some(ca) => Some(tokio_rustls::TlsAcceptor::from(ca.server_config()?)),
            None => None,
        };
        let counters = Arc::new(Counters::default());
        let listener = ApiListener::new(tcp, acceptor, Arc::clone(&counters));

        let app = Arc::new(App::new(&config));
        // Each request learns its connection: for the record, and so that a fault can cut it.
        let router = server::router(Arc::clone(&app))
            .into_make_service_with_connect_info::<connections::Peer>();
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("facturation-pro-emulator-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    // Stopping is abrupt on purpose: when the serve future is dropped and the
                    // runtime goes away, open keep-alive connections are cut instead of being
                    // waited for, so dropping an emulator never hangs a test.
                    tokio::select! {
                        result = axum::serve(listener, router) => {
                            if let Err(error) = result {
                                eprintln!("facturation-pro emulator stopped: {error}");
                            }
                        }
                        _ = stop => {}
                    }
                });
            })
            .context("spawning the emulator thread")?;

        Ok(Emulator {
            addr,
            tls: config.tls.is_some(),
            app,
            counters,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` over TLS (a name, as the real
    /// API's URL has), without a trailing slash.
    pub fn base_url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// Connections accepted and TLS handshakes made so far.
    pub fn connection_stats(&self) -> ConnectionStats {
        self.counters.snapshot()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, in arrival order, rejected and faulted ones included.
    /// A request still being handled, or whose connection was cut, shows `status == 0`.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.app.recorder).snapshot()
    }

    /// Every request so far, as [`Emulator::requests`] gives them, each with the login of the
    /// account it was served as: the one whose API key or OAuth token it carried, once
    /// checked (`None` for an OAuth endpoint, refused credentials, or an injected answer).
    pub fn requests_with_accounts(&self) -> Vec<(RecordedRequest, Option<String>)> {
        lock(&self.app.recorder).snapshot_with_accounts()
    }

    /// The requests served as the account signed in as `login`, in arrival order.
    pub fn requests_as(&self, login: &str) -> Vec<RecordedRequest> {
        self.requests_with_accounts()
            .into_iter()
            .filter(|(_, account)| account.as_deref() == Some(login))
            .map(|(request, _)| request)
            .collect()
    }

    /// Waits until `count` requests have arrived (a test's call is under way on another
    /// thread); returns them. Panics after a minute: a guard against a hang, not a timing.
    pub fn wait_for_requests(&self, count: usize) -> Vec<RecordedRequest> {
        let patience = std::time::Duration::from_secs(60);
        let started = std::time::Instant::now();
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(
                started.elapsed() < patience,
                "the emulator never received {count} requests: {requests:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    pub fn clear_requests(&self) {
        lock(&self.app.recorder).clear();
    }

    /// Fault injection: while `Some(url)`, every request is answered `302 Found` with
    /// `Location: {url}{original path and query}`, before any other check.
    pub fn redirect_everything_to(&self, target: Option<String>) {
        *lock(&self.app.redirect_target) = target;
    }

    /// Fault injection: queues a failure for the next requests (see [`Fault`]). Faults are
    /// used up in order, one request at a time, whatever the request; a refusal (429, 5xx)
    /// is answered without checking or carrying out the request, and does not count against
    /// the quotas. Answers keep their `X-RateLimit-*` headers, which show the real quota.
    pub fn inject(&self, fault: Fault) {
        lock(&self.app.faults).push(fault);
    }

    /// Drops the faults not used up yet.
    pub fn clear_faults(&self) {
        lock(&self.app.faults).clear();
    }

    /// Prints one line per request (method, path and query, status) on stderr. Used by the
    /// standalone binary; tests normally rely on [`Emulator::requests`] instead.
    pub fn log_requests_to_stderr(&self, enabled: bool) {
        self.app.set_logging(enabled);
    }

    /// The stored record of a customer, with every field (SEPA ones included), or `None` if
    /// the firm or the customer does not exist.
    pub fn customer(&self, firm_id: u64, customer_id: u64) -> Option<Value> {
        let store = lock(&self.app.store);
        let customer = store
            .firm_by_id(firm_id)?
            .find(customers::CUSTOMERS.name, customer_id)?;
        Some(Value::Object(customer.fields.clone()))
    }

    /// Whether a customer is archived (the API has no field for it), or `None` if unknown.
    pub fn customer_archived(&self, firm_id: u64, customer_id: u64) -> Option<bool> {
        let store = lock(&self.app.store);
        let customer = store
            .firm_by_id(firm_id)?
            .find(customers::CUSTOMERS.name, customer_id)?;
        Some(customer.archived)
    }

    /// Every customer of a firm, archived ones included, in id order.
    pub fn customers(&self, firm_id: u64) -> Vec<Value> {
        let store = lock(&self.app.store);
        store
            .firm_by_id(firm_id)
            .map(|firm| {
                firm.records(customers::CUSTOMERS.name)
                    .map(|customer| Value::Object(customer.fields.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stores a customer directly, bypassing the API's validation, and returns its new id.
    ///
    /// Any field of the reference's table may be given, read-only ones included (for example
    /// `last_invoiced_on` to get a customer that cannot be deleted); `id` is always allocated.
    /// The extra key `"archived": true` stores the customer as archived. Missing fields get the
    /// same defaults as a creation through the API.
    ///
    /// # Panics
    /// If `fields` is not a JSON object or `firm_id` is not one of the configured firms: both
    /// are mistakes in the calling test.
    pub fn insert_customer(&self, firm_id: u64, fields: Value) -> u64 {
        self.insert_record(firm_id, "customers", fields)
    }

    /// A record as `GET …/{resource}/{id}.json` shows it, with everything a detail view can
    /// hold (lines, files, settlements, bank details); download links are relative. `resource`
    /// is named as in the URL: `"quotes"`, `"invoices"`, `"suppliers"`, `"products"`,
    /// `"categories"`, `"followups"`, `"purchases"`, `"customers"`, `"assets"`,
    /// `"settlements"`, `"recurring_invoices"` or `"recurring_purchases"`. `None` if the
    /// firm, the resource or the record is unknown.
    pub fn record(&self, firm_id: u64, resource: &str, id: u64) -> Option<Value> {
        let store = lock(&self.app.store);
        let firm = store.firm_by_id(firm_id)?;
        let record = firm.find(resource, id)?;
        Some(full_view(firm, resource, record))
    }

    /// Every record of a resource in a firm, in id order, shown as [`Emulator::record`] does
    /// (archived customers included; `"settlements"` gives those of every invoice).
    pub fn records(&self, firm_id: u64, resource: &str) -> Vec<Value> {
        let store = lock(&self.app.store);
        let Some(firm) = store.firm_by_id(firm_id) else {
            return Vec::new();
        };
        firm.records(resource)
            .map(|record| full_view(firm, resource, record))
            .collect()
    }

    /// Stores a record directly, bypassing the API's validation, and returns its new id.
    ///
    /// Any field of the resource's table may be given, read-only ones included; the usual
    /// defaults fill the rest, and quotes and invoices get line ids, totals and numbers
    /// (an invoice with `"draft": true` stays unnumbered). Extra keys: `"archived": true` for
    /// customers, `"system": true` for a supplier managed by the service. Assets take the
    /// owner's id (`"quote_id"`, `"invoice_id"`, `"customer_id"` or `"purchase_id"`),
    /// `"document_name"`, `"content"` (the file's text), `"content_type"` and `"visible"`.
    ///
    /// # Panics
    /// If `fields` is not a JSON object, the firm is not configured, the resource is unknown
    /// or read-only data is missing (an asset without owner): mistakes in the calling test.
    pub fn insert_record(&self, firm_id: u64, resource: &str, fields: Value) -> u64 {
        let Value::Object(fields) = fields else {
            panic!("insert_record expects a JSON object, got {fields}");
        };
        let mut store = lock(&self.app.store);
        seed::insert(&mut store, firm_id, resource, &fields)
    }

    /// The bytes of an uploaded (or seeded) file, as its download returns them.
    pub fn asset_bytes(&self, firm_id: u64, asset_id: u64) -> Option<Vec<u8>> {
        let store = lock(&self.app.store);
        let blob = store.firm_by_id(firm_id)?.blobs.get(&asset_id)?;
        Some(blob.bytes.clone())
    }

    /// Every e-mail sent through `POST emails.json`, oldest first: `firm_id`, `bill_id`,
    /// `bill_type` (`"quote"` or `"invoice"`), `template`, `to`, `cc`, `bcc`, `subject`,
    /// `message` and `sent_at`.
    pub fn sent_emails(&self) -> Vec<Value> {
        lock(&self.app.store).emails.clone()
    }
}

/// A record's detail view for the test accessors.
fn full_view(firm: &Firm, resource: &str, record: &state::Record) -> Value {
    match engine_resource(resource) {
        Some(resource) => {
            let params = QueryParams::new(Some("with_sepa=1"));
            let shape = Shape {
                list: false,
                params: &params,
                origin: "",
            };
            resource.view(firm, record, &shape)
        }
        None => Value::Object(record.fields.clone()),
    }
}

/// Every resource served by the generic engine, by URL name.
pub(crate) fn engine_resource(name: &str) -> Option<&'static engine::Resource> {
    [
        &customers::CUSTOMERS,
        &categories::CATEGORIES,
        &categories::FOLLOWUPS,
        &products::PRODUCTS,
        &suppliers::SUPPLIERS,
        &purchases::PURCHASES,
        &quotes::QUOTES,
        &invoices::INVOICES,
        &settlements::SETTLEMENTS,
        &recurring::RECURRING_INVOICES,
        &recurring::RECURRING_PURCHASES,
    ]
    .into_iter()
    .find(|resource| resource.name == name)
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The receiver is gone only if the server already stopped on its own.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread has already been printed; re-raising it in a
            // destructor would only turn it into an abort.
            let _ = thread.join();
        }
    }
}
