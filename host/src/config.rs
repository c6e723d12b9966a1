//! The host's configuration: FACTURATION_* variables from the environment, then from a
//! `.env` file the user chose (the environment wins): the one `--env-file` names, or else
//! the one in the configuration folder that `install.sh` writes. Never a `.env` from the
//! working folder: editors start the server in whatever project is open, and a cloned
//! repository's `.env` could then point the API key at a server of its choosing.
//! Everything is checked here, before any MCP traffic, so a mistake is one clear line naming
//! the variable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use http::Uri;

use crate::oauth::{self, OAuthSettings};
use crate::outgoing::Client;
use crate::outgoing::network::NetworkSettings;
use crate::remote::RemoteSettings;
use crate::store::StoreLocation;

pub const DEFAULT_BASE_URL: &str = "https://www.facturation.pro";
/// The setting that lets FACTURATION_BASE_URL be plain http:// beyond this machine.
const ALLOW_PLAIN_HTTP: &str = "FACTURATION_ALLOW_PLAIN_HTTP";
const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Far more than any tool needs between two reads or writes; a loop that long is a bug.
const DEFAULT_CPU_LIMIT_SECS: u64 = 30;

/// Scheme, host and port: the one place outgoing HTTP may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin as a base URL with no trailing slash, default ports left out.
    pub fn base_url(&self) -> String {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default_port {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }

    /// Whether `uri` points at this origin (scheme, host and effective port all equal).
    pub fn admits(&self, uri: &Uri) -> bool {
        match Origin::of(uri) {
            Ok(other) => other == *self,
            Err(_) => false,
        }
    }

    /// Whether the host is this machine by its address or its usual name.
    fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    }

    fn of(uri: &Uri) -> Result<Origin> {
        let scheme = uri.scheme_str().context("no scheme")?.to_ascii_lowercase();
        let port = match (uri.port_u16(), scheme.as_str()) {
            (Some(port), _) => port,
            (None, "https") => 443,
            (None, "http") => 80,
            _ => bail!("only http and https are supported"),
        };
        let host = uri.host().context("no host")?.to_ascii_lowercase();
        Ok(Origin { scheme, host, port })
    }
}

/// How the host proves to the API who it acts for. Either way the credentials stay in the
/// host: the API gate adds them to each request on its way out.
#[derive(Clone)]
pub enum Authentication {
    /// HTTP Basic with the API id and key.
    ApiKey { id: String, key: String },
    /// The OAuth sign-in kept in the token store (`facturation-pro-mcp login`).
    OAuth(OAuthSettings),
    /// Many users, each signed in through this server (`serve --http --public-url`): each
    /// request runs with its own user's Facturation.PRO tokens.
    Remote(Box<RemoteSettings>),
}

/// Says which way in, never the key: Settings are `Debug`, and a stray `{:?}` must not leak it.
impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authentication::ApiKey { id, .. } => f
                .debug_struct("ApiKey")
                .field("id", id)
                .finish_non_exhaustive(),
            Authentication::OAuth(settings) => f.debug_tuple("OAuth").field(settings).finish(),
            Authentication::Remote(settings) => f.debug_tuple("Remote").field(settings).finish(),
        }
    }
}

