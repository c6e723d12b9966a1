//! Loads the tool component once and runs each HTTP request in a fresh instance of it,
//! inside the sandbox that [`GuestState`] describes. Instances share nothing but what the
//! host gives them all (the gate's pacing and audit log), so a crash, a runaway loop or a
//! cancelled call ends one request and nothing else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, anyhow};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};
use wasmtime::error::Context as _;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

use crate::api_gate::GateShared;
use crate::config::{Authentication, Settings};
use crate::engine_config::engine_config;
use crate::instance_pool::{self, Slots};
use crate::remote::bearer::Caller;
use crate::sandbox::{self, GuestState};
use crate::spent_states::{Redeemed, SpentStates};
use crate::store::Store as ServerStore;
use crate::store::sealing::StoreKey;
use crate::watchdog;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The tool component, built by build.rs for wasm32-wasip2 and compiled there to machine
/// code for this program's target and engine settings.
const GUEST_PRECOMPILED: &[u8] = include_bytes!(env!("GUEST_PRECOMPILED_PATH"));

/// The largest answer taken from the component. Its largest real ones (a file read back
/// inline, the tool list) are a few MiB; the bound stops a guest that writes without end
/// from filling the host's memory, which its own memory limit cannot do, since it need not
/// hold what it writes.
const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// The protocol revision of the requests the host makes itself, and the per-request
/// metadata keys of that revision.
pub const MODERN_VERSION: &str = "2026-07-28";
pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Which component to run: ours, or (for tests) another one under the same sandbox.
pub enum ComponentSource<'a> {
    Embedded,
    File(&'a Path),
}

/// The component, ready to instantiate, with what every instance shares.
#[derive(Clone)]
pub struct Runner {
    pre: ProxyPre<GuestState>,
    /// Instances that may exist at once (the pool's size, when instances are pooled).
    slots: Slots,
    /// Keeps the epoch advancing while guests run, for the budget of computation.
    ticker: watchdog::Ticker,
    settings: Arc<Settings>,
    gate: Arc<GateShared>,
    /// The guest's environment, the same for every instance.
    environment: Arc<[(String, String)]>,
    /// Confirmation states already redeemed, so that each confirms one call.
    spent: Arc<SpentStates>,
    /// The remote connector's store, in that mode.
    store: Option<Arc<ServerStore>>,
}

/// What one request's instance is given: the process's settings, or a user's own.
struct UserView {
    environment: Arc<[(String, String)]>,
    downloads_dir: PathBuf,
    state_key: String,
}

/// Why a request got no answer from the component.
#[derive(Debug)]
pub struct Crash(pub String);

impl Runner {
    pub fn load(settings: Settings, source: ComponentSource<'_>) -> Result<Runner> {
        let (engine, slots) = instance_pool::engine(
            engine_config(),
            settings.serve_limits.max_in_flight,
            sandbox::MEMORY_LIMIT_BYTES,
        )?;
        let ticker = watchdog::Ticker::start(&engine);
        let component = match source {
            // SAFETY: these bytes are what build.rs produced with `precompile_component` for
            // an engine with these very settings, embedded in this binary; nothing from
            // outside the program is ever loaded as machine code.
            ComponentSource::Embedded => unsafe {
                Component::deserialize(&engine, GUEST_PRECOMPILED)?
            },
            // Another component (a test probe) is compiled here, at start.
            #[cfg(feature = "compiler")]
            ComponentSource::File(path) => Component::from_file(&engine, path)
                .with_context(|| format!("cannot load component {}", path.display()))?,
            // What ships has no compiler: it runs its own component and nothing else.
            #[cfg(not(feature = "compiler"))]
            ComponentSource::File(path) => {
                return Err(anyhow!(
                    "cannot run {}: this build runs only its own precompiled component \
                     (--component needs a build with the `compiler` feature, the default \
                     of a source build)",
                    path.display()
                ));
            }
        };
        let mut linker = Linker::<GuestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        // Matching the component's imports against what the sandbox provides happens once,
        // here, so each request only instantiates.
        let pre = linker
            .instantiate_pre(&component)
            .context("the component asks for something the sandbox does not grant")?;
        let pre = ProxyPre::new(pre)
            .context("the component does not export wasi:http/incoming-handler")?;
        std::fs::create_dir_all(&settings.downloads_dir).with_context(|| {
            format!(
                "cannot create the downloads folder {} (FACTURATION_DOWNLOADS_DIR)",
                settings.downloads_dir.display()
            )
        })?;
        let store = match &settings.authentication {
            Authentication::Remote(remote) => Some(Arc::new(ServerStore::open(
                &remote.store,
                remote.store_key.clone(),
            )?)),
            _ => None,
        };
        let gate = Arc::new(GateShared::new(&settings, store.clone())?);
        let answered_states = match (&store, &settings.answered_states) {
            (Some(store), _) => Some(store.clone()),
            (None, Some(location)) => Some(Arc::new(
                ServerStore::open(
                    location,
                    StoreKey::derived_from(settings.state_key.as_bytes()),
                )
                .map_err(|error| {
                    error.context(
                        "cannot open the store of answered confirmations (FACTURATION_STORE, or \
                         answered-states.sqlite3 in the configuration folder), needed because \
                         FACTURATION_STATE_KEY is set",
                    )
                })?,
            )),
            (None, None) => None,
        };
        Ok(Runner {
            pre,
            slots,
            ticker,
            environment: sandbox::environment(&settings).into(),
            spent: Arc::new(SpentStates::new(answered_states)),
            store,
            settings: Arc::new(settings),
            gate,
        })
    }

