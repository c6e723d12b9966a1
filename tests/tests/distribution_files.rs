//! The files that publish this server elsewhere, generated here from the server's own
//! `tools/list`, the workspace version and the one description below, then checked
//! against the rules of each place they go to:
//!
//! - `mcp-manifest.json`: the MCP Bundle manifest; `scripts/bundle.sh` packs it, as
//!   `manifest.json`, with the binary;
//! - `docker-mcp-config.json`: the Docker MCP gateway's server entry, for a profile or a
//!   catalog of one's own;
//! - `docker/server.yaml` and `docker/tools.json`: the submission to Docker's catalog
//!   (github.com/docker/mcp-registry, folder `servers/facturation-pro/`);
//! - `docker/remote/`: the same catalog's entry for a remote connector (`serve --http
//!   --public-url`, HOSTING.md), folder `servers/facturation-pro-remote/` there;
//! - `server.json`: the entry for the official MCP registry, its packages and the remote
//!   connector's endpoint.
//!
//! After a change to the tools, the version or the text below, regenerate them with
//! `UPDATE_DISTRIBUTION_FILES=1 cargo test --release -p facturation-pro-emulator --test
//! distribution_files`. That also pins `source.commit` in docker/server.yaml to `git
//! rev-parse HEAD`, or to `DISTRIBUTION_SOURCE_COMMIT` when set (the release tag's commit).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};
use facturation_pro_emulator::harness::{McpServer, ServerSetup, node};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// What the files say: everything written by hand lives here, once.

/// The name in Docker's catalog and Toolkit: the catalog folder, the prefix of secret and
/// parameter names, the gateway's server name.
const CATALOG_NAME: &str = "facturation-pro";
/// The official MCP registry's name, which the image's `io.modelcontextprotocol.server.name`
/// label must repeat for the registry to accept the OCI package.
const REGISTRY_NAME: &str = "io.github.facturation-pro-mcp/facturation-pro";
const TITLE: &str = "Facturation.PRO";
/// Where the Linux images are published; tags are the workspace version.
const IMAGE_REPOSITORY: &str = "ghcr.io/facturation-pro-mcp/facturation-pro-mcp";
/// The image Docker builds from our Dockerfile for its catalog.
const DOCKER_CATALOG_IMAGE: &str = "mcp/facturation-pro";
/// The only host the container may reach (enforced by the gateway's `--block-network`).
/// `/tcp` asks the gateway for a plain TCP relay, so TLS runs from our host to the API; an
/// entry without it gets an HTTP proxy that the server would have to be told to use.
const API_HOST: &str = "www.facturation.pro:443/tcp";
/// A named volume: the gateway lets it be written, unlike host folders (read-only unless
/// listed in MCP_GATEWAY_DOCKER_BIND_ALLOW_WRITABLE_PATHS), and Docker gives it the image's
/// /downloads, owned by the image's user.
const DOWNLOADS_VOLUME: &str = "facturation-pro-downloads:/downloads";
/// The project's own avatar: a PNG of at most 512x512, as Docker's validator wants.
const ICON: &str = "https://github.com/facturation-pro-mcp.png?size=256";
/// The official registry caps `description` at 100 characters.
const SUMMARY: &str =
    "Customers, quotes, invoices and payments in Facturation.PRO, from a WebAssembly sandbox";
const DESCRIPTION: &str = "Work in Facturation.PRO, the French online invoicing service, from your AI \
    assistant: customers, quotes (devis), invoices, credit notes, settlements, purchases, \
    suppliers, products, follow-ups and attached files, one tool per API route. The tools run \
    in a WebAssembly sandbox that can reach only the Facturation.PRO API and the downloads \
    folder, and never see your API key.";
const CATEGORY: &str = "finance";
const TAGS: &[&str] = &[
    "facturation-pro",
    "invoicing",
    "accounting",
    "finance",
    "france",
];
const KEYWORDS: &[&str] = &[
    "facturation",
    "invoicing",
    "invoices",
    "quotes",
    "accounting",
    "france",
    "webassembly",
    "sandbox",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Kept as a secret everywhere: masked, stored by the client or Docker's secret store.
    Secret,
    Text,
    /// A folder on the user's machine (the container uses its own volume instead).
    Folder,
    /// A file on the user's machine.
    File,
    Switch,
}

/// One configuration variable, as every file presents it to the user.
struct Setting {
    env: &'static str,
    /// The `user_config` key of the manifest and the parameter or secret name for Docker.
    key: &'static str,
    title: &'static str,
    description: &'static str,
    example: &'static str,
    kind: Kind,
    required: bool,
    /// False where the container image fixes the value itself.
    in_container: bool,
}

/// What users set. The rest of .env.example (timeouts, quotas, HTTP serving...) keeps its
/// defaults, which suit these one-user setups.
const SETTINGS: &[Setting] = &[
    Setting {
        env: "FACTURATION_API_ID",
        key: "api_id",
        title: "API id",
        description: "Your API id, from Facturation.PRO: avatar menu > Clé API.",
        example: "",
        kind: Kind::Secret,
        required: true,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_API_KEY",
        key: "api_key",
        title: "API key",
        description: "Your API key, from the same page. The host adds it to each API request; \
            the sandboxed tool code never sees it.",
        example: "",
        kind: Kind::Secret,
        required: true,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_USER_AGENT",
        key: "user_agent",
        title: "User-Agent",
        description: "Your application name and a contact, in plain ASCII. Facturation.PRO \
            asks every API client for one and may suspend keys that send none.",
        example: "MonCabinet MCP (contact@mon-cabinet.fr)",
        kind: Kind::Text,
        required: true,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_FIRM_ID",
        key: "firm_id",
        title: "Firm id",
        description: "The firm the tools work on when they are not given firm_id; the \
            get_account tool lists your firms. Empty: each call names its firm.",
        example: "12345",
        kind: Kind::Text,
        required: false,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_READ_ONLY",
        key: "read_only",
        title: "Read-only mode",
        description: "Offer only the reading tools; the host then refuses every request but \
            GET, whatever the tool code tries.",
        example: "false",
        kind: Kind::Switch,
        required: false,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_TOOLSETS",
        key: "toolsets",
        title: "Toolsets",
        description: "Offer only these groups of tools, comma-separated, from: account, \
            customers, categories, quotes, invoices, settlements, files, suppliers, products, \
            followups, purchases. Empty: all of them.",
        example: "customers,quotes,invoices,settlements",
        kind: Kind::Text,
        required: false,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_DOWNLOADS_DIR",
        key: "downloads_dir",
        title: "Downloads folder",
        description: "The one folder the sandbox can see: downloaded PDFs land there, and \
            files to upload are read from there. Empty: ~/facturation-pro-mcp/downloads.",
        example: "",
        kind: Kind::Folder,
        required: false,
        in_container: false,
    },
    Setting {
        env: "HTTPS_PROXY",
        key: "https_proxy",
        title: "HTTPS proxy",
        description: "Only behind a corporate proxy: its http:// address, with user:password@ \
            when it asks for them. The API is reached through a CONNECT tunnel, still encrypted \
            end to end, and the proxy's credentials stay outside the sandbox. Empty: direct.",
        example: "http://proxy.mon-cabinet.fr:3128",
        kind: Kind::Text,
        required: false,
        in_container: true,
    },
    Setting {
        env: "NO_PROXY",
        key: "no_proxy",
        title: "Hosts without proxy",
        description: "Hosts and domains reached directly despite the proxy, comma-separated.",
        example: "localhost,.interne.mon-cabinet.fr",
        kind: Kind::Text,
        required: false,
        in_container: true,
    },
    Setting {
        env: "FACTURATION_CA_FILE",
        key: "ca_file",
        title: "Extra CA certificates",
        description: "Only where the network inspects HTTPS: a PEM file of your company's CA \
            certificates, trusted on top of the built-in roots. Empty: the built-in roots alone.",
        example: "",
        kind: Kind::File,
        required: false,
        in_container: false,
    },
];

/// Describes the Docker configuration form as a whole.
const DOCKER_CONFIG_DESCRIPTION: &str = "Your Facturation.PRO API credentials go in the \
    secrets; the settings below choose how the tools work on your account. Downloaded \
    documents go to the facturation-pro-downloads Docker volume.";