#[derive(Clone)]
pub struct Settings {
    pub authentication: Authentication,
    pub origin: Origin,
    pub firm_id: Option<u64>,
    /// None when unset: the vendor asks for an application name and a contact, so we warn.
    pub user_agent: Option<String>,
    pub downloads_dir: PathBuf,
    /// Cap on connecting, on the first response byte, and between response bytes.
    pub request_timeout: Duration,
    /// Passed through to the guest: how many tools one `tools/list` page holds.
    pub tools_page_size: Option<usize>,
    /// Only GET requests leave the sandbox, and the guest offers only reading tools.
    pub read_only: bool,
    /// Passed through as given; the guest checks them itself (it knows the tool names):
    /// which tools to offer, confirmation, and the request quotas.
    pub guest_settings: Vec<(String, String)>,
    /// How long the guest may compute without any input or output before it is stopped.
    pub cpu_limit: Duration,
    /// Where write requests are logged; None when turned off.
    pub audit_log: Option<PathBuf>,
    /// Requests allowed in any 5 minutes, and in any 24 hours: the vendor's quotas unless
    /// the key has others (or is shared with other programs, which then need their part).
    pub requests_per_5_minutes: usize,
    pub requests_per_day: usize,
    /// Seals the guest's confirmation states: FACTURATION_STATE_KEY, or a random one per
    /// process (a state then does not outlive the process, which is fine for a question).
    pub state_key: String,
    /// Where answered confirmation states are remembered when a fixed state key lets them
    /// verify in other processes and after a restart (see [`answered_states`]); None keeps
    /// them in this process's memory, or in the remote connector's own store.
    pub answered_states: Option<StoreLocation>,
    /// Bearer token that `serve --http` requires (FACTURATION_HTTP_TOKEN). The host checks
    /// it; the guest never sees it.
    pub http_token: Option<String>,
    /// Caps and timeouts of the transports (`serve --http`, and the in-flight cap on stdio).
    pub serve_limits: crate::http_server::limits::ServeLimits,
    /// The one client outgoing requests leave through (API and OAuth alike), with the
    /// proxy and CA settings it was made with.
    pub client: Client,
}

/// Lists every field, with the secrets (state key, HTTP token; the API key is already
/// hidden by [`Authentication`]'s own `Debug`) shown only as set or not.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Settings {
            authentication,
            origin,
            firm_id,
            user_agent,
            downloads_dir,
            request_timeout,
            tools_page_size,
            read_only,
            guest_settings,
            cpu_limit,
            audit_log,
            requests_per_5_minutes,
            requests_per_day,
            state_key: _,
            answered_states,
            http_token,
            serve_limits,
            client,
        } = self;
        f.debug_struct("Settings")
            .field("authentication", authentication)
            .field("origin", origin)
            .field("firm_id", firm_id)
            .field("user_agent", user_agent)
            .field("downloads_dir", downloads_dir)
            .field("request_timeout", request_timeout)
            .field("tools_page_size", tools_page_size)
            .field("read_only", read_only)
            .field("guest_settings", guest_settings)
            .field("cpu_limit", cpu_limit)
            .field("audit_log", audit_log)
            .field("requests_per_5_minutes", requests_per_5_minutes)
            .field("requests_per_day", requests_per_day)
            .field("state_key", &"<hidden>")
            .field("answered_states", answered_states)
            .field("http_token", &http_token.as_ref().map(|_| "<hidden>"))
            .field("serve_limits", serve_limits)
            .field("network", client.network())
            .finish()
    }
}

/// Where the variables come from: the process environment first, then the `.env` file.
pub struct Source {
    env: HashMap<String, String>,
    file: HashMap<String, String>,
    /// The `.env` file read, if any: the downloads folder must not hold it.
    file_path: Option<PathBuf>,
}

/// The process environment as text. A variable that is not valid UTF-8 is skipped, unless
/// it is one of ours, which is refused by name (its value may be a secret, and is not shown).
fn environment() -> Result<HashMap<String, String>> {
    let mut env = HashMap::new();
    for (name, value) in std::env::vars_os() {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => {
                env.insert(name, value);
            }
            (Ok(name), Err(_)) if name.starts_with("FACTURATION_") => {
                bail!("{name} is not valid UTF-8 text")
            }
            _ => {}
        }
    }
    Ok(env)
}