    /// Sends a 2026-07-28 request of the host's own (no client's) through a fresh instance,
    /// headers and `_meta` included; returns the HTTP status and the JSON-RPC reply.
    pub async fn ask(
        &self,
        method: &str,
        mut params: serde_json::Value,
    ) -> Result<(http::StatusCode, serde_json::Value)> {
        params["_meta"] =
            serde_json::json!({ META_VERSION: MODERN_VERSION, META_CAPABILITIES: {} });
        let message =
            serde_json::json!({ "jsonrpc": "2.0", "id": 0, "method": method, "params": params });
        let response = self
            .handle_message(&modern_headers(&message), Bytes::from(message.to_string()))
            .await
            .map_err(|crash| anyhow!(crash.0))?;
        let reply = serde_json::from_slice(response.body()).unwrap_or_default();
        Ok((response.status(), reply))
    }

    /// Asks the component once for its discovery answer, so that a setting only it checks
    /// (tool names, toolsets, confirmation) stops the server before any traffic, with the
    /// component's own one-line explanation.
    pub async fn check_guest_settings(&self) -> Result<()> {
        let (status, reply) = self.ask("server/discover", serde_json::json!({})).await?;
        if status == http::StatusCode::OK {
            return Ok(());
        }
        let message = reply["error"]["message"]
            .as_str()
            .unwrap_or("the component refused to start");
        Err(anyhow!(
            message
                .trim_start_matches("facturation-pro-mcp: ")
                .to_string()
        ))
    }