/// The remote connector in Docker's catalog: hosted variants get a folder of their own there,
/// named `<name>-remote`.
const REMOTE_CATALOG_NAME: &str = "facturation-pro-remote";
/// The one path a remote connector serves MCP on (`--public-url` must end with it).
const MCP_PATH: &str = "/mcp";
/// Docker's catalog takes one fixed URL and no template: the entry carries this example, which
/// an operator replaces with their own public URL (HOSTING.md says how).
const EXAMPLE_PUBLIC_URL: &str = "https://mcp.example.fr/mcp";
/// The official registry's entry names the endpoint as a template, the host filled in by
/// whoever adds the server to a client.
const REMOTE_URL_TEMPLATE: &str = "https://{host}/mcp";
const REMOTE_HOST_DESCRIPTION: &str = "Host name of the remote connector your organisation \
    runs (HOSTING.md), with :port when it is not 443. You sign in with your own Facturation.PRO \
    account; no API key is needed.";
const REMOTE_HOST_EXAMPLE: &str = "mcp.mon-cabinet.fr";
const REMOTE_DESCRIPTION: &str = "Work in Facturation.PRO, the French online invoicing service, \
    from your AI assistant, through a connector your organisation hosts: each person signs in \
    with their own Facturation.PRO account, and the tools run in a WebAssembly sandbox that \
    never sees a credential. One tool per API route: customers, quotes, invoices, credit notes, \
    settlements, purchases, suppliers, products, follow-ups and attached files.";

