//! Runs the Facturation.PRO emulator on its own, for manual testing of the MCP server or for
//! test scripts in other languages: start it, read the URL from the first stdout line, kill
//! it when done.

use std::io::Write as _;

use clap::Parser;
use facturation_pro_emulator::emulator::{Emulator, EmulatorConfig};

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
    let api_id = config.api_id.clone();
    let emulator = Emulator::start(config)?;
    emulator.log_requests_to_stderr(true);

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