impl Source {
    /// Reads the process environment and a `.env` file: `env_file` when given (it must
    /// exist), else the configuration folder's when there is one.
    pub fn load(env_file: Option<&Path>) -> Result<Source> {
        let env = environment()?;
        let file_path = match env_file {
            Some(path) => Some(path.to_path_buf()),
            None => config_folder(|name| env.get(name).cloned())
                .map(|folder| folder.join("facturation-pro-mcp").join(".env"))
                .filter(|path| path.exists()),
        };
        let mut file = HashMap::new();
        if let Some(path) = &file_path {
            // A FIFO or a device would hang or flood the start; a settings file is a file.
            if !std::fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
                bail!(
                    "the settings file {} is missing or not a regular file",
                    path.display()
                );
            }
            let entries = dotenvy::from_path_iter(path)
                .with_context(|| format!("cannot read the settings file {}", path.display()))?;
            for entry in entries {
                // dotenvy's own message quotes the line, which may hold a key.
                let Ok((key, value)) = entry else {
                    bail!(
                        "{} is malformed after its setting number {}: a line without `=`, or \
                         a quote not closed (the line is not shown, since it may hold a secret)",
                        path.display(),
                        file.len()
                    );
                };
                file.insert(key, value);
            }
        }
        Ok(Source {
            env,
            file,
            file_path,
        })
    }

    /// Sets a variable as the environment would (a command-line option that names one).
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.insert(name.to_string(), value.to_string());
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Source {
        let env = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Source {
            env,
            file: HashMap::new(),
            file_path: None,
        }
    }

    /// A whole number within `range`, if the variable is set.
    pub(crate) fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<u64>() {
            Ok(value) if range.contains(&value) => Ok(Some(value)),
            _ if *range.end() == u64::MAX => {
                bail!("{name} must be a positive integer, got {raw:?}")
            }
            _ => bail!(
                "{name} must be a whole number from {} to {}, got {raw:?}",
                range.start(),
                range.end()
            ),
        }
    }

    /// A variable's value; blank counts as unset.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .or_else(|| self.file.get(name))
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    }
}