// ---------------------------------------------------------------------------------------
// Where the facts come from.

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn read(path: &str) -> String {
    let full = workspace().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_yaml(path: &str) -> Value {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `[workspace.package]` fields the files repeat.
struct Release {
    version: String,
    license: String,
    repository: String,
}

impl Release {
    fn from_cargo() -> Self {
        let cargo = read("Cargo.toml");
        let field = |name: &str| {
            let mut in_section = false;
            for line in cargo.lines().map(str::trim) {
                if line.starts_with('[') {
                    in_section = line == "[workspace.package]";
                } else if let Some((key, value)) = line.split_once('=')
                    && in_section
                    && key.trim() == name
                {
                    return value.trim().trim_matches('"').to_string();
                }
            }
            panic!("Cargo.toml's [workspace.package] has no {name}")
        };
        Release {
            version: field("version"),
            license: field("license"),
            repository: field("repository"),
        }
    }

    fn image(&self) -> String {
        format!("{IMAGE_REPOSITORY}:{}", self.version)
    }

    fn bundle_name(&self, arch: &str) -> String {
        format!("facturation-pro-mcp-{}-linux-{arch}.mcpb", self.version)
    }

    /// Where the release attaches the amd64 bundle, which server.json points to.
    fn bundle_url(&self) -> String {
        format!(
            "{}/releases/download/v{}/{}",
            self.repository,
            self.version,
            self.bundle_name("amd64")
        )
    }
}

/// The tools as a client sees them, page after page, and the version the server reports.
struct Listing {
    tools: Vec<Value>,
    server_version: String,
}

fn list_tools() -> Listing {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    // Small pages, so the listing must follow nextCursor like a real client.
    let setup = ServerSetup::against(&emulator.base_url(), &home.path().join("downloads"))
        .with_env("FACTURATION_TOOLS_PAGE_SIZE", "10");
    let mut server = McpServer::spawn(&setup);
    let initialized = server.initialize("2025-11-25");
    let mut tools = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let params = match &cursor {
            Some(cursor) => json!({ "cursor": cursor }),
            None => json!({}),
        };
        let result = server.request("tools/list", params)["result"].clone();
        tools.extend(result["tools"].as_array().expect("a page of tools").clone());
        pages += 1;
        assert!(pages <= 100, "tools/list never stops paging");
        match result["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert!(pages > 1, "10 tools a page should take several pages");
    assert!(
        emulator.requests().is_empty(),
        "listing tools must not call the API"
    );
    Listing {
        tools,
        server_version: initialized["serverInfo"]["version"]
            .as_str()
            .expect("serverInfo.version")
            .to_string(),
    }
}

fn is_commit(text: &str) -> bool {
    text.len() == 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn head_commit() -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(workspace())
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("run git to pin source.commit");
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        output.status.success() && is_commit(&commit),
        "git rev-parse HEAD gave no commit: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    commit
}

// ---------------------------------------------------------------------------------------
// An ordered document, written out as JSON or as YAML.

/// JSON or YAML content whose maps keep the order they are built in (serde_json's own maps
/// sort their keys, which would scatter each file's fields).
#[derive(Clone, Debug)]
enum Doc {
    Bool(bool),
    Text(String),
    List(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

impl From<&str> for Doc {
    fn from(text: &str) -> Self {
        Doc::Text(text.to_string())
    }
}

impl From<String> for Doc {
    fn from(text: String) -> Self {
        Doc::Text(text)
    }
}

impl From<bool> for Doc {
    fn from(value: bool) -> Self {
        Doc::Bool(value)
    }
}

impl From<Vec<Doc>> for Doc {
    fn from(items: Vec<Doc>) -> Self {
        Doc::List(items)
    }
}

macro_rules! map {
    ($($key:expr => $value:expr),* $(,)?) => {
        Doc::Map(vec![$(($key.to_string(), Doc::from($value))),*])
    };
}

impl Doc {
    /// Adds an entry to a map.
    fn with(mut self, key: &str, value: impl Into<Doc>) -> Self {
        match &mut self {
            Doc::Map(entries) => entries.push((key.to_string(), value.into())),
            _ => panic!("`with` on a non-map"),
        }
        self
    }

    fn with_if(self, condition: bool, key: &str, value: impl Into<Doc>) -> Self {
        if condition {
            self.with(key, value)
        } else {
            self
        }
    }

    fn texts(items: &[&str]) -> Doc {
        Doc::List(items.iter().map(|item| Doc::from(*item)).collect())
    }

    fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap() + "\n"
    }

    /// YAML laid out the way prettier writes it (Docker's registry checks server.yaml
    /// with `prettier --check`): two-space indents, list items indented under their key,
    /// double quotes where a string needs any.
    fn yaml(&self) -> String {
        let Doc::Map(entries) = self else {
            panic!("a YAML file is a map")
        };
        let mut out = String::new();
        yaml_map(&mut out, entries, 0);
        out
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Doc::Bool(value) => serializer.serialize_bool(*value),
            Doc::Text(text) => serializer.serialize_str(text),
            Doc::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Doc::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

fn yaml_map(out: &mut String, entries: &[(String, Doc)], indent: usize) {
    let pad = " ".repeat(indent);
    for (key, value) in entries {
        match value {
            Doc::Map(inner) if !inner.is_empty() => {
                out.push_str(&format!("{pad}{key}:\n"));
                yaml_map(out, inner, indent + 2);
            }
            Doc::List(items) if !items.is_empty() => {
                out.push_str(&format!("{pad}{key}:\n"));
                for item in items {
                    yaml_item(out, item, indent + 2);
                }
            }
            scalar => out.push_str(&format!("{pad}{key}: {}\n", yaml_scalar(scalar))),
        }
    }
}

fn yaml_item(out: &mut String, item: &Doc, indent: usize) {
    let pad = " ".repeat(indent);
    match item {
        Doc::Map(entries) if !entries.is_empty() => {
            // The map's first line goes after the dash; the rest line up with it.
            let mut inner = String::new();
            yaml_map(&mut inner, entries, indent + 2);
            out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
        }
        Doc::List(_) => panic!("lists of lists are not used"),
        scalar => out.push_str(&format!("{pad}- {}\n", yaml_scalar(scalar))),
    }
}

fn yaml_scalar(value: &Doc) -> String {
    match value {
        Doc::Bool(value) => value.to_string(),
        Doc::Text(text) => {
            let plain = !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
                && text.as_bytes()[0].is_ascii_alphabetic()
                && !["true", "false", "yes", "no", "on", "off", "null"]
                    .contains(&text.to_ascii_lowercase().as_str());
            if plain {
                text.clone()
            } else {
                // Prettier would switch to single quotes to spare escaped double quotes.
                assert!(!text.contains('"'), "no double quotes in YAML text: {text}");
                serde_json::to_string(text).unwrap()
            }
        }
        Doc::Map(_) => "{}".into(),
        Doc::List(_) => "[]".into(),
    }
}

// ---------------------------------------------------------------------------------------
// The files.

/// The secrets, named `<catalog name>.<key>`. The catalog's form shows a description and
/// whether each is required; the gateway's own entry has no room for them.
fn docker_secrets(with_details: bool) -> Doc {
    Doc::List(
        SETTINGS
            .iter()
            .filter(|s| s.kind == Kind::Secret)
            .map(|s| {
                map! {
                    "name" => format!("{CATALOG_NAME}.{}", s.key),
                    "env" => s.env,
                    "example" => format!("<{}>", s.env),
                }
                .with_if(with_details, "description", s.description)
                .with_if(with_details, "required", s.required)
            })
            .collect(),
    )
}

/// Container settings other than secrets: environment variables filled from the form.
fn docker_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS
        .iter()
        .filter(|s| s.kind != Kind::Secret && s.in_container)
}

/// The variables filled from the form's parameters (`{{facturation-pro.<key>}}`; the
/// gateway drops a variable whose parameter is left empty). Examples exist only in the
/// catalog's format.
fn docker_env(with_examples: bool) -> Doc {
    Doc::List(
        docker_settings()
            .map(|s| {
                map! { "name" => s.env }
                    .with_if(with_examples, "example", s.example)
                    .with("value", format!("{{{{{CATALOG_NAME}.{}}}}}", s.key))
            })
            .collect(),
    )
}

fn docker_properties() -> Doc {
    Doc::Map(
        docker_settings()
            .map(|s| {
                let kind = if s.kind == Kind::Switch {
                    "boolean"
                } else {
                    "string"
                };
                (
                    s.key.to_string(),
                    map! { "type" => kind, "description" => s.description },
                )
            })
            .collect(),
    )
}

fn docker_required() -> Doc {
    Doc::List(
        docker_settings()
            .filter(|s| s.required)
            .map(|s| Doc::from(s.key))
            .collect(),
    )
}

fn manifest(tools: &[Value], release: &Release) -> Doc {
    let user_config = Doc::Map(
        SETTINGS
            .iter()
            .map(|s| {
                let kind = match s.kind {
                    Kind::Secret | Kind::Text => "string",
                    Kind::Folder => "directory",
                    Kind::File => "file",
                    Kind::Switch => "boolean",
                };
                let mut option = map! {
                    "type" => kind,
                    "title" => s.title,
                    "description" => s.description,
                    "required" => s.required,
                }
                .with_if(s.kind == Kind::Secret, "sensitive", true);
                // A client leaves `${user_config.x}` as it is when an optional value is
                // neither set nor defaulted; the host reads a blank value as unset.
                if !s.required {
                    option = match s.kind {
                        Kind::Switch => option.with("default", false),
                        _ => option.with("default", ""),
                    };
                }
                (s.key.to_string(), option)
            })
            .collect(),
    );
    let env = Doc::Map(
        SETTINGS
            .iter()
            .map(|s| {
                (
                    s.env.to_string(),
                    format!("${{user_config.{}}}", s.key).into(),
                )
            })
            .collect(),
    );
    let tools = Doc::List(
        tools
            .iter()
            .map(|tool| {
                map! {
                    "name" => text_of(tool, "name"),
                    "description" => text_of(tool, "description"),
                }
            })
            .collect(),
    );
    let long_description = format!(
        "{DESCRIPTION}\n\nSet your API id and key (Facturation.PRO > Clé API) and a User-Agent \
         naming your application and a contact. The other settings are optional: a default \
         firm, read-only mode, a subset of the toolsets, the downloads folder, and a proxy \
         and CA certificates for corporate networks."
    );
    map! {
        "manifest_version" => "0.3",
        "name" => "facturation-pro-mcp",
        "display_name" => TITLE,
        "version" => release.version.as_str(),
        "description" => SUMMARY,
        "long_description" => long_description,
        "author" => map! {
            "name" => "facturation-pro-mcp contributors",
            "url" => owner_url(release),
        },
        "repository" => map! { "type" => "git", "url" => release.repository.as_str() },
        "homepage" => release.repository.as_str(),
        "documentation" => format!("{}#readme", release.repository),
        "support" => format!("{}/issues", release.repository),
        "server" => map! {
            "type" => "binary",
            "entry_point" => "server/facturation-pro-mcp",
            "mcp_config" => map! {
                "command" => "${__dirname}/server/facturation-pro-mcp",
                "args" => Doc::List(Vec::new()),
                "env" => env,
                "platform_overrides" => map! {
                    "win32" => map! {
                        "command" => "${__dirname}/server/facturation-pro-mcp.exe",
                    },
                },
            },
        },
        "tools" => tools,
        "keywords" => Doc::texts(KEYWORDS),
        "license" => release.license.as_str(),
        "compatibility" => map! {
            "platforms" => Doc::texts(&["darwin", "linux", "win32"]),
        },
        "user_config" => user_config,
    }
}

fn owner_url(release: &Release) -> String {
    let (owner, _) = release
        .repository
        .rsplit_once('/')
        .expect("repository URL ends with /name");
    owner.to_string()
}

fn text_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {value}"))
}

fn server_yaml(release: &Release, commit: &str) -> Doc {
    map! {
        "name" => CATALOG_NAME,
        "image" => DOCKER_CATALOG_IMAGE,
        "type" => "server",
        "meta" => map! { "category" => CATEGORY, "tags" => Doc::texts(TAGS) },
        "about" => map! {
            "title" => TITLE,
            "description" => DESCRIPTION,
            "icon" => ICON,
        },
        "source" => map! {
            "project" => release.repository.as_str(),
            "commit" => commit,
        },
        "run" => map! {
            "volumes" => Doc::texts(&[DOWNLOADS_VOLUME]),
            "allowHosts" => Doc::texts(&[API_HOST]),
        },
        "config" => map! {
            "description" => DOCKER_CONFIG_DESCRIPTION,
            "secrets" => docker_secrets(true),
            "env" => docker_env(true),
            "parameters" => map! {
                "type" => "object",
                "properties" => docker_properties(),
                "required" => docker_required(),
            },
        },
    }
}

/// The arguments as Docker's own `build --tools` lists them: required ones first, each
/// group by name, with the schema's type (the first one named, for a union) and description.
fn tool_arguments(tool: &Value) -> Doc {
    let schema = &tool["inputSchema"];
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut names: Vec<&String> = schema["properties"]
        .as_object()
        .map(|properties| properties.keys().collect())
        .unwrap_or_default();
    let optional = |name: &str| !required.contains(name);
    names.sort_by(|a, b| (optional(a), a).cmp(&(optional(b), b)));
    Doc::List(
        names
            .into_iter()
            .map(|name| {
                let property = &schema["properties"][name];
                let kind = json_type(&property["type"]);
                let mut argument = map! { "name" => name.as_str(), "type" => kind.as_str() };
                if kind == "array" {
                    argument = argument.with(
                        "items",
                        map! { "type" => json_type(&property["items"]["type"]) },
                    );
                }
                argument
                    .with("desc", argument_description(name, property))
                    .with_if(!required.contains(name.as_str()), "optional", true)
            })
            .collect(),
    )
}

/// The schema's description, or, where the name says it all and the schema has none, the
/// name in words: the catalogue wants a description for every argument.
fn argument_description(name: &str, property: &Value) -> String {
    match property["description"].as_str() {
        Some(description) => description.to_string(),
        None => {
            let words = name.trim_start_matches('_').replace('_', " ");
            let mut letters = words.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect())
                .unwrap_or_default()
        }
    }
}

fn json_type(kind: &Value) -> String {
    match kind {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("string")
            .to_string(),
        _ => "string".to_string(),
    }
}

fn tools_json(tools: &[Value]) -> Doc {
    let mut sorted: Vec<&Value> = tools.iter().collect();
    sorted.sort_by(|a, b| text_of(a, "name").cmp(text_of(b, "name")));
    Doc::List(
        sorted
            .into_iter()
            .map(|tool| {
                let hints = &tool["annotations"];
                let mut annotations = map! { "title" => text_of(tool, "title") };
                for hint in [
                    "readOnlyHint",
                    "destructiveHint",
                    "idempotentHint",
                    "openWorldHint",
                ] {
                    if let Some(value) = hints[hint].as_bool() {
                        annotations = annotations.with(hint, value);
                    }
                }
                map! {
                    "name" => text_of(tool, "name"),
                    "description" => text_of(tool, "description"),
                    "arguments" => tool_arguments(tool),
                    "annotations" => annotations,
                }
            })
            .collect(),
    )
}

fn gateway_entry(release: &Release) -> Doc {
    map! {
        "name" => CATALOG_NAME,
        "type" => "server",
        "image" => release.image(),
        "title" => TITLE,
        "description" => DESCRIPTION,
        "icon" => ICON,
        "readme" => format!("{}#readme", release.repository),
        "secrets" => docker_secrets(false),
        "env" => docker_env(false),
        "volumes" => Doc::texts(&[DOWNLOADS_VOLUME]),
        "allowHosts" => Doc::texts(&[API_HOST]),
        "config" => vec![map! {
            "name" => CATALOG_NAME,
            "description" => DOCKER_CONFIG_DESCRIPTION,
            "type" => "object",
            "properties" => docker_properties(),
            "required" => docker_required(),
        }],
        "metadata" => map! {
            "category" => CATEGORY,
            "tags" => Doc::texts(TAGS),
            "license" => release.license.as_str(),
            "owner" => "facturation-pro-mcp",
        },
    }
}

/// The variables a client asks for when it installs a package; the image sets the
/// downloads folder itself.
fn registry_variables(in_container: bool) -> Doc {
    Doc::List(
        SETTINGS
            .iter()
            .filter(|s| s.in_container || !in_container)
            .map(|s| {
                let format = match s.kind {
                    Kind::Switch => Some("boolean"),
                    Kind::Folder | Kind::File => Some("filepath"),
                    Kind::Secret | Kind::Text => None,
                };
                let mut variable = map! {
                    "name" => s.env,
                    "description" => s.description,
                    "isRequired" => s.required,
                };
                if let Some(format) = format {
                    variable = variable.with("format", format);
                }
                variable
                    .with_if(s.kind == Kind::Secret, "isSecret", true)
                    .with_if(
                        !s.example.is_empty() && s.kind != Kind::Switch,
                        "placeholder",
                        s.example,
                    )
            })
            .collect(),
    )
}

fn server_json(release: &Release) -> Doc {
    let image = map! {
        "registryType" => "oci",
        "identifier" => release.image(),
        "transport" => map! { "type" => "stdio" },
        "runtimeHint" => "docker",
        "runtimeArguments" => vec![
            map! {
                "type" => "named",
                "name" => "--volume",
                "value" => DOWNLOADS_VOLUME,
                "description" => "Downloaded documents go to a Docker volume the image's \
                    user can write",
            },
            map! {
                "type" => "named",
                "name" => "--cap-drop",
                "value" => "ALL",
                "description" => "The server needs no Linux capability",
            },
        ],
        "environmentVariables" => registry_variables(true),
    };
    // fileSha256, which the registry requires of an mcpb package, is the hash of a bundle
    // built for the release: scripts/bundle.sh writes it into target/bundle/server.json,
    // the copy that is published.
    let bundle = map! {
        "registryType" => "mcpb",
        "identifier" => release.bundle_url(),
        "transport" => map! { "type" => "stdio" },
        "environmentVariables" => registry_variables(false),
    };
    map! {
        "$schema" => "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name" => REGISTRY_NAME,
        "title" => TITLE,
        "description" => SUMMARY,
        "version" => release.version.as_str(),
        "repository" => map! { "url" => release.repository.as_str(), "source" => "github" },
        "websiteUrl" => format!("{}#readme", release.repository),
        "packages" => vec![image, bundle],
        "remotes" => vec![map! {
            "type" => "streamable-http",
            "url" => REMOTE_URL_TEMPLATE,
            "variables" => map! {
                "host" => map! {
                    "description" => REMOTE_HOST_DESCRIPTION,
                    "isRequired" => true,
                    "placeholder" => REMOTE_HOST_EXAMPLE,
                },
            },
        }],
    }
}

/// The remote connector as Docker's catalog lists hosted servers: no image, no source to
/// build, tools discovered once signed in. The OAuth provider is the entry's own name: the
/// gateway finds our authorization server from the endpoint's metadata and registers itself
/// there (RFC 7591). `env` is the gateway's name for the token it keeps, not a setting of ours.
fn remote_server_yaml() -> Doc {
    let mut tags = TAGS.to_vec();
    tags.push("remote");
    map! {
        "name" => REMOTE_CATALOG_NAME,
        "type" => "remote",
        "dynamic" => map! { "tools" => true },
        "meta" => map! { "category" => CATEGORY, "tags" => Doc::texts(&tags) },
        "about" => map! {
            "title" => TITLE,
            "description" => REMOTE_DESCRIPTION,
            "icon" => ICON,
        },
        "remote" => map! {
            "transport_type" => "streamable-http",
            "url" => EXAMPLE_PUBLIC_URL,
        },
        "oauth" => vec![map! {
            "provider" => REMOTE_CATALOG_NAME,
            "secret" => format!("{REMOTE_CATALOG_NAME}.personal_access_token"),
            "env" => format!(
                "{}_PERSONAL_ACCESS_TOKEN",
                REMOTE_CATALOG_NAME.to_ascii_uppercase().replace('-', "_")
            ),
        }],
    }
}

/// Docker's catalog wants a link to the documentation of a remote server in its readme.md.
fn remote_readme(release: &Release) -> String {
    format!("Docs: {}/blob/main/HOSTING.md\n", release.repository)
}

fn distribution_files(
    tools: &[Value],
    release: &Release,
    commit: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("mcp-manifest.json", manifest(tools, release).json()),
        ("docker-mcp-config.json", gateway_entry(release).json()),
        ("docker/server.yaml", server_yaml(release, commit).yaml()),
        ("docker/tools.json", tools_json(tools).json()),
        ("docker/remote/server.yaml", remote_server_yaml().yaml()),
        // A remote server's tools are listed once a user signs in, not in the catalog.
        ("docker/remote/tools.json", Doc::List(Vec::new()).json()),
        ("docker/remote/readme.md", remote_readme(release)),
        ("server.json", server_json(release).json()),
    ]
}

#[test]
fn distribution_files_match_the_server() {
    let listing = list_tools();
    let release = Release::from_cargo();
    assert_eq!(
        listing.server_version, release.version,
        "the server reports another version than Cargo.toml"
    );
    // The toolsets setting names every group the server has, and only those.
    let toolsets: BTreeSet<&str> = listing
        .tools
        .iter()
        .map(|tool| text_of(&tool["_meta"], "facturation-pro/toolset"))
        .collect();
    let described = SETTINGS
        .iter()
        .find(|s| s.env == "FACTURATION_TOOLSETS")
        .and_then(|s| s.description.split_once("from: "))
        .and_then(|(_, rest)| rest.split_once('.'))
        .map(|(names, _)| names.split(", ").collect::<BTreeSet<&str>>())
        .expect("the toolsets setting lists the toolsets after `from: `");
    assert_eq!(described, toolsets, "FACTURATION_TOOLSETS's description");
    // Any pinned commit passes the check; regenerating pins a new one.
    let pinned = std::fs::read_to_string(workspace().join("docker/server.yaml"))
        .ok()
        .and_then(|text| serde_norway::from_str::<Value>(&text).ok())
        .and_then(|server| server["source"]["commit"].as_str().map(str::to_string))
        .filter(|commit| is_commit(commit));
    if std::env::var_os("UPDATE_DISTRIBUTION_FILES").is_some() {
        let commit = std::env::var("DISTRIBUTION_SOURCE_COMMIT").unwrap_or_else(|_| head_commit());
        assert!(is_commit(&commit), "not a full commit id: {commit}");
        for (path, text) in distribution_files(&listing.tools, &release, &commit) {
            let full = workspace().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
        }
        return;
    }
    let commit = pinned.unwrap_or_else(head_commit);
    let stale: Vec<&str> = distribution_files(&listing.tools, &release, &commit)
        .into_iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(workspace().join(path))
                .ok()
                .as_ref()
                != Some(text)
        })
        .map(|(path, _)| path)
        .collect();
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the server and this test generate; rerun this test with \
         UPDATE_DISTRIBUTION_FILES=1 to regenerate them (edit the text in \
         tests/tests/distribution_files.rs, not the files)"
    );
}

