//! `facturation-pro-mcp`: the native runner. It reads and checks the configuration, then runs
//! the tool component in a wasmtime sandbox that can reach only the Facturation.PRO API and
//! the downloads folder. SECURITY.md lists what the sandbox grants and what it denies.

/// musl's allocator, in the static Linux builds, takes a lock on every call and hands large
/// blocks back to the kernel on every free: a tool list or an API answer of a few hundred
/// KiB was mapped, faulted in and unmapped again on each request (about 0.13 ms a call
/// against glibc's). mimalloc keeps per-thread free lists and holds freed pages for reuse;
/// scripts/cargo-linux-musl.sh builds it to commit memory as it is used, not by whole arena.
#[cfg(all(target_os = "linux", target_env = "musl"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod api_gate;
mod audit;
mod check;
mod component;
mod config;
mod engine_config;
mod http_server;
mod instance_pool;
mod legacy;
mod locking;
mod oauth;
mod outgoing;
mod pacing;
mod remote;
mod sandbox;
mod shutdown;
mod spent_states;
mod stdio;
mod store;
mod watchdog;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use component::{ComponentSource, Runner};
use config::{Settings, Source};

/// Where `serve --http` listens when given no address: this machine only.
const DEFAULT_HTTP_ADDRESS: &str = "127.0.0.1:8750";

#[derive(Parser)]
#[command(
    version,
    about = "Sandboxed MCP server for the Facturation.PRO invoicing API",
    long_about = "Serves the Model Context Protocol on stdin/stdout, or over Streamable HTTP. \
        The tools run in a WebAssembly sandbox, one instance per request, that can reach only \
        the Facturation.PRO API host and the downloads folder. Configuration comes from \
        FACTURATION_* environment variables, then from a settings file: --env-file, or else \
        the .env in the configuration folder (~/.config/facturation-pro-mcp/.env, as \
        install.sh writes it). A .env in the working folder is never read."
)]
struct Cli {
    /// File of KEY=value lines read for settings the environment does not give (default:
    /// the configuration folder's facturation-pro-mcp/.env, when it exists).
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,