impl Settings {
    pub fn from_source(source: &Source) -> Result<Settings> {
        let required = |name: &str, what: &str| {
            source
                .get(name)
                .with_context(|| format!("{name} is not set: {what}"))
        };
        let origin = Self::origin(source)?;
        let client = Self::client(source)?;
        let request_timeout = client.timeout();
        let api_key = || -> Result<Authentication> {
            Ok(Authentication::ApiKey {
                id: required(
                    "FACTURATION_API_ID",
                    "your API id, from Facturation.PRO > Clé API (or sign in with `facturation-pro-mcp login`)",
                )?,
                key: required(
                    "FACTURATION_API_KEY",
                    "your API key, from Facturation.PRO > Clé API",
                )?,
            })
        };
        let oauth = || OAuthSettings::from_source(source, &origin, &client);
        let authentication = match source.get("FACTURATION_PUBLIC_URL") {
            Some(public_url) => {
                for single_user in [
                    "FACTURATION_HTTP_TOKEN",
                    "FACTURATION_FIRM_ID",
                    "FACTURATION_AUTH",
                ] {
                    if source.get(single_user).is_some() {
                        bail!(
                            "{single_user} is for one user; the remote connector \
                             (FACTURATION_PUBLIC_URL) signs each user in with their own account: \
                             remove it"
                        );
                    }
                }
                Authentication::Remote(Box::new(RemoteSettings::from_source(
                    source,
                    &public_url,
                    oauth()?,
                )?))
            }
            None => match source.get("FACTURATION_AUTH").as_deref() {
                Some("key") => api_key()?,
                Some("oauth") => Authentication::OAuth(oauth()?),
                // The API key stays the fallback: OAuth only once a sign-in is stored.
                None => match oauth() {
                    Ok(settings) if oauth::store::has_tokens(&settings.store) => {
                        Authentication::OAuth(settings)
                    }
                    _ => api_key()?,
                },
                Some(other) => bail!("FACTURATION_AUTH must be oauth or key, got {other:?}"),
            },
        };
        let firm_id = source.number("FACTURATION_FIRM_ID", 1..=u64::MAX)?;
        let user_agent = source.get("FACTURATION_USER_AGENT");
        if let Some(agent) = &user_agent
            && !agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            bail!("FACTURATION_USER_AGENT must be plain ASCII (no accents), as the API requires");
        }
        let downloads_dir = match source.get("FACTURATION_DOWNLOADS_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => default_downloads_dir(source)?,
        };
        let seconds = |name: &str, default: u64, range| -> Result<Duration> {
            Ok(Duration::from_secs(
                source.number(name, range)?.unwrap_or(default),
            ))
        };
        let cpu_limit = seconds(
            "FACTURATION_CPU_LIMIT_SECS",
            DEFAULT_CPU_LIMIT_SECS,
            1..=3600,
        )?;
        let tools_page_size = source
            .number("FACTURATION_TOOLS_PAGE_SIZE", 1..=10_000)?
            .map(|size| size as usize);
        let audit_log = audit_log(source);
        check_downloads_folder(source, &downloads_dir, audit_log.as_deref())?;
        let quota = |name: &str, default: u64| -> Result<usize> {
            Ok(source.number(name, 1..=u64::MAX)?.unwrap_or(default) as usize)
        };
        Ok(Settings {
            requests_per_5_minutes: quota("FACTURATION_REQUESTS_PER_5MIN", 600)?,
            requests_per_day: quota("FACTURATION_REQUESTS_PER_DAY", 10_000)?,
            answered_states: answered_states(source, &authentication)?,
            state_key: match source.get("FACTURATION_STATE_KEY") {
                Some(key) => key,
                None => random_key()?,
            },
            http_token: source.get("FACTURATION_HTTP_TOKEN"),
            serve_limits: crate::http_server::limits::ServeLimits::from_source(source)?,
            client,
            cpu_limit,
            audit_log,
            authentication,
            origin,
            firm_id,
            user_agent,
            downloads_dir,
            request_timeout,
            tools_page_size,
            read_only: read_only(source)?,
            guest_settings: [
                "FACTURATION_TOOLSETS",
                "FACTURATION_TOOLS",
                "FACTURATION_EXCLUDE_TOOLS",
                "FACTURATION_CONFIRM",
                "FACTURATION_HTTP_ALLOWED_ORIGINS",
            ]
            .into_iter()
            .filter_map(|name| source.get(name).map(|value| (name.to_string(), value)))
            .collect(),
        })
    }

    /// The outgoing client: FACTURATION_TIMEOUT_SECS, the proxy variables and
    /// FACTURATION_CA_FILE, checked (what `login` and `logout` need too).
    pub fn client(source: &Source) -> Result<Client> {
        let timeout = Duration::from_secs(
            source
                .number("FACTURATION_TIMEOUT_SECS", 1..=600)?
                .unwrap_or(DEFAULT_TIMEOUT_SECS),
        );
        Client::new(NetworkSettings::from_source(source)?, timeout)
    }

    /// FACTURATION_BASE_URL, checked; what `login` and `logout` need besides OAuth's own.
    /// Plain `http://` is for an API on this machine (a local emulator, a test): anywhere
    /// else the key would cross the network readable, so it takes a named setting.
    pub fn origin(source: &Source) -> Result<Origin> {
        let origin = parse_base_url(
            &source
                .get("FACTURATION_BASE_URL")
                .unwrap_or(DEFAULT_BASE_URL.into()),
        )?;
        let allowed = match source.get(ALLOW_PLAIN_HTTP).as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => bail!("{ALLOW_PLAIN_HTTP} must be 1 or 0, got {other:?}"),
        };
        if origin.scheme == "http" && !origin.is_loopback() && !allowed {
            bail!(
                "FACTURATION_BASE_URL is plain http:// to {}, which is not this machine: the API \
                 key and your data would cross the network unencrypted. Use https://, or set \
                 {ALLOW_PLAIN_HTTP}=1 if a trusted proxy on your network really needs this.",
                origin.host
            );
        }
        Ok(origin)
    }

    /// The only environment the guest sees: what its client needs, nothing of the host's.
    /// Credentials are not in it; the host adds them to requests itself.
    pub fn guest_environment(&self) -> Vec<(String, String)> {
        let mut env = vec![("FACTURATION_BASE_URL".to_string(), self.origin.base_url())];
        if let Some(firm) = self.firm_id {
            env.push(("FACTURATION_FIRM_ID".into(), firm.to_string()));
        }
        if let Some(agent) = &self.user_agent {
            env.push(("FACTURATION_USER_AGENT".into(), agent.clone()));
        }
        if let Some(size) = self.tools_page_size {
            env.push(("FACTURATION_TOOLS_PAGE_SIZE".into(), size.to_string()));
        }
        if self.read_only {
            env.push(("FACTURATION_READ_ONLY".into(), "1".into()));
        }
        env.push(("FACTURATION_STATE_KEY".into(), self.state_key.clone()));
        env.extend(self.guest_settings.iter().cloned());
        env
    }
}