// ---------------------------------------------------------------------------------------
// The MCP Bundle manifest.

/// The official MCP Bundle CLI that scripts/install-test-tools.sh installs, and the node
/// that runs it.
fn mcpb() -> Command {
    let tools = workspace().join("target/tools");
    let cli = tools.join("mcpb/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js");
    assert!(
        cli.exists(),
        "the mcpb CLI (npm @anthropic-ai/mcpb) is missing at {}: run scripts/install-test-tools.sh",
        cli.display()
    );
    let mut command = Command::new(node());
    command.arg(cli).current_dir(workspace());
    command
}

fn succeeded(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The errors of `value` against `schema`, for the draft-07 keywords the MCPB schema uses.
/// Any other keyword is reported too, so a newer schema cannot pass unchecked. (A JSON
/// schema crate would change the features of crates the host shares with the tests,
/// and so rebuild wasmtime for every test run.)
fn schema_errors(root: &Value, schema: &Value, value: &Value, path: &str) -> Vec<String> {
    let Some(keywords) = schema.as_object() else {
        return vec![format!("{path}: schema {schema} is not an object")];
    };
    if let Some(reference) = keywords.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or_else(|| panic!("unresolvable $ref {reference}"));
        return schema_errors(root, target, value, path);
    }
    let mut errors = Vec::new();
    let at = |message: String| format!("{path}: {message}");
    let declared = |key: &str| keywords.get(key).and_then(Value::as_object);
    for (keyword, rule) in keywords {
        match keyword.as_str() {
            "$schema" | "description" | "title" | "default" | "$id" | "definitions" => {}
            "type" => {
                let kinds: Vec<&str> = match rule {
                    Value::String(kind) => vec![kind.as_str()],
                    _ => rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(Value::as_str)
                        .collect(),
                };
                let matches = |kind: &str| match kind {
                    "object" => value.is_object(),
                    "array" => value.is_array(),
                    "string" => value.is_string(),
                    "boolean" => value.is_boolean(),
                    "number" => value.is_number(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "null" => value.is_null(),
                    other => panic!("unknown type {other}"),
                };
                if !kinds.iter().any(|kind| matches(kind)) {
                    errors.push(at(format!("{value} is not of type {rule}")));
                }
            }
            "const" if value != rule => errors.push(at(format!("{value} is not {rule}"))),
            "enum" if !rule.as_array().unwrap().contains(value) => {
                errors.push(at(format!("{value} is not one of {rule}")))
            }
            "const" | "enum" => {}
            "required" => {
                for key in rule.as_array().unwrap().iter().filter_map(Value::as_str) {
                    if value.is_object() && value.get(key).is_none() {
                        errors.push(at(format!("`{key}` is required")));
                    }
                }
            }
            "properties" | "additionalProperties" => {
                let Some(object) = value.as_object() else {
                    continue;
                };
                let properties = declared("properties");
                for (key, item) in object {
                    let item_path = format!("{path}/{key}");
                    match properties.and_then(|properties| properties.get(key)) {
                        Some(item_schema) if keyword == "properties" => {
                            errors.extend(schema_errors(root, item_schema, item, &item_path))
                        }
                        None if keyword == "additionalProperties" => match rule {
                            Value::Bool(false) => {
                                errors.push(format!("{item_path}: no such property"))
                            }
                            Value::Bool(true) => {}
                            extra => errors.extend(schema_errors(root, extra, item, &item_path)),
                        },
                        _ => {}
                    }
                }
            }
            "items" => {
                for (index, item) in value.as_array().into_iter().flatten().enumerate() {
                    errors.extend(schema_errors(root, rule, item, &format!("{path}/{index}")));
                }
            }
            "anyOf" => {
                let any = rule
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|option| schema_errors(root, option, value, path).is_empty());
                if !any {
                    errors.push(at(format!("{value} matches none of {rule}")));
                }
            }
            "minLength" => {
                if let Some(text) = value.as_str()
                    && (text.chars().count() as u64) < rule.as_u64().unwrap()
                {
                    errors.push(at(format!("{text:?} is shorter than {rule}")));
                }
            }
            "format" => {
                let Some(text) = value.as_str() else { continue };
                let scheme = text.split_once(':').is_some_and(|(scheme, _)| {
                    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                        && scheme
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                });
                let valid = match rule.as_str().unwrap() {
                    "uri" => scheme && !text.contains(' '),
                    "email" => text.contains('@') && !text.contains(' '),
                    other => panic!("{path}: format {other} is not supported here"),
                };
                if !valid {
                    errors.push(at(format!("{text:?} is not a valid {rule}")));
                }
            }
            "pattern" => {
                if value.is_string() {
                    errors.push(at(format!(
                        "pattern {rule} cannot be checked here; mcpb validate checks it"
                    )));
                }
            }
            other => errors.push(at(format!("schema keyword {other} is not supported here"))),
        }
    }
    errors
}