    /// Run another WebAssembly component under the same sandbox (for testing the sandbox).
    #[arg(long, value_name = "PATH", hide = true)]
    component: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP on stdin/stdout (the default), or over HTTP with --http.
    Serve {
        /// Serve Streamable HTTP at http://ADDR/mcp instead of stdio (default
        /// 127.0.0.1:8750). An address beyond loopback needs FACTURATION_HTTP_TOKEN.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_HTTP_ADDRESS)]
        http: Option<SocketAddr>,
        /// Serve many users, each signing in with their own Facturation.PRO account, at this
        /// public address of the MCP endpoint (https://HOST/mcp, TLS in front; or
        /// http://127.0.0.1:PORT/mcp on this machine). Same as FACTURATION_PUBLIC_URL; see
        /// HOSTING.md.
        #[arg(long, value_name = "URL", requires = "http")]
        public_url: Option<String>,
    },
    /// Check the configuration, call the API once through the sandbox, and list your firms.
    Check,
    /// Sign in with your Facturation.PRO account (OAuth2) instead of using an API key.
    Login {
        /// Ask for read access only (scope `read`): the API then refuses every change.
        #[arg(long)]
        read_only: bool,
        /// Seconds to wait for the browser's answer.
        #[arg(long, value_name = "SECS", default_value_t = 300)]
        timeout: u64,
        /// Listen for the browser's callback on ADDR instead of 127.0.0.1 (in a container:
        /// 0.0.0.0:PORT, with PORT published on the host's 127.0.0.1 only).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Revoke the OAuth sign-in and forget its tokens.
    Logout,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Login { .. } | Command::Logout) = &cli.command {
        return account_command(&cli);
    }
    let public_url = match &cli.command {
        Some(Command::Serve { public_url, .. }) => public_url.clone(),
        _ => None,
    };
    let loaded = Source::load(cli.env_file.as_deref()).and_then(|mut source| {
        if let Some(url) = &public_url {
            source.set("FACTURATION_PUBLIC_URL", url);
        }
        let audit_log_given = source.get("FACTURATION_AUDIT_LOG").is_some();
        Ok((Settings::from_source(&source)?, audit_log_given))
    });
    let settings = match loaded {
        Ok((settings, audit_log_given)) => {
            // The remote connector also keeps the log in its store.
            let remote = matches!(settings.authentication, config::Authentication::Remote(_));
            if settings.audit_log.is_none() && !audit_log_given && !remote {
                eprintln!(
                    "facturation-pro-mcp: warning: no home folder (HOME) to keep the audit log \
                     in, and FACTURATION_AUDIT_LOG is not set: writes are not recorded. Set it \
                     to a file, or to `off` to say so."
                );
            }
            settings
        }
        Err(error) => {
            eprintln!("facturation-pro-mcp: {error:#}");
            return ExitCode::from(2);
        }
    };
    if settings.user_agent.is_none() {
        eprintln!(
            "facturation-pro-mcp: warning: FACTURATION_USER_AGENT is not set. Facturation.PRO asks \
             every API client to name itself and give a contact, e.g. \"MyShop (me@example.com)\"; \
             without one it may suspend the key."
        );
    }
    let source = match &cli.component {
        Some(path) => ComponentSource::File(path),
        None => ComponentSource::Embedded,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // On stdio the server has one client, an assistant whose calls mostly wait on the API:
    // one worker runs each call from its message to its answer without a hand-off between
    // threads, which saved about 0.18 ms a call (scripts/bench.sh, stage table). `serve
    // --http` keeps one worker per core, for many clients at once (about 1.45 times the calls
    // per second of one worker on 2 cores).
    if !matches!(cli.command, Some(Command::Serve { http: Some(_), .. })) {
        runtime.worker_threads(1);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("facturation-pro-mcp: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let test_component = cli.component.is_some();
    let command = cli.command;
    // The command runs on one of the runtime's workers, not on this thread: the tasks it
    // starts (one per stdio request, one per HTTP connection) then begin on that worker
    // rather than each waking another thread, a hand-off that cost every stdio request
    // some tens of microseconds.
    let outcome = runtime.block_on(async move {
        let runner = Runner::load(settings, source)?;
        let writes = runner.writes_in_flight();
        let command = tokio::spawn(async move {
            // A test component (--component) need not speak MCP.
            if !test_component {
                runner.check_guest_settings().await?;
            }
            match command {
                None | Some(Command::Serve { http: None, .. }) => {
                    remote_needs_http(&runner)?;
                    stdio::serve(runner).await.map(|()| 0)
                }
                Some(Command::Serve {
                    http: Some(address),
                    ..
                }) => http_server::serve(runner, address).await.map(|()| 0),
                Some(Command::Check) => {
                    remote_needs_http(&runner)?;
                    check::run(&runner).await
                }
                Some(Command::Login { .. } | Command::Logout) => unreachable!("handled first"),
            }
        });
        let outcome = command.await.context("the server's main task failed");
        // A write whose call was cancelled may still be on its way: its outcome is logged
        // before the process ends, or `no_answer` if it does not come in time.
        writes.settle(shutdown::DRAIN).await;
        outcome?
    });
    // Stdin may still be blocked in a read: do not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("facturation-pro-mcp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The remote connector serves many users over HTTP; stdio and `check` act for one.
fn remote_needs_http(runner: &Runner) -> anyhow::Result<()> {
    if let config::Authentication::Remote(_) = runner.settings().authentication {
        anyhow::bail!(
            "FACTURATION_PUBLIC_URL is set: the remote connector runs as `serve --http ADDR` only"
        );
    }
    Ok(())
}

/// `login` and `logout`: they need the OAuth settings and the API's address, not a working
/// configuration for the server (signing in is how one gets it).
fn account_command(cli: &Cli) -> ExitCode {
    let settings = Source::load(cli.env_file.as_deref()).and_then(|source| {
        let origin = Settings::origin(&source)?;
        oauth::OAuthSettings::from_source(&source, &origin, &Settings::client(&source)?)
    });
    let settings = match settings {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("facturation-pro-mcp: {error:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                match &cli.command {
                    Some(Command::Login {
                        read_only,
                        timeout,
                        listen,
                    }) => {
                        let options = oauth::login::LoginOptions {
                            read_only: *read_only,
                            timeout: Duration::from_secs(*timeout),
                            listen: *listen,
                        };
                        oauth::login::login(&settings, &options).await
                    }
                    _ => oauth::login::logout(&settings).await,
                }
            })
        });
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("facturation-pro-mcp: {error:#}");
            ExitCode::FAILURE
        }
    }
}