/// 256 random bits, hex-encoded, from the operating system.
fn random_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn parse_base_url(raw: &str) -> Result<Origin> {
    // A URL with user information may carry a password: it is not repeated.
    let shown = if raw.contains('@') {
        "(not shown, as it may hold a password)".to_string()
    } else {
        format!("{raw:?}")
    };
    let invalid =
        |why: &str| format!("FACTURATION_BASE_URL is not a usable base URL ({why}): {shown}");
    let uri: Uri = raw.parse().with_context(|| invalid("unparseable"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        bail!(invalid("it must start with https:// or http://"));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        bail!(invalid(
            "credentials belong in FACTURATION_API_ID and FACTURATION_API_KEY"
        ));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        bail!(invalid("give only scheme, host and port"));
    }
    // A port that is not one would otherwise fall back to the scheme's own, unnoticed.
    let port_text = uri
        .authority()
        .and_then(|authority| authority.as_str().rsplit_once(':'))
        .map(|(_, tail)| tail)
        .filter(|tail| !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()));
    if port_text.is_some_and(|text| !matches!(text.parse::<u16>(), Ok(1..))) {
        bail!(invalid("the port must be a number from 1 to 65535"));
    }
    Origin::of(&uri).with_context(|| invalid("no host"))
}

/// FACTURATION_AUDIT_LOG, `off` for none; by default next to the downloads folder's default
/// home.
fn audit_log(source: &Source) -> Option<PathBuf> {
    match source.get("FACTURATION_AUDIT_LOG") {
        Some(value) if value == "off" => None,
        Some(value) => Some(PathBuf::from(value)),
        None => source
            .get("HOME")
            .or_else(|| source.get("USERPROFILE"))
            .map(|home| {
                PathBuf::from(home)
                    .join("facturation-pro-mcp")
                    .join("audit.jsonl")
            }),
    }
}

/// Refuses a downloads folder that holds what the sandbox must never reach: the settings
/// file (the API key), the configuration folder and the OAuth token file, the audit log
/// (which the guest could rewrite) and the extra CA certificates (which it could replace).
/// Pointing FACTURATION_DOWNLOADS_DIR at the home folder would otherwise let an upload send
/// the user's own `.env` to the API.
fn check_downloads_folder(
    source: &Source,
    downloads_dir: &Path,
    audit_log: Option<&Path>,
) -> Result<()> {
    let downloads = resolved(downloads_dir);
    if audit_log.is_some_and(|log| resolved(log).starts_with(&downloads)) {
        bail!(
            "FACTURATION_AUDIT_LOG must be outside the downloads folder, where the sandbox could change it"
        );
    }
    // The sandbox writes there: a certificate it left would be trusted from the next start.
    if source
        .get("FACTURATION_CA_FILE")
        .is_some_and(|file| resolved(Path::new(&file)).starts_with(&downloads))
    {
        bail!(
            "FACTURATION_CA_FILE must be outside the downloads folder, where the sandbox could \
             write a certificate of its own choosing"
        );
    }
    let guarded = [
        source.file_path.clone(),
        config_folder(|name| source.get(name)).map(|folder| folder.join("facturation-pro-mcp")),
        source
            .get("FACTURATION_OAUTH_TOKEN_FILE")
            .map(PathBuf::from),
        source
            .get("FACTURATION_STORE")
            .and_then(|setting| match StoreLocation::parse(&setting) {
                StoreLocation::File(path) => Some(path),
                StoreLocation::Postgres(_) => None,
            }),
    ];
    if let Some(inside) = guarded
        .into_iter()
        .flatten()
        .find(|path| resolved(path).starts_with(&downloads))
    {
        bail!(
            "FACTURATION_DOWNLOADS_DIR ({}) contains {}, which holds this server's settings or \
             sign-in: the sandbox could read it and upload it. Choose a folder of its own, such \
             as ~/facturation-pro-mcp/downloads.",
            downloads_dir.display(),
            inside.display()
        );
    }
    if let Some(what) = too_wide(source, &downloads) {
        bail!(
            "FACTURATION_DOWNLOADS_DIR ({}) is {what}: the sandbox may read and upload anything \
             in it. Choose a folder of its own, such as ~/facturation-pro-mcp/downloads.",
            downloads_dir.display()
        );
    }
    Ok(())
}