#[test]
#[ignore = "needs the schemas at ../shared/schemas (scripts/test.sh runs it when present)"]
fn the_manifest_follows_the_mcpb_schema() {
    let schema_path = workspace().join("../shared/schemas/mcpb-manifest-v0.3.schema.json");
    let schema = std::fs::read_to_string(&schema_path)
        .unwrap_or_else(|error| panic!("{}: {error}", schema_path.display()));
    let schema: Value = serde_json::from_str(&schema).unwrap();
    let manifest = read_json("mcp-manifest.json");
    let errors = schema_errors(&schema, &schema, &manifest, "");
    assert!(errors.is_empty(), "mcp-manifest.json: {errors:#?}");
    // The checker does find faults.
    let mut broken = manifest.clone();
    broken["server"]["type"] = json!("docker");
    broken["user_config"]["api_key"]["secret"] = json!(true);
    broken.as_object_mut().unwrap().remove("author");
    assert_eq!(
        schema_errors(&schema, &schema, &broken, "").len(),
        3,
        "{:#?}",
        schema_errors(&schema, &schema, &broken, "")
    );
}

#[test]
fn the_manifest_configures_the_binary() {
    let manifest = read_json("mcp-manifest.json");
    let release = Release::from_cargo();
    assert_eq!(manifest["manifest_version"], "0.3");
    assert_eq!(manifest["version"], release.version.as_str());
    let server = &manifest["server"];
    assert_eq!(server["type"], "binary");
    let entry = text_of(server, "entry_point");
    assert_eq!(
        server["mcp_config"]["command"],
        format!("${{__dirname}}/{entry}"),
        "the command starts the bundled binary"
    );
    assert!(entry.starts_with("server/"));
    let options = manifest["user_config"].as_object().unwrap();
    for (key, option) in options {
        if option["required"] != true {
            assert!(
                option.get("default").is_some(),
                "{key}: a client leaves ${{user_config.{key}}} unreplaced when an optional \
                 value has no default"
            );
        }
    }
    for key in ["api_id", "api_key"] {
        assert_eq!(options[key]["sensitive"], true, "{key}");
        assert_eq!(options[key]["required"], true, "{key}");
    }
    assert_eq!(options["downloads_dir"]["type"], "directory");
    // Every value the server gets comes from a declared option, and every option is used.
    let env = server["mcp_config"]["env"].as_object().unwrap();
    let used: BTreeSet<&str> = env
        .values()
        .map(|value| {
            let value = value.as_str().unwrap();
            value
                .strip_prefix("${user_config.")
                .and_then(|rest| rest.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{value}: not a user_config value"))
        })
        .collect();
    let declared: BTreeSet<&str> = options.keys().map(String::as_str).collect();
    assert_eq!(used, declared);
    let platforms = &manifest["compatibility"]["platforms"];
    assert_eq!(platforms, &json!(["darwin", "linux", "win32"]));
}

#[test]
fn mcpb_validate_accepts_the_manifest() {
    let output = mcpb()
        .args(["validate", "mcp-manifest.json"])
        .output()
        .expect("run mcpb validate");
    let stdout = succeeded("mcpb validate mcp-manifest.json", output);
    assert!(
        stdout.contains("Manifest schema validation passes"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------
// Docker: the catalog submission and the gateway entry.

/// Docker's title rule: no "MCP" or "Server", and every word capitalised except `and`
/// and `for`.
fn title_problem(title: &str) -> Option<String> {
    if title.contains("MCP") || title.contains("Server") {
        return Some("a title may not say MCP or Server".into());
    }
    title
        .split_whitespace()
        .filter(|word| !["and", "for"].contains(word))
        .find(|word| word.chars().next().is_some_and(char::is_lowercase))
        .map(|word| format!("`{word}` is not capitalised"))
}

/// `prefix.name`, each part letters, digits, `_` or `-` (and `.` after the first dot).
fn is_secret_name(name: &str) -> bool {
    let Some((prefix, rest)) = name.split_once('.') else {
        return false;
    };
    let allowed = |part: &str, extra: &[u8]| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b) || extra.contains(&b))
    };
    allowed(prefix, b"") && allowed(rest, b".")
}

/// The `{{server.parameter}}` references in a value.
fn references(value: &str) -> Vec<&str> {
    value
        .split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}").map(|(inside, _)| inside.trim()))
        .collect()
}

