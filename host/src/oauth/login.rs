//! `facturation-pro-mcp login` and `logout`. Login is the authorization-code flow with PKCE
//! (S256) and `state`: the URL is printed and opened in the browser ($BROWSER, else the
//! platform's opener), the redirect comes back to a listener on 127.0.0.1, the code is
//! redeemed by the host, and the tokens go to the store. Logout revokes them and forgets them.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Result, bail};

use super::callback::{Listener, Outcome};
use super::store::TokenStore;
use super::{OAuthSettings, endpoint, pkce};

/// How `login` was asked to run.
pub struct LoginOptions {
    /// Ask for scope `read` only.
    pub read_only: bool,
    /// How long to wait for the browser's answer.
    pub timeout: Duration,
    /// Where to listen for the callback instead of 127.0.0.1 (a container's published port).
    pub listen: Option<SocketAddr>,
}

pub async fn login(settings: &OAuthSettings, options: &LoginOptions) -> Result<i32> {
    let client_id = settings.require_client_id()?;
    let (listener, redirect_uri) =
        Listener::bind(settings.redirect_uri.as_deref(), options.listen).await?;
    let verifier = pkce::random_token()?;
    let state = pkce::random_token()?;
    let scope = if options.read_only {
        "read"
    } else {
        "read_write"
    };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", &pkce::challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let url = format!("{}?{query}", settings.endpoint("authorize"));

    eprintln!(
        "Sign in to Facturation.PRO in your browser. If it does not open, visit:\n\n  {url}\n"
    );
    if let Err(error) = open_browser(&url) {
        eprintln!("(could not open a browser: {error})");
    }
    let code = match listener.wait(&state, options.timeout).await? {
        Outcome::Code(code) => code,
        Outcome::Refused(reason) => bail!("the sign-in was not approved ({reason})"),
    };
    let tokens =
        endpoint::redeem_code(settings, client_id, &code, &verifier, &redirect_uri).await?;
    let store = TokenStore::open(&settings.store);
    store.save(&tokens)?;
    println!(
        "Signed in to {} with scope {}; the access token expires at {} and is renewed \
         automatically. Tokens are kept in {}.",
        settings.origin.base_url(),
        if tokens.scope.is_empty() {
            scope
        } else {
            &tokens.scope
        },
        tokens.expiry(),
        store.describe()
    );
    Ok(0)
}

pub async fn logout(settings: &OAuthSettings) -> Result<i32> {
    let store = TokenStore::open(&settings.store);
    let Some(tokens) = store.load()? else {
        println!(
            "Not signed in to {}: nothing to do.",
            settings.origin.base_url()
        );
        return Ok(0);
    };
    // Revoking the refresh token ends the whole grant; the access token is revoked too in
    // case the server keeps them apart. Forgetting them locally happens whatever the server
    // says: a user who logs out must not stay signed in here.
    let mut failures = Vec::new();
    for token in [
        tokens.refresh_token.as_deref(),
        Some(tokens.access_token.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        if let Err(error) = endpoint::revoke(settings, &tokens.client_id, token).await {
            failures.push(format!("{error:#}"));
        }
    }
    store.delete()?;
    if failures.is_empty() {
        println!(
            "Signed out of {}: tokens revoked and forgotten.",
            settings.origin.base_url()
        );
        Ok(0)
    } else {
        eprintln!(
            "Signed out here, but the server could not confirm the revocation ({}); you can \
             also revoke access in Facturation.PRO's settings.",
            failures.join("; ")
        );
        Ok(1)
    }
}

/// Opens `url` with $BROWSER when set (its `%s` replaced by the URL, or the URL appended),
/// else with the platform's opener. Does not wait for the browser.
fn open_browser(url: &str) -> Result<()> {
    let mut command = match std::env::var("BROWSER")
        .ok()
        .filter(|value| !value.is_empty())
    {
        Some(browser) => {
            let mut words = browser
                .split_whitespace()
                .map(|word| word.replace("%s", url));
            let mut command = Command::new(words.next().unwrap_or_default());
            let rest: Vec<String> = words.collect();
            command.args(&rest);
            if !browser.contains("%s") {
                command.arg(url);
            }
            command
        }
        None if cfg!(target_os = "macos") => {
            let mut command = Command::new("open");
            command.arg(url);
            command
        }
        // Not `cmd /C start`: cmd would split the URL at each `&` of its query string and
        // run the pieces as commands. The URL handler takes it whole, as the shell does.
        None if cfg!(windows) => {
            let mut command = Command::new("rundll32");
            command.arg("url.dll,FileProtocolHandler").arg(url);
            command
        }
        None => {
            let mut command = Command::new("xdg-open");
            command.arg(url);
            command
        }
    };
    let mut browser = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Reaped in the background: the sign-in goes on whatever the browser does.
    std::thread::spawn(move || browser.wait());
    Ok(())
}