/// What a downloads folder must not be, whatever it holds today: the root of the file
/// system, one of the system's own folders (`/proc` alone holds every process's environment,
/// this server's API key included), or the home folder or a folder above it.
fn too_wide(source: &Source, downloads: &Path) -> Option<String> {
    if downloads.parent().is_none() {
        return Some("the root of the file system".into());
    }
    #[cfg(unix)]
    for system in [
        "/proc", "/sys", "/dev", "/etc", "/boot", "/run", "/usr", "/bin", "/sbin", "/lib",
    ] {
        if downloads.starts_with(system) {
            return Some(format!("inside {system}, a folder of the system"));
        }
    }
    let home = source.get("HOME").or_else(|| source.get("USERPROFILE"))?;
    resolved(Path::new(&home))
        .starts_with(downloads)
        .then(|| "the home folder, or a folder above it".into())
}

/// `path` as the system will find it: absolute, `.` and `..` worked out, and symbolic links
/// followed as far as the path exists, so that no spelling of a path (`a/../b`, a link to
/// the folder) passes an inside/outside check that the real path would fail.
pub fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut current = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                current.push(component);
                // Where the path exists, its real spelling: a link is followed before a
                // later `..` climbs out of it, as the system does.
                if let Ok(real) = current.canonicalize() {
                    current = real;
                }
            }
            Component::CurDir => {}
            Component::ParentDir => {
                current.pop();
            }
        }
    }
    current
}

/// The user's configuration folder: XDG_CONFIG_HOME, ~/.config, or %APPDATA% on Windows.
/// `get` reads a variable, from wherever the caller takes them.
pub fn config_folder(get: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if cfg!(windows) {
        return get("APPDATA").map(PathBuf::from);
    }
    // A relative XDG_CONFIG_HOME is to be ignored (XDG base directory specification): it
    // would make the working folder a source of settings.
    get("XDG_CONFIG_HOME")
        .filter(|folder| Path::new(folder).is_absolute())
        .map(PathBuf::from)
        .or_else(|| get("HOME").map(|home| Path::new(&home).join(".config")))
}

/// With FACTURATION_STATE_KEY set, a confirmation state verifies in every process that has
/// the key (other servers started from the same settings, replicas, this one restarted), so
/// the answered ones must be remembered where all of them look: FACTURATION_STORE, or a
/// SQLite file in the configuration folder. Without the key each process seals with a key of
/// its own, and its memory is enough. The remote connector keeps them in its own store.
fn answered_states(
    source: &Source,
    authentication: &Authentication,
) -> Result<Option<StoreLocation>> {
    if matches!(authentication, Authentication::Remote(_))
        || source.get("FACTURATION_STATE_KEY").is_none()
    {
        return Ok(None);
    }
    let location = match source.get("FACTURATION_STORE") {
        Some(setting) => StoreLocation::parse(&setting),
        None => StoreLocation::File(
            config_folder(|name| source.get(name))
                .context(
                    "FACTURATION_STATE_KEY is set, so an answered confirmation stays valid \
                     after a restart and in other processes with the key, and there is no \
                     configuration folder (HOME) to remember answered ones in: set \
                     FACTURATION_STORE to a file path or a postgres:// URL",
                )?
                .join("facturation-pro-mcp")
                .join("answered-states.sqlite3"),
        ),
    };
    Ok(Some(location))
}

fn read_only(source: &Source) -> Result<bool> {
    match source.get("FACTURATION_READ_ONLY").as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => bail!("FACTURATION_READ_ONLY must be 1 or 0, got {other:?}"),
    }
}

