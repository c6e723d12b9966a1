//! An in-memory stand-in for the Facturation.PRO HTTP API.
//!
//! The end-to-end tests point the MCP server at this emulator instead of the real service, so
//! they run offline, never touch real invoicing data, and can inspect exactly what the client
//! sent. The emulator follows the vendor's published API reference (auth, User-Agent rule,
//! pagination, error shapes, rate limits), not the assumptions of any particular client.
//!
//! Each [`Emulator`] owns a background thread with its own single-threaded tokio runtime, so
//! synchronous tests can start several independent emulators side by side.

mod account;
mod auth;
mod body;
mod clock;
mod customer_fields;
mod customers;
mod error;
mod pagination;
mod pdf;
mod query;
mod rate_limit;
mod recording;
mod seed;
mod server;
mod state;
#[cfg(test)]
mod tests;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use serde_json::Value;
use tokio::sync::oneshot;

pub use recording::RecordedRequest;

use server::App;
use state::lock;

/// How an emulator instance behaves: credentials it accepts, the account it serves, limits.
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
    /// Whether to start with a few realistic customers (see `seed.rs`).
    pub seed_demo_data: bool,
    /// Requests allowed in any sliding 5-minute window.
    pub rate_limit_per_5min: u32,
    /// Requests allowed in any sliding 24-hour window.
    pub rate_limit_per_day: u32,
    /// Port to bind on 127.0.0.1; 0 lets the OS pick a free one.
    pub port: u16,
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
            seed_demo_data: true,
            // The vendor's documented quotas.
            rate_limit_per_5min: 600,
            rate_limit_per_day: 10_000,
            port: 0,
        }
    }
}

/// A running emulator. Dropping it stops the server and frees the port.
pub struct Emulator {
    addr: SocketAddr,
    app: Arc<App>,
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
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the emulator's tokio runtime")?;
        // Registering the socket with tokio needs a runtime context.
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };

        let app = Arc::new(App::new(&config));
        let router = server::router(Arc::clone(&app));
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
            app,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far, in arrival order, rejected ones included. A request
    /// still being handled shows `status == 0`.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.app.recorder).snapshot()
    }

    pub fn clear_requests(&self) {
        lock(&self.app.recorder).clear();
    }

    /// Fault injection: while `Some(url)`, every request is answered `302 Found` with
    /// `Location: {url}{original path and query}`, before any other check.
    pub fn redirect_everything_to(&self, target: Option<String>) {
        *lock(&self.app.redirect_target) = target;
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
        let customer = store.firm_by_id(firm_id)?.customers.get(&customer_id)?;
        Some(Value::Object(customer.fields.clone()))
    }

    /// Whether a customer is archived (the API has no field for it), or `None` if unknown.
    pub fn customer_archived(&self, firm_id: u64, customer_id: u64) -> Option<bool> {
        let store = lock(&self.app.store);
        let customer = store.firm_by_id(firm_id)?.customers.get(&customer_id)?;
        Some(customer.archived)
    }

    /// Every customer of a firm, archived ones included, in id order.
    pub fn customers(&self, firm_id: u64) -> Vec<Value> {
        let store = lock(&self.app.store);
        store
            .firm_by_id(firm_id)
            .map(|firm| {
                firm.customers
                    .values()
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
        let Value::Object(fields) = fields else {
            panic!("insert_customer expects a JSON object, got {fields}");
        };
        let mut store = lock(&self.app.store);
        seed::insert(&mut store, firm_id, &fields)
            .unwrap_or_else(|| panic!("firm {firm_id} is not configured in this emulator"))
    }
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
