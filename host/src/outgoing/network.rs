//! The network settings of outgoing requests: the proxy variables every tool on a corporate
//! network already honours, and an extra CA bundle for networks that inspect HTTPS. Checked
//! when the server starts, so a mistake is one line naming the variable, not a failed call.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use http::Uri;

use crate::config::Source;

/// Where requests to one kind of destination (http:// or https://) go first, and which
/// variable said so (error messages name it).
#[derive(Clone)]
pub struct Proxy {
    /// The proxy's own URL, userinfo included (the credentials of the CONNECT request).
    pub url: String,
    pub setting: &'static str,
}

/// Credentials in a proxy URL are secrets: only the proxy's address is ever shown.
impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self
            .url
            .parse::<Uri>()
            .ok()
            .and_then(|uri| uri.host().map(|host| (host.to_string(), uri.port_u16())))
            .map_or("<malformed>".to_string(), |(host, port)| match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            });
        write!(f, "{} via {shown}", self.setting)
    }
}

#[derive(Clone, Debug, Default)]
pub struct NetworkSettings {
    pub http_proxy: Option<Proxy>,
    pub https_proxy: Option<Proxy>,
    /// NO_PROXY as given: hosts, domains (and their subdomains), IP ranges, or `*`.
    pub no_proxy: Option<String>,
    /// FACTURATION_CA_FILE: PEM certificates trusted on top of the built-in roots.
    pub ca_file: Option<PathBuf>,
}

impl NetworkSettings {
    pub fn from_source(source: &Source) -> Result<NetworkSettings> {
        let all = proxy(source, &["ALL_PROXY", "all_proxy"])?;
        Ok(NetworkSettings {
            https_proxy: proxy(source, &["HTTPS_PROXY", "https_proxy"])?.or(all.clone()),
            http_proxy: proxy(source, &["HTTP_PROXY", "http_proxy"])?.or(all),
            no_proxy: source.get("NO_PROXY").or_else(|| source.get("no_proxy")),
            ca_file: source.get("FACTURATION_CA_FILE").map(PathBuf::from),
        })
    }
}

/// The first of `names` that is set, checked: an http:// proxy with a host (a bare
/// `host:port` means http://, as curl reads it).
fn proxy(source: &Source, names: &[&'static str]) -> Result<Option<Proxy>> {
    let Some((setting, raw)) = names
        .iter()
        .find_map(|name| source.get(name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    let url = if raw.contains("://") {
        raw
    } else {
        format!("http://{raw}")
    };
    let uri: Uri = url
        .parse()
        .ok()
        .filter(|uri: &Uri| uri.host().is_some_and(|host| !host.is_empty()))
        .with_context(|| format!("{setting} is not a proxy URL such as http://proxy:3128"))?;
    match uri.scheme_str() {
        Some("http") => Ok(Some(Proxy { url, setting })),
        Some(scheme) => bail!(
            "{setting} uses {scheme}://, which this server does not speak: give the proxy's \
             http:// address (HTTPS still travels encrypted, through a CONNECT tunnel)"
        ),
        None => bail!("{setting} is not a proxy URL such as http://proxy:3128"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<NetworkSettings> {
        NetworkSettings::from_source(&Source::from_pairs(pairs))
    }

    #[test]
    fn the_usual_variables_in_their_usual_order() {
        let network = settings(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("ALL_PROXY", "proxy.corp:3128"),
            ("no_proxy", "localhost,.corp"),
        ])
        .unwrap();
        let https = network.https_proxy.unwrap();
        assert_eq!(
            (https.url.as_str(), https.setting),
            ("http://upper:2", "HTTPS_PROXY")
        );
        let http = network.http_proxy.unwrap();
        assert_eq!(
            (http.url.as_str(), http.setting),
            ("http://proxy.corp:3128", "ALL_PROXY")
        );
        assert_eq!(network.no_proxy.as_deref(), Some("localhost,.corp"));
    }

    #[test]
    fn proxies_we_cannot_use_are_refused_by_name() {
        for (value, words) in [
            ("socks5://proxy:1080", "socks5://"),
            ("https://proxy:443", "https://"),
            ("http://", "not a proxy URL"),
            ("http://exa mple:1", "not a proxy URL"),
        ] {
            let error = settings(&[("HTTPS_PROXY", value)]).unwrap_err().to_string();
            assert!(error.starts_with("HTTPS_PROXY"), "{error}");
            assert!(error.contains(words), "{value}: {error}");
        }
    }

    #[test]
    fn debug_output_hides_proxy_credentials() {
        let network = settings(&[("HTTPS_PROXY", "http://alice:s3cret@proxy.corp:3128")]).unwrap();
        let shown = format!("{network:?}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("alice"),
            "{shown}"
        );
    }
}