/// The checks docker/mcp-registry runs on a submission (cmd/validate, and the catalog step
/// in pkg/catalog/tile.go), but those that need the network: the icon fetch, GitHub's
/// licence detection, the image build.
#[test]
fn the_docker_catalog_entry_passes_the_registry_rules() {
    let server = read_yaml("docker/server.yaml");
    let release = Release::from_cargo();

    let name = text_of(&server, "name");
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "name {name:?} must match ^[a-z0-9-]+$"
    );
    assert_eq!(name, CATALOG_NAME, "the name is the catalog folder's name");
    let title = text_of(&server["about"], "title");
    assert_eq!(title_problem(title), None, "title {title:?}");
    assert!(!text_of(&server["about"], "description").is_empty());
    assert!(text_of(&server["about"], "icon").starts_with("https://"));

    assert_eq!(server["type"], "server");
    assert!(!text_of(&server, "image").is_empty());
    assert_eq!(server["source"]["project"], release.repository.as_str());
    let commit = text_of(&server["source"], "commit");
    assert!(
        is_commit(commit),
        "source.commit must be a 40-character lowercase SHA-1, got {commit:?}"
    );

    let config = &server["config"];
    for secret in config["secrets"].as_array().unwrap() {
        let secret_name = text_of(secret, "name");
        assert!(
            is_secret_name(secret_name) && secret_name.starts_with(&format!("{name}.")),
            "secret {secret_name:?} must be named {name}.<name>"
        );
        assert!(!text_of(secret, "env").is_empty());
    }
    let parameters = &config["parameters"];
    let properties = parameters["properties"].as_object().unwrap();
    assert!(
        !text_of(config, "description").is_empty(),
        "a catalog entry with parameters needs config.description"
    );
    assert_eq!(parameters["type"], "object");
    for (property, schema) in properties {
        assert!(
            schema["type"].is_string(),
            "parameter {property} has no type"
        );
    }
    for required in parameters["required"].as_array().unwrap() {
        assert!(properties.contains_key(required.as_str().unwrap()));
    }
    let mut templated: Vec<&str> = config["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|env| text_of(env, "value"))
        .collect();
    templated.extend(
        server["run"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|volume| volume.as_str().unwrap()),
    );
    for value in templated {
        if value.starts_with("{{") {
            assert!(
                value.starts_with(&format!("{{{{{name}.")),
                "{value}: parameters are named {name}.<parameter>"
            );
        }
        for reference in references(value) {
            let parameter = reference.strip_prefix(&format!("{name}.")).unwrap();
            assert!(
                properties.contains_key(parameter),
                "{value}: no parameter {parameter}"
            );
        }
    }
    assert_eq!(server["run"]["allowHosts"], json!([API_HOST]));

    // Docker reads the licence GitHub detects and refuses GPL, AGPL and NPL ones.
    let license = release.license.to_ascii_lowercase();
    assert!(
        !["gpl", "agpl", "npl"]
            .iter()
            .any(|copyleft| license.starts_with(copyleft)),
        "licence {license} is not permissive"
    );

    let tools: Vec<Value> = serde_json::from_str(&read("docker/tools.json")).unwrap();
    assert!(!tools.is_empty());
    for tool in &tools {
        let tool_name = text_of(tool, "name");
        assert!(!text_of(tool, "description").is_empty(), "{tool_name}");
        for argument in tool["arguments"].as_array().unwrap() {
            assert!(
                argument["desc"]
                    .as_str()
                    .is_some_and(|desc| !desc.is_empty()),
                "tool {tool_name:?} has argument {} without a `desc`",
                argument["name"]
            );
            assert!(argument["type"].is_string(), "{tool_name}: {argument}");
        }
    }
    let listed: BTreeSet<&str> = tools.iter().map(|tool| text_of(tool, "name")).collect();
    let manifest = read_json("mcp-manifest.json");
    let in_manifest: BTreeSet<&str> = manifest["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| text_of(tool, "name"))
        .collect();
    assert_eq!(
        listed, in_manifest,
        "tools.json and the manifest list the same tools"
    );
}

#[test]
fn the_catalog_yaml_is_laid_out_as_prettier_writes_it() {
    for path in ["docker/server.yaml", "docker/remote/server.yaml"] {
        laid_out_as_prettier_writes_it(&read(path));
    }
}

fn laid_out_as_prettier_writes_it(text: &str) {
    // The registry runs `prettier --check` on server.yaml. Prettier itself is not among
    // the test tools; these are the rules of its YAML output the generator relies on.
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        assert!(indent % 2 == 0, "odd indent: {line:?}");
        assert!(!line.contains('\t') && !line.ends_with(' '), "{line:?}");
        let value = line.trim_start().trim_start_matches("- ");
        let value = value.split_once(": ").map_or(value, |(_, value)| value);
        assert!(
            !value.starts_with('\''),
            "prettier prefers double quotes: {line:?}"
        );
        assert!(!line.trim().is_empty(), "blank line in server.yaml");
    }
    // Lists are indented under their key.
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.windows(2) {
        if pair[1].trim_start().starts_with("- ") && pair[0].ends_with(':') {
            let key_indent = pair[0].len() - pair[0].trim_start().len();
            let item_indent = pair[1].len() - pair[1].trim_start().len();
            assert_eq!(item_indent, key_indent + 2, "{pair:?}");
        }
    }
}

#[test]
fn the_gateway_entry_agrees_with_the_catalog_entry() {
    let entry = read_json("docker-mcp-config.json");
    let server = read_yaml("docker/server.yaml");
    let release = Release::from_cargo();

    assert_eq!(entry["name"], server["name"]);
    assert_eq!(entry["type"], "server");
    assert_eq!(entry["image"], release.image().as_str());
    for field in ["title", "description", "icon"] {
        assert_eq!(entry[field], server["about"][field], "{field}");
    }
    let pairs = |list: &Value, key: &str, value: &str| -> Vec<(String, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| (text_of(item, key).into(), text_of(item, value).into()))
            .collect()
    };
    assert_eq!(
        pairs(&entry["secrets"], "name", "env"),
        pairs(&server["config"]["secrets"], "name", "env")
    );
    assert_eq!(
        pairs(&entry["env"], "name", "value"),
        pairs(&server["config"]["env"], "name", "value")
    );
    assert_eq!(entry["volumes"], server["run"]["volumes"]);
    assert_eq!(entry["allowHosts"], server["run"]["allowHosts"]);
    assert_eq!(entry["allowHosts"], json!([API_HOST]));

    let config = &entry["config"][0];
    assert_eq!(entry["config"].as_array().unwrap().len(), 1);
    assert_eq!(config["name"], entry["name"]);
    assert_eq!(config["type"], "object");
    assert_eq!(config["description"], server["config"]["description"]);
    assert_eq!(
        config["properties"],
        server["config"]["parameters"]["properties"]
    );
    assert_eq!(
        config["required"],
        server["config"]["parameters"]["required"]
    );
    for (name, value) in pairs(&entry["env"], "name", "value") {
        for reference in references(&value) {
            let parameter = reference
                .strip_prefix(&format!("{CATALOG_NAME}."))
                .unwrap_or_else(|| panic!("{name}: {reference} is not one of ours"));
            assert!(
                config["properties"].get(parameter).is_some(),
                "{name}: no parameter {parameter}"
            );
        }
    }
    // Every secret the server needs is injected.
    for secret in ["FACTURATION_API_ID", "FACTURATION_API_KEY"] {
        assert!(
            pairs(&entry["secrets"], "name", "env")
                .iter()
                .any(|(_, env)| env == secret),
            "{secret}"
        );
    }
}

/// The path of an absolute http(s) URL, if it has nothing after the path.
fn endpoint_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let slash = rest.find('/')?;
    let (authority, path) = rest.split_at(slash);
    let plain = !authority.is_empty()
        && !authority.contains('@')
        && !path.contains(['?', '#'])
        && !url.contains(char::is_whitespace);
    plain.then_some(path)
}

