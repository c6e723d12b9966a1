//! Runs the Facturation.PRO emulator on its own, for manual testing of the MCP server or for
//! test scripts in other languages: start it, read the URL from the first stdout line, kill
//! it when done.

use std::io::Write as _;
use std::time::Duration;

use clap::Parser;
use facturation_pro_emulator::emulator::{
    AccountConfig, Emulator, EmulatorConfig, LOGIN_COOKIE, OAuthApplication,
};

/// In-memory emulator of the Facturation.PRO API, listening on 127.0.0.1.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// API id accepted as the Basic auth user name.
    #[arg(long)]
    api_id: Option<String>,
    /// API key accepted as the Basic auth password.
    #[arg(long)]
    api_key: Option<String>,
    /// Start with no records instead of the demo data (customers and a month of activity).
    #[arg(long)]
    no_seed: bool,
    /// Client id of the one OAuth application to register, instead of the demo one
    /// (`demo-client-id`, secret `demo-client-secret`, redirect `http://127.0.0.1/callback`).
    #[arg(long)]
    oauth_client_id: Option<String>,
    /// Its client secret; without one the application is public (PKCE alone).
    #[arg(long, requires = "oauth_client_id")]
    oauth_client_secret: Option<String>,
    /// Its redirect URI; an `http://127.0.0.1/...` one accepts any port.
    #[arg(
        long,
        requires = "oauth_client_id",
        default_value = "http://127.0.0.1/callback"
    )]
    oauth_redirect_uri: String,
    /// Lifetime of access tokens, in seconds (default: 7200, as Doorkeeper's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    oauth_token_lifetime: Option<u64>,
    /// Refuse authorization requests without PKCE (Doorkeeper's `force_pkce`).
    #[arg(long)]
    oauth_require_pkce: bool,
    /// Serve a second account beside the demo one: login `martin` (cookie
    /// `emulator_login=martin` at /oauth/authorize), API id `martin-api-id`, key
    /// `martin-api-key`, firm 2001, no data.
    #[arg(long)]
    second_account: bool,
    /// Lift the vendor's quotas (600 requests per 5 minutes, 10,000 a day), for load tests
    /// and profiling by hand; answers still carry the usual `X-RateLimit-*` headers
    #[arg(long)]
    no_quota: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = EmulatorConfig {
        seed_demo_data: !args.no_seed,
        port: args.port,
        ..EmulatorConfig::default()
    };
    if let Some(api_id) = args.api_id {
        config.api_id = api_id;
    }
    if let Some(api_key) = args.api_key {
        config.api_key = api_key;
    }
    if let Some(client_id) = &args.oauth_client_id {
        let application = match &args.oauth_client_secret {
            Some(secret) => {
                OAuthApplication::confidential(client_id, secret, &args.oauth_redirect_uri)
            }
            None => OAuthApplication::public(client_id, &args.oauth_redirect_uri),
        };
        config.oauth.applications = vec![application];
    }
    if let Some(seconds) = args.oauth_token_lifetime {
        config.oauth.access_token_lifetime = Duration::from_secs(seconds);
    }
    config.oauth.pkce_required = args.oauth_require_pkce;
    if args.no_quota {
        config.rate_limit_per_5min = u32::MAX;
        config.rate_limit_per_day = u32::MAX;
    }
    if args.second_account {
        config.other_accounts.push(AccountConfig::martin());
    }
    let api_id = config.api_id.clone();
    let applications = config.oauth.applications.clone();
    let other_accounts = config.other_accounts.clone();
    let emulator = Emulator::start(config)?;
    emulator.log_requests_to_stderr(true);
    // On stderr: scripts read only the first stdout line.
    for application in applications {
        let kind = match application.client_secret {
            Some(_) => "confidential",
            None => "public",
        };
        eprintln!(
            "OAuth application {} ({kind}), redirect {}; authorize at {}/oauth/authorize",
            application.client_id,
            application.redirect_uris.join(" "),
            emulator.base_url()
        );
    }

    for account in other_accounts {
        let firms: Vec<String> = account.firms.iter().map(|(id, _)| id.to_string()).collect();
        eprintln!(
            "Account {} (api id {}, firms {}); sign in with cookie {LOGIN_COOKIE}={}",
            account.login,
            account.api_id,
            firms.join(", "),
            account.login
        );
    }

    // Scripts wait for this exact line to learn the URL, so it must not sit in a buffer.
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "facturation-pro emulator listening on {} (api id {api_id})",
        emulator.base_url()
    )?;
    stdout.flush()?;

    // The server runs on its own thread; this one only keeps the process alive until a
    // signal (SIGTERM, ctrl-c) ends it with the default disposition.
    loop {
        std::thread::park();
    }
}