    /// The OAuth session requests are signed with, if that is the way in.
    pub fn oauth(&self) -> Option<&crate::oauth::session::OAuthSession> {
        self.gate.oauth()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The logged writes on their way, for the process to settle before it exits.
    pub fn writes_in_flight(&self) -> Arc<crate::api_gate::WritesInFlight> {
        self.gate.writes_in_flight()
    }

    /// The remote connector's store, in that mode.
    pub fn store(&self) -> Option<&Arc<ServerStore>> {
        self.store.as_ref()
    }

    /// Passes one JSON-RPC message to a fresh instance as `POST /mcp`, with `headers` besides
    /// the content type.
    pub async fn handle_message(
        &self,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<http::Response<Bytes>, Crash> {
        self.handle_message_as(headers, body, None).await
    }

    /// [`Self::handle_message`] for one user of the remote mode.
    pub async fn handle_message_as(
        &self,
        headers: &[(&'static str, String)],
        body: Bytes,
        caller: Option<Arc<Caller>>,
    ) -> Result<http::Response<Bytes>, Crash> {
        let mut request = http::Request::post("http://localhost/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(body)
            .map_err(|problem| Crash(format!("cannot pass the request on: {problem}")))?;
        self.handle_as(request, caller).await
    }

    /// Runs one request in a fresh instance and returns the whole response. Dropping the
    /// future drops the instance, and with it every API request it was waiting on.
    /// `caller`, in the remote mode, is the user it runs for: the instance gets that user's own
    /// confirmation key (a state asked of one user does not open for another), downloads
    /// folder and access (read only when their token's scope is), and the gate signs its
    /// requests with that user's Facturation.PRO tokens.
    pub async fn handle_as(
        &self,
        request: http::Request<Bytes>,
        caller: Option<Arc<Caller>>,
    ) -> Result<http::Response<Bytes>, Crash> {
        let view = match &caller {
            None => UserView {
                environment: self.environment.clone(),
                downloads_dir: self.settings.downloads_dir.clone(),
                state_key: self.settings.state_key.clone(),
            },
            Some(caller) => self
                .user_view(caller)
                .map_err(|error| Crash(format!("cannot prepare the user's sandbox: {error:#}")))?,
        };
        let (mut parts, body) = request.into_parts();
        let (body, claim) = match self.spent.redeem(body, view.state_key.as_bytes()) {
            Redeemed::Run(body, claim) => (body, claim),
            Redeemed::Refuse(reply) => return Ok(json_reply(reply)),
        };
        if parts.headers.contains_key(http::header::CONTENT_LENGTH) {
            parts
                .headers
                .insert(http::header::CONTENT_LENGTH, body.len().into());
        }
        let response = self
            .run(http::Request::from_parts(parts, body), &view, caller)
            .await
            .map_err(|error| Crash(describe(&error)))?;
        if let Some(claim) = claim {
            self.spent.settle(claim, response.body());
        }
        Ok(response)
    }

    /// What an instance for `caller` is given instead of the process-wide settings.
    fn user_view(&self, caller: &Caller) -> Result<UserView> {
        let user = &caller.user.id;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.settings.state_key.as_bytes())?;
        mac.update(format!("user:{user}").as_bytes());
        let state_key: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let downloads_dir = self.settings.downloads_dir.join("users").join(user);
        std::fs::create_dir_all(&downloads_dir)?;
        let mut environment: Vec<(String, String)> = self
            .environment
            .iter()
            .map(|(name, value)| {
                let value = match name.as_str() {
                    "FACTURATION_STATE_KEY" => state_key.clone(),
                    "FACTURATION_DOWNLOADS_DIR" => downloads_dir.display().to_string(),
                    _ => value.clone(),
                };
                (name.clone(), value)
            })
            .collect();
        if caller.read_only && !self.settings.read_only {
            environment.push(("FACTURATION_READ_ONLY".into(), "1".into()));
        }
        Ok(UserView {
            environment: environment.into(),
            downloads_dir,
            state_key,
        })
    }

    async fn run(
        &self,
        request: http::Request<Bytes>,
        view: &UserView,
        caller: Option<Arc<Caller>>,
    ) -> Result<http::Response<Bytes>> {
        // Declared before the store, so released after it: the slot is free once the
        // instance is gone.
        let slot = self.slots.take().await;
        let state = GuestState::new(
            &view.environment,
            &view.downloads_dir,
            self.gate.clone(),
            caller,
        )?;
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(GuestState::limiter);
        let meter = self.ticker.meter();
        watchdog::arm(&mut store, &meter, self.settings.cpu_limit);
        let request = request.map(|body| {
            Full::new(body).map_err(
                |never: std::convert::Infallible| -> wasmtime_wasi_http::Error { match never {} },
            )
        });
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        let proxy = meter.charge(self.pre.instantiate_async(&mut store)).await?;
        // The guest writes the body while `handle` runs, so the body is read alongside:
        // waiting for `handle` first would stall a body larger than the pipe.
        let call = meter.charge(
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam),
        );
        let response = async {
            let response = match receiver.await {
                Ok(Ok(response)) => response,
                Ok(Err(code)) => {
                    return Err(anyhow!("the component answered with an error: {code:?}"));
                }
                Err(_) => return Err(anyhow!("the component ended without answering")),
            };
            let (parts, body) = response.into_parts();
            let body = match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
                Ok(body) => body.to_bytes(),
                Err(error) if error.is::<LengthLimitError>() => {
                    return Err(anyhow!(
                        "the component's answer is larger than {} MiB and was dropped",
                        MAX_RESPONSE_BYTES >> 20
                    ));
                }
                Err(error) => return Err(anyhow!("the component's answer was cut off: {error}")),
            };
            Ok(http::Response::from_parts(parts, body))
        };
        let outcome = {
            tokio::pin!(response);
            tokio::select! {
                // The usual order: the body is complete, so the guest's work is done.
                response = &mut response => response,
                // A trap explains a missing answer better than the missing answer does; and
                // the answer's sender lives in the store, so it cannot report the loss before
                // the store is dropped.
                called = call => {
                    called?;
                    response.await
                }
            }
        };
        // Tearing the instance down (its memory reset for the next one, its handles closed)
        // waits until the answer is on its way: the caller has no need to wait for it.
        // Dropped mid-request (a cancelled call), the store still goes at once, with the
        // API requests it was waiting on.
        tokio::spawn(async move {
            drop(store);
            drop(slot);
        });
        outcome
    }
}

/// A JSON-RPC reply of the host's own, as the component would send it.
fn json_reply(body: Bytes) -> http::Response<Bytes> {
    let mut response = http::Response::new(body);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// One line saying what happened, in the words the tests and users look for.
fn describe(error: &anyhow::Error) -> String {
    let cause = error.root_cause().to_string();
    let hint = if cause.contains("growing memory") {
        " (it reached the sandbox's memory limit)"
    } else {
        ""
    };
    format!("the tool component crashed while handling this request: {cause}{hint}")
}

/// The headers a 2026-07-28 HTTP client would send, derived from the body: on stdio, and
/// for the host's own requests, there are no headers to disagree with it.
pub fn modern_headers(message: &serde_json::Value) -> Vec<(&'static str, String)> {
    let params = &message["params"];
    let mut headers = Vec::new();
    if let Some(version) = params["_meta"][META_VERSION].as_str() {
        headers.push(("mcp-protocol-version", version.to_string()));
    }
    if let Some(method) = message["method"].as_str() {
        headers.push(("mcp-method", method.to_string()));
    }
    if let Some(name) = params["name"].as_str().or_else(|| params["uri"].as_str()) {
        headers.push(("mcp-name", header_safe(name)));
    }
    headers
}

/// A value as a header carries it: plain when it is printable ASCII, else in the base64 form
/// the transport defines.
pub fn header_safe(value: &str) -> String {
    let plain = value.bytes().all(|byte| (0x21..0x7f).contains(&byte))
        && !(value.starts_with("=?base64?") && value.ends_with("?="));
    if plain {
        value.to_string()
    } else {
        format!("=?base64?{}?=", BASE64_STANDARD.encode(value))
    }
}