/// docker/mcp-registry's rules for a hosted server (cmd/validate: isRemoteValid,
/// isOAuthDynamicValid; the remote wizard's layout), and what our connector serves.
#[test]
fn the_remote_catalog_entry_passes_the_registry_rules() {
    let remote = read_yaml("docker/remote/server.yaml");
    let local = read_yaml("docker/server.yaml");

    let name = text_of(&remote, "name");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "name {name:?} must match ^[a-z0-9-]+$"
    );
    assert_eq!(
        name, REMOTE_CATALOG_NAME,
        "the name is the catalog folder's name"
    );
    assert_ne!(
        remote["name"], local["name"],
        "a folder of its own in the catalog"
    );
    assert_eq!(remote["type"], "remote");
    // Nothing for Docker to build or pin: the operator runs the server.
    for field in ["image", "source", "run", "config"] {
        assert!(remote.get(field).is_none(), "a remote entry has no {field}");
    }

    let title = text_of(&remote["about"], "title");
    assert_eq!(title_problem(title), None, "title {title:?}");
    assert_eq!(remote["about"]["title"], local["about"]["title"]);
    assert_eq!(remote["about"]["icon"], local["about"]["icon"]);
    assert!(!text_of(&remote["about"], "description").is_empty());
    assert_eq!(remote["meta"]["category"], local["meta"]["category"]);
    assert!(
        remote["meta"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("remote")),
        "hosted entries are tagged remote"
    );

    assert_eq!(remote["remote"]["transport_type"], "streamable-http");
    let url = text_of(&remote["remote"], "url");
    assert!(url.starts_with("https://"), "TLS in front: {url}");
    assert_eq!(endpoint_path(url), Some(MCP_PATH), "{url}");
    assert!(
        remote["remote"].get("headers").is_none(),
        "users sign in with OAuth; no key travels in a header"
    );

    // The gateway signs each user in: one provider, named after the entry, whose token
    // it keeps as a secret of that name. Docker then wants the tools discovered live.
    let providers = remote["oauth"].as_array().expect("oauth providers");
    assert_eq!(providers.len(), 1);
    for provider in providers {
        assert_eq!(provider["provider"], name);
        let secret = text_of(provider, "secret");
        assert!(
            is_secret_name(secret) && secret.starts_with(&format!("{name}.")),
            "secret {secret:?} must be named {name}.<name>"
        );
        assert!(!text_of(provider, "env").is_empty());
    }
    assert_eq!(
        remote["dynamic"]["tools"], true,
        "OAuth needs dynamic tools"
    );

    let tools: Value = serde_json::from_str(&read("docker/remote/tools.json")).unwrap();
    assert_eq!(tools, json!([]), "a remote server's tools are listed live");
    let readme = read("docker/remote/readme.md");
    let docs = readme
        .trim()
        .strip_prefix("Docs: ")
        .expect("readme.md is `Docs: <link>`");
    assert!(
        docs.starts_with("https://") && docs.ends_with("/HOSTING.md"),
        "{docs}"
    );
    assert!(
        workspace().join("HOSTING.md").is_file(),
        "the linked page exists"
    );
}

// ---------------------------------------------------------------------------------------
// The official MCP registry.

#[test]
fn server_json_follows_the_official_registry_rules() {
    let server = read_json("server.json");
    let release = Release::from_cargo();
    assert_eq!(
        server["$schema"],
        "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    );
    // name: ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, a GitHub namespace the publisher owns.
    let name = text_of(&server, "name");
    let (namespace, short) = name.split_once('/').expect("namespace/name");
    assert!(
        namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
            && short
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && !short.is_empty(),
        "{name}"
    );
    assert_eq!(name, REGISTRY_NAME);
    let owner = owner_url(&release);
    assert_eq!(
        namespace,
        format!(
            "io.github.{}",
            owner.rsplit('/').next().unwrap().to_ascii_lowercase()
        ),
        "an io.github namespace is proved by the repository's owner"
    );
    let description = text_of(&server, "description");
    assert!(
        (1..=100).contains(&description.chars().count()),
        "description: 1 to 100 characters, got {}",
        description.chars().count()
    );
    assert!(text_of(&server, "title").chars().count() <= 100);
    assert_eq!(server["version"], release.version.as_str());
    assert_eq!(server["repository"]["url"], release.repository.as_str());
    assert_eq!(server["repository"]["source"], "github");

    let packages = server["packages"].as_array().unwrap();
    let package = |kind: &str| {
        packages
            .iter()
            .find(|package| package["registryType"] == kind)
            .unwrap_or_else(|| panic!("no {kind} package"))
    };
    let image = package("oci");
    // The tag carries the version; ghcr.io is one of the registries the registry trusts.
    assert_eq!(image["identifier"], release.image().as_str());
    assert!(text_of(image, "identifier").starts_with("ghcr.io/"));
    let bundle = package("mcpb");
    let url = text_of(bundle, "identifier");
    assert_eq!(url, release.bundle_url());
    assert!(url.starts_with("https://github.com/") && url.contains("/releases/download/"));
    assert!(url.contains("mcp"), "an mcpb URL must contain \"mcp\"");
    for package in packages {
        assert_eq!(package["transport"], json!({ "type": "stdio" }));
        if let Some(version) = package["version"].as_str() {
            assert_ne!(version, "latest");
        }
        if let Some(sha) = package.get("fileSha256") {
            let sha = sha.as_str().unwrap();
            assert!(
                sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{sha}"
            );
        }
        let variables = package["environmentVariables"].as_array().unwrap();
        for variable in variables {
            let secret =
                ["FACTURATION_API_ID", "FACTURATION_API_KEY"].contains(&text_of(variable, "name"));
            assert_eq!(
                variable["isSecret"].as_bool().unwrap_or(false),
                secret,
                "{variable}"
            );
            if secret {
                assert_eq!(variable["isRequired"], true, "{variable}");
            }
        }
    }
    let runtime: Vec<&str> = image["runtimeArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|argument| text_of(argument, "value"))
        .collect();
    assert!(runtime.contains(&DOWNLOADS_VOLUME), "{runtime:?}");
}

#[test]
fn server_json_names_the_remote_connector_endpoint() {
    let server = read_json("server.json");
    let remotes = server["remotes"]
        .as_array()
        .expect("server.json has remotes");
    assert_eq!(remotes.len(), 1, "{remotes:?}");
    let remote = &remotes[0];
    assert_eq!(remote["type"], "streamable-http");
    assert!(remote.get("headers").is_none(), "users sign in with OAuth");
    let template = text_of(remote, "url");
    // The schema's pattern for a remote URL: http(s) or a leading variable, no whitespace.
    assert!(
        template.starts_with("https://") && !template.contains(char::is_whitespace),
        "{template}"
    );
    let variables = remote["variables"].as_object().expect("variables");
    let used: BTreeSet<&str> = template
        .split('{')
        .skip(1)
        .map(|rest| rest.split_once('}').expect("a closed {variable}").0)
        .collect();
    let declared: BTreeSet<&str> = variables.keys().map(String::as_str).collect();
    assert_eq!(
        used, declared,
        "each variable of {template} is declared, and only those"
    );
    let mut example = template.to_string();
    for (name, variable) in variables {
        assert!(!text_of(variable, "description").is_empty(), "{name}");
        assert_eq!(
            variable["isRequired"], true,
            "{name}: no default host exists"
        );
        assert!(variable.get("isSecret").is_none(), "{name} is no secret");
        let placeholder = text_of(variable, "placeholder");
        assert!(
            !placeholder.is_empty() && !placeholder.contains(['/', '{', '}']),
            "{name}: {placeholder:?}"
        );
        example = example.replace(&format!("{{{name}}}"), placeholder);
    }
    assert_eq!(endpoint_path(&example), Some(MCP_PATH), "{example}");
    // Docker's entry names an example of the same endpoint.
    let docker = read_yaml("docker/remote/server.yaml");
    assert_eq!(
        endpoint_path(text_of(&docker["remote"], "url")),
        endpoint_path(&example)
    );
}

#[test]
fn the_image_matches_the_entries() {
    let dockerfile = read("Dockerfile");
    // The official registry accepts the OCI package only when the image carries this label.
    assert!(
        dockerfile
            .lines()
            .any(|line| line.contains("io.modelcontextprotocol.server.name")
                && line.contains(REGISTRY_NAME)),
        "the Dockerfile must label the image io.modelcontextprotocol.server.name={REGISTRY_NAME}"
    );
    // The entries mount the downloads volume where the image tells the server to write.
    let (_, target) = DOWNLOADS_VOLUME.split_once(':').unwrap();
    assert!(
        dockerfile
            .lines()
            .any(|line| line.trim() == format!("ENV FACTURATION_DOWNLOADS_DIR={target}")),
        "the image must set FACTURATION_DOWNLOADS_DIR={target}, where the volume goes"
    );
}

// ---------------------------------------------------------------------------------------
// The variables, across all the files.

/// The variables .env.example documents, set or commented out.
fn documented_variables() -> BTreeSet<String> {
    read(".env.example")
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches('#').trim_start();
            let (name, _) = line.split_once('=')?;
            // A variable's name: capitals, digits and underscores (ours, and the proxy
            // variables), starting with a capital.
            let is_variable = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            is_variable.then(|| name.to_string())
        })
        .collect()
}