fn default_downloads_dir(source: &Source) -> Result<PathBuf> {
    let home = source
        .get("HOME")
        .or_else(|| source.get("USERPROFILE"))
        .context("FACTURATION_DOWNLOADS_DIR is not set and no home directory is known (HOME)")?;
    Ok(PathBuf::from(home)
        .join("facturation-pro-mcp")
        .join("downloads"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings> {
        let mut all = vec![
            ("FACTURATION_API_ID", "id"),
            ("FACTURATION_API_KEY", "key"),
            ("HOME", "/home/u"),
        ];
        all.extend_from_slice(pairs);
        Settings::from_source(&Source::from_pairs(&all))
    }

    fn error(pairs: &[(&str, &str)]) -> String {
        format!("{:#}", settings(pairs).unwrap_err())
    }

    #[test]
    fn defaults_point_at_the_real_service() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.origin.base_url(), "https://www.facturation.pro");
        assert_eq!(s.origin.port, 443);
        assert_eq!(
            s.downloads_dir,
            PathBuf::from("/home/u/facturation-pro-mcp/downloads")
        );
        assert_eq!(s.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn each_mistake_names_its_variable() {
        let missing = Settings::from_source(&Source::from_pairs(&[("FACTURATION_API_ID", "id")]))
            .unwrap_err();
        assert!(format!("{missing:#}").starts_with("FACTURATION_API_KEY is not set"));
        assert!(error(&[("FACTURATION_BASE_URL", "ftp://x")]).starts_with("FACTURATION_BASE_URL"));
        assert!(error(&[("FACTURATION_BASE_URL", "https://a:b@x")]).contains("credentials"));
        assert!(error(&[("FACTURATION_BASE_URL", "https://x/api")]).contains("only scheme"));
        assert!(error(&[("FACTURATION_FIRM_ID", "abc")]).starts_with("FACTURATION_FIRM_ID"));
        assert!(
            error(&[("FACTURATION_USER_AGENT", "Appli Éric (e@x.fr)")])
                .starts_with("FACTURATION_USER_AGENT")
        );
        assert!(
            error(&[("FACTURATION_TIMEOUT_SECS", "0")]).starts_with("FACTURATION_TIMEOUT_SECS")
        );
    }

    #[test]
    fn the_origin_admits_only_its_own_scheme_host_and_port() {
        let origin = settings(&[("FACTURATION_BASE_URL", "http://127.0.0.1:8080/")])
            .unwrap()
            .origin;
        assert!(
            origin.admits(
                &"http://127.0.0.1:8080/firms/1/customers.json"
                    .parse()
                    .unwrap()
            )
        );
        assert!(!origin.admits(&"http://127.0.0.1:8081/".parse().unwrap()));
        assert!(!origin.admits(&"https://127.0.0.1:8080/".parse().unwrap()));
        assert!(!origin.admits(&"http://localhost:8080/".parse().unwrap()));
        // A port that is not one is refused, not replaced by the scheme's; and a password in
        // the URL is never repeated.
        for (url, said) in [
            ("http://127.0.0.1:99999", "the port"),
            ("http://127.0.0.1:0", "the port"),
            ("https://id:hunter2@api.example", "not shown"),
        ] {
            let message = format!(
                "{:#}",
                settings(&[("FACTURATION_BASE_URL", url)])
                    .map(|_| ())
                    .unwrap_err()
            );
            assert!(
                message.contains(said) && !message.contains("hunter2"),
                "{message}"
            );
        }
    }

    #[test]
    fn the_guest_never_sees_the_credentials() {
        let env = settings(&[("FACTURATION_FIRM_ID", "7")])
            .unwrap()
            .guest_environment();
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "FACTURATION_BASE_URL",
                "FACTURATION_FIRM_ID",
                "FACTURATION_STATE_KEY"
            ]
        );
    }

    #[test]
    fn plain_http_is_for_this_machine_unless_allowed_by_name() {
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:9",
        ] {
            assert!(
                settings(&[("FACTURATION_BASE_URL", local)]).is_ok(),
                "{local}"
            );
        }
        for remote in [
            "http://www.facturation.pro",
            "http://10.0.0.5:8080",
            "http://127.0.0.1.evil.example",
        ] {
            let message = error(&[("FACTURATION_BASE_URL", remote)]);
            assert!(message.contains(ALLOW_PLAIN_HTTP), "{message}");
            assert!(settings(&[("FACTURATION_BASE_URL", remote), (ALLOW_PLAIN_HTTP, "1")]).is_ok());
        }
    }

    #[test]
    fn the_downloads_folder_may_not_hold_the_settings_or_the_audit_log() {
        let home = tempfile::tempdir().unwrap();
        let home_text = home.path().to_str().unwrap();
        // The configuration folder is ~/.config on Unix and %APPDATA% on Windows: point both
        // at the same place so the test reads the same on every platform.
        let config = home.path().join(".config");
        let base = [("HOME", home_text), ("APPDATA", config.to_str().unwrap())];
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = base.to_vec();
            pairs.extend_from_slice(extra);
            format!("{:#}", settings(&pairs).map(|_| ()).unwrap_err())
        };
        // The home folder holds the configuration folder (and the default audit log).
        let message = with(&[("FACTURATION_DOWNLOADS_DIR", home_text)]);
        assert!(message.contains("FACTURATION_AUDIT_LOG"), "{message}");
        let message = with(&[
            ("FACTURATION_DOWNLOADS_DIR", home_text),
            ("FACTURATION_AUDIT_LOG", "off"),
        ]);
        let settings_folder = config.join("facturation-pro-mcp");
        assert!(
            message.contains(&settings_folder.display().to_string()),
            "{message}"
        );
        // The home folder is refused even when nothing of ours is in it, as are the root
        // and the system's folders.
        let elsewhere = home.path().join("elsewhere");
        for downloads in [home_text, "/", "/proc", "/etc/ssl"] {
            let message = with(&[
                ("FACTURATION_DOWNLOADS_DIR", downloads),
                ("FACTURATION_AUDIT_LOG", "off"),
                ("XDG_CONFIG_HOME", elsewhere.to_str().unwrap()),
                ("APPDATA", elsewhere.to_str().unwrap()),
            ]);
            assert!(
                message.contains("Choose a folder of its own"),
                "{downloads}: {message}"
            );
        }
        // Other spellings of the same folder are the same folder.
        let sideways = format!("{home_text}/downloads/../.");
        let message = with(&[
            ("FACTURATION_DOWNLOADS_DIR", &sideways),
            ("FACTURATION_AUDIT_LOG", "off"),
        ]);
        assert!(message.contains("FACTURATION_DOWNLOADS_DIR"), "{message}");
        // Through a symbolic link (creating one on Windows needs a privilege users lack).
        #[cfg(unix)]
        {
            let link = home.path().join("link");
            std::os::unix::fs::symlink(home.path(), &link).unwrap();
            let message = with(&[
                ("FACTURATION_DOWNLOADS_DIR", link.to_str().unwrap()),
                ("FACTURATION_AUDIT_LOG", "off"),
            ]);
            assert!(message.contains("FACTURATION_DOWNLOADS_DIR"), "{message}");
        }
        let token_file = format!("{home_text}/dl/tokens.json");
        let message = with(&[
            ("FACTURATION_DOWNLOADS_DIR", &format!("{home_text}/dl")),
            ("FACTURATION_OAUTH_TOKEN_FILE", &token_file),
        ]);
        assert!(message.contains("tokens.json"), "{message}");
        let message = with(&[
            ("FACTURATION_DOWNLOADS_DIR", &format!("{home_text}/dl")),
            (
                "FACTURATION_AUDIT_LOG",
                &format!("{home_text}/elsewhere/../dl/audit.jsonl"),
            ),
        ]);
        assert!(message.contains("FACTURATION_AUDIT_LOG"), "{message}");
        // A folder of its own is fine.
        let mut pairs = base.to_vec();
        let own = format!("{home_text}/facturation-pro-mcp/downloads");
        pairs.push(("FACTURATION_DOWNLOADS_DIR", &own));
        assert!(settings(&pairs).is_ok());
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let s = settings(&[
            (
                "FACTURATION_HTTP_TOKEN",
                "http-token-0123456789abcdef0123456789",
            ),
            ("FACTURATION_STATE_KEY", "state-key-0123456789"),
        ])
        .unwrap();
        let shown = format!("{s:?} {s:#?}");
        for secret in ["http-token-0123456789", "state-key-0123456789", "\"key\""] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<hidden>"));
    }
}
