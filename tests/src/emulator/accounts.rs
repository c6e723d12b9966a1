//! The vendor's user accounts. Each one has its own API id and key, its own firms, its own
//! OAuth tokens and its own request quotas, so that a client serving several users can be
//! checked for isolation: one user's credentials never reach another user's firms.
//!
//! The first account is made of `EmulatorConfig`'s top-level fields, so that a config with
//! no `other_accounts` behaves exactly as the single-account emulator always did.

use std::collections::BTreeSet;

use anyhow::ensure;

use super::EmulatorConfig;

/// The cookie that says who is signed in at the vendor, for `GET /oauth/authorize`: its value
/// is an account's `login`. Without it, the first account is signed in.
pub const LOGIN_COOKIE: &str = "emulator_login";

/// The login of the first account (`EmulatorConfig`'s top-level fields).
pub const FIRST_LOGIN: &str = "demo";

/// The id `GET /account.json` reports for the first account; the next accounts get the
/// following ids. The reference gives no way to choose it.
pub(crate) const FIRST_ACCOUNT_ID: u64 = 4_217;

/// One more account of the emulated service, beside the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountConfig {
    /// The API identifier expected as the Basic auth user name.
    pub api_id: String,
    /// The API key expected as the Basic auth password.
    pub api_key: String,
    /// E-mail address reported by `GET /account.json`.
    pub user_email: String,
    /// The name a browser is signed in as: the value of the [`LOGIN_COOKIE`] cookie.
    pub login: String,
    /// The account's firms, as `(firm id, firm name)`; ids are unique across accounts.
    pub firms: Vec<(u64, String)>,
}

impl AccountConfig {
    /// A second user with one firm and no demo data: what isolation tests pair with the
    /// default account.
    pub fn martin() -> Self {
        Self {
            api_id: "martin-api-id".to_owned(),
            api_key: "martin-api-key".to_owned(),
            user_email: "martin@example.test".to_owned(),
            login: "martin".to_owned(),
            firms: vec![(2001, "Atelier Martin EURL".to_owned())],
        }
    }
}

impl EmulatorConfig {
    /// The default account (with its demo data) and [`AccountConfig::martin`] beside it.
    pub fn with_second_account() -> Self {
        Self {
            other_accounts: vec![AccountConfig::martin()],
            ..Self::default()
        }
    }

    /// Every account, the first one (top-level fields, login [`FIRST_LOGIN`]) first.
    pub(crate) fn accounts(&self) -> Vec<AccountConfig> {
        let first = AccountConfig {
            api_id: self.api_id.clone(),
            api_key: self.api_key.clone(),
            user_email: self.user_email.clone(),
            login: FIRST_LOGIN.to_owned(),
            firms: self.firms.clone(),
        };
        std::iter::once(first)
            .chain(self.other_accounts.iter().cloned())
            .collect()
    }

    /// Refuses accounts the service could not have: a shared login or API id would make the
    /// caller ambiguous, a shared firm id would put one firm in two accounts.
    pub(crate) fn validate_accounts(&self) -> anyhow::Result<()> {
        let (mut logins, mut api_ids, mut firms) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for account in self.accounts() {
            let login = &account.login;
            ensure!(!login.trim().is_empty(), "an account has an empty login");
            ensure!(
                logins.insert(login.clone()),
                "login {login:?} is used twice"
            );
            ensure!(
                api_ids.insert(account.api_id.clone()),
                "API id {:?} is used by two accounts",
                account.api_id
            );
            for (id, _) in &account.firms {
                ensure!(firms.insert(*id), "firm id {id} is configured twice");
            }
        }
        Ok(())
    }
}

/// An account as the running emulator knows it.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    /// What `GET /account.json` and `/oauth/token/info` report.
    pub(crate) id: u64,
    pub(crate) login: String,
    pub(crate) email: String,
    api_id: String,
    api_key: String,
}

/// Every account, in configuration order.
#[derive(Clone, Debug)]
pub(crate) struct Accounts(Vec<Account>);

impl Accounts {
    pub(crate) fn new(config: &EmulatorConfig) -> Self {
        let accounts = config
            .accounts()
            .into_iter()
            .zip(FIRST_ACCOUNT_ID..)
            .map(|(account, id)| Account {
                id,
                login: account.login,
                email: account.user_email,
                api_id: account.api_id,
                api_key: account.api_key,
            })
            .collect();
        Self(accounts)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Account> {
        self.0.iter()
    }

    /// Whom an authorization request is made by when no browser session says otherwise.
    pub(crate) fn first(&self) -> &Account {
        &self.0[0]
    }

    pub(crate) fn by_id(&self, id: u64) -> Option<&Account> {
        self.0.iter().find(|account| account.id == id)
    }

    pub(crate) fn by_login(&self, login: &str) -> Option<&Account> {
        self.0.iter().find(|account| account.login == login)
    }

    /// The account whose API id and key these are.
    pub(crate) fn by_api_key(&self, api_id: &str, api_key: &str) -> Option<&Account> {
        self.0
            .iter()
            .find(|account| account.api_id == api_id && account.api_key == api_key)
    }

    /// The login of an account id, for test-facing snapshots.
    pub(crate) fn login(&self, id: u64) -> String {
        self.by_id(id)
            .map(|account| account.login.clone())
            .unwrap_or_default()
    }
}