#[test]
fn every_variable_the_files_set_is_documented() {
    let documented = documented_variables();
    let mut named: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut note = |name: &str, file: &'static str| {
        named.entry(name.to_string()).or_default().push(file);
    };
    let manifest = read_json("mcp-manifest.json");
    for name in manifest["server"]["mcp_config"]["env"]
        .as_object()
        .unwrap()
        .keys()
    {
        note(name, "mcp-manifest.json");
    }
    let catalog = read_yaml("docker/server.yaml");
    for secret in catalog["config"]["secrets"].as_array().unwrap() {
        note(text_of(secret, "env"), "docker/server.yaml");
    }
    for env in catalog["config"]["env"].as_array().unwrap() {
        note(text_of(env, "name"), "docker/server.yaml");
    }
    let entry = read_json("docker-mcp-config.json");
    for secret in entry["secrets"].as_array().unwrap() {
        note(text_of(secret, "env"), "docker-mcp-config.json");
    }
    for env in entry["env"].as_array().unwrap() {
        note(text_of(env, "name"), "docker-mcp-config.json");
    }
    let server = read_json("server.json");
    for package in server["packages"].as_array().unwrap() {
        for variable in package["environmentVariables"].as_array().unwrap() {
            note(text_of(variable, "name"), "server.json");
        }
    }
    let undocumented: Vec<_> = named
        .iter()
        .filter(|(name, _)| !documented.contains(*name))
        .collect();
    assert!(
        undocumented.is_empty(),
        "variables missing from .env.example: {undocumented:?}"
    );
    assert!(named.len() >= SETTINGS.len());
}

/// HOSTING.md lists the remote connector's settings: each is one .env.example documents,
/// and those only that mode has are there.
#[test]
fn the_hosting_guide_names_documented_variables() {
    let documented = documented_variables();
    let guide = read("HOSTING.md");
    let named: BTreeSet<&str> = guide
        .match_indices("FACTURATION_")
        .map(|(start, _)| {
            let rest = &guide[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches('_')
        })
        .collect();
    let unknown: Vec<&&str> = named
        .iter()
        .filter(|name| !documented.contains(**name))
        .collect();
    assert!(
        unknown.is_empty(),
        "HOSTING.md names variables .env.example does not document: {unknown:?}"
    );
    for name in [
        "FACTURATION_PUBLIC_URL",
        "FACTURATION_STORE",
        "FACTURATION_STORE_KEY",
        "FACTURATION_OAUTH_CLIENT_ID",
        "FACTURATION_OAUTH_CLIENT_SECRET",
    ] {
        assert!(named.contains(name), "HOSTING.md does not explain {name}");
    }
    assert!(
        guide.contains("/oauth2/callback"),
        "HOSTING.md gives the redirect URI to register"
    );
}

// ---------------------------------------------------------------------------------------
// A bundle, as scripts/bundle.sh packs it.

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    let stdout = succeeded("sha256sum", output);
    stdout.split_whitespace().next().unwrap().to_string()
}

fn files_under(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.insert(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found
}

/// The tool names a binary lists, from one stdio session of initialize then tools/list.
fn tool_names_served_by(binary: &Path) -> BTreeSet<String> {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(binary)
        .env_clear()
        .envs([
            ("FACTURATION_API_ID", "demo-api-id"),
            ("FACTURATION_API_KEY", "demo-api-key"),
            (
                "FACTURATION_USER_AGENT",
                "distribution tests (tests@example.test)",
            ),
            ("FACTURATION_AUDIT_LOG", "off"),
        ])
        .env("FACTURATION_DOWNLOADS_DIR", home.path().join("downloads"))
        .current_dir(home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the bundled binary");
    let mut stdin = child.stdin.take().unwrap();
    for message in [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "distribution-tests", "version": "1" } } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {} }),
    ] {
        writeln!(stdin, "{message}").unwrap();
    }
    let mut names = BTreeSet::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if message["id"] == 2 {
            for tool in message["result"]["tools"].as_array().unwrap() {
                names.insert(text_of(tool, "name").to_string());
            }
            break;
        }
    }
    drop(stdin);
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert!(
        !names.is_empty(),
        "{} listed no tools; stderr: {}",
        binary.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    names
}

#[test]
fn a_linux_bundle_holds_the_manifest_and_the_binary() {
    let root = workspace();
    let release = Release::from_cargo();
    let binary = root.join("target/image/linux-amd64/facturation-pro-mcp");
    assert!(
        binary.exists(),
        "{} is missing: run scripts/build-linux-binaries.sh amd64 first",
        binary.display()
    );
    let cli_check = mcpb().arg("--version").output().expect("run mcpb");
    succeeded("mcpb --version", cli_check);

    let output = Command::new("bash")
        .arg(root.join("scripts/bundle.sh"))
        .arg("amd64")
        .current_dir(root)
        .output()
        .expect("run scripts/bundle.sh");
    succeeded("scripts/bundle.sh amd64", output);
    let bundle = root
        .join("target/bundle")
        .join(release.bundle_name("amd64"));
    assert!(bundle.exists(), "{} was not made", bundle.display());

    let info = succeeded(
        "mcpb info",
        mcpb().arg("info").arg(&bundle).output().unwrap(),
    );
    assert!(info.contains(&release.bundle_name("amd64")), "{info}");

    let unpacked = tempfile::tempdir().unwrap();
    succeeded(
        "mcpb unpack",
        mcpb()
            .arg("unpack")
            .arg(&bundle)
            .arg(unpacked.path())
            .output()
            .unwrap(),
    );
    assert_eq!(
        files_under(unpacked.path()),
        BTreeSet::from([
            "manifest.json".to_string(),
            "server/facturation-pro-mcp".to_string()
        ])
    );
    // The bundle's manifest is the committed one, narrowed to the one platform it serves.
    let mut expected = read_json("mcp-manifest.json");
    expected["compatibility"]["platforms"] = json!(["linux"]);
    let packed: Value = serde_json::from_str(
        &std::fs::read_to_string(unpacked.path().join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(packed, expected);
    let served = unpacked.path().join("server/facturation-pro-mcp");
    assert_eq!(
        std::fs::read(&served).unwrap(),
        std::fs::read(&binary).unwrap(),
        "the bundle holds the image's binary"
    );
    let mode = std::fs::metadata(&served).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "the binary stays executable ({mode:o})"
    );

    // The unpacked binary serves exactly the tools the manifest announces.
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let announced: BTreeSet<String> = expected["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| text_of(tool, "name").to_string())
            .collect();
        assert_eq!(tool_names_served_by(&served), announced);
    }

    // The server.json to publish points at this very file.
    let mut published = read_json("target/bundle/server.json");
    let sha = sha256(&bundle);
    let packages = published["packages"].as_array_mut().unwrap();
    let mcpb_package = packages
        .iter_mut()
        .find(|package| package["registryType"] == "mcpb")
        .unwrap();
    assert_eq!(mcpb_package["fileSha256"], sha.as_str());
    mcpb_package.as_object_mut().unwrap().remove("fileSha256");
    assert_eq!(published, read_json("server.json"));
}

// ---------------------------------------------------------------------------------------
// SECURITY.md's threat model: every test it cites as proof exists.

/// The rows of SECURITY.md's threat-model table: the threat (first cell) and what the last
/// cell cites, each `path/from/the/workspace.rs::function_name` split in two. Everything in
/// backticks in that cell must be such a citation, so a misspelt one fails instead of being
/// skipped.
fn threat_model_rows(security: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut lines = security
        .lines()
        .skip_while(|line| !line.starts_with("| threat | defence | test that proves it |"));
    assert!(
        lines.next().is_some(),
        "SECURITY.md has no `| threat | defence | test that proves it |` table"
    );
    lines
        .skip(1) // the |---| line
        .take_while(|line| line.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "a row without three cells: {row}");
            let citations = cells[2]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|citation| {
                    let (file, name) = citation
                        .split_once(".rs::")
                        .unwrap_or_else(|| panic!("not a `file.rs::test_name`: {citation}"));
                    (format!("{file}.rs"), name.to_string())
                })
                .collect();
            (cells[0].to_string(), citations)
        })
        .collect()
}

/// Whether `source` defines a function `name` (a test, or a property or scenario inside a
/// macro, is written `fn name(` at the start of its line).
fn defines_function(source: &str, name: &str) -> bool {
    let definition = format!("fn {name}(");
    source.lines().any(|line| {
        let line = line.trim_start();
        line.strip_prefix("async ")
            .unwrap_or(line)
            .starts_with(&definition)
    })
}

#[test]
fn every_test_the_threat_model_cites_exists() {
    let rows = threat_model_rows(&read("SECURITY.md"));
    assert!(rows.len() >= 15, "the threat model lost rows: {rows:#?}");
    let mut problems = Vec::new();
    for (threat, citations) in &rows {
        if citations.is_empty() {
            problems.push(format!("no test cited for: {threat}"));
        }
        for (file, name) in citations {
            match std::fs::read_to_string(workspace().join(file)) {
                Ok(source) if defines_function(&source, name) => {}
                Ok(_) => problems.push(format!("{file} has no fn {name}")),
                Err(error) => problems.push(format!("{file}: {error}")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "SECURITY.md cites tests that do not exist:\n{}",
        problems.join("\n")
    );
}
