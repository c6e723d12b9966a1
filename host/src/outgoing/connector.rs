//! How a connection to the API is opened: straight to it, or through the configured proxy
//! with a CONNECT tunnel (for http:// destinations too: one way through a proxy is simpler
//! to reason about, and the API is https:// anyway). TLS, when the destination needs it,
//! runs inside the tunnel, end to end with the API: the proxy sees only the host and port.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::network::{NetworkSettings, Proxy};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest answer to a CONNECT we read: a proxy's status line and a few headers.
const MAX_TUNNEL_ANSWER: usize = 8 * 1024;

/// Why a connection through the proxy failed; the message names the setting to fix.
#[derive(Debug)]
pub enum ProxyError {
    Unreachable {
        setting: &'static str,
        cause: String,
    },
    Refused {
        setting: &'static str,
        status: u16,
    },
    Malformed {
        setting: &'static str,
    },
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyError::Unreachable { setting, cause } => {
                write!(
                    f,
                    "the proxy named by {setting} could not be reached ({cause})"
                )
            }
            ProxyError::Refused {
                setting,
                status: 407,
            } => write!(
                f,
                "the proxy named by {setting} asks for credentials (HTTP 407): put them in \
                 {setting} as http://user:password@host:port"
            ),
            ProxyError::Refused { setting, status } => write!(
                f,
                "the proxy named by {setting} refused to open a tunnel to the API (HTTP \
                 {status}); ask whoever runs it to allow this host, or list it in NO_PROXY"
            ),
            ProxyError::Malformed { setting } => write!(
                f,
                "the proxy named by {setting} gave an answer that is not HTTP to our CONNECT"
            ),
        }
    }
}

impl std::error::Error for ProxyError {}

/// A proxy as the connector uses it: where to connect, what to say.
struct Route {
    address: Uri,
    /// The Proxy-Authorization value, from the URL's userinfo.
    authorization: Option<String>,
    setting: &'static str,
}

impl Route {
    fn of(proxy: &Proxy, matcher: &Matcher, sample: &str) -> Option<Route> {
        let sample: Uri = sample.parse().ok()?;
        let intercept = matcher.intercept(&sample)?;
        Some(Route {
            address: intercept.uri().clone(),
            authorization: intercept
                .basic_auth()
                .and_then(|value| value.to_str().ok())
                .map(str::to_string),
            setting: proxy.setting,
        })
    }
}

/// Opens TCP connections for the pooled client, through the proxy where the settings say.
#[derive(Clone)]
pub struct Connector {
    direct: HttpConnector,
    proxies: Option<Arc<Proxies>>,
}

struct Proxies {
    matcher: Matcher,
    http: Option<Route>,
    https: Option<Route>,
}

impl Connector {
    pub fn new(network: &NetworkSettings, direct: HttpConnector) -> Connector {
        let proxies = (network.http_proxy.is_some() || network.https_proxy.is_some()).then(|| {
            let mut builder = Matcher::builder();
            if let Some(proxy) = &network.http_proxy {
                builder = builder.http(&proxy.url);
            }
            if let Some(proxy) = &network.https_proxy {
                builder = builder.https(&proxy.url);
            }
            if let Some(no_proxy) = &network.no_proxy {
                builder = builder.no(no_proxy);
            }
            let matcher = builder.build();
            // The routes do not depend on the destination, only on its scheme: worked out
            // once from a sample (NO_PROXY is checked per destination in `call`).
            let route = |proxy: &Option<Proxy>, sample| {
                proxy
                    .as_ref()
                    .and_then(|proxy| Route::of(proxy, &matcher, sample))
            };
            Arc::new(Proxies {
                http: route(&network.http_proxy, "http://proxy.check.invalid/"),
                https: route(&network.https_proxy, "https://proxy.check.invalid/"),
                matcher,
            })
        });
        Connector { direct, proxies }
    }

    /// The proxy for `destination`, if one applies.
    fn route_for(&self, destination: &Uri) -> Option<(&Route, Arc<Proxies>)> {
        let proxies = self.proxies.as_ref()?;
        proxies.matcher.intercept(destination)?;
        let route = match destination.scheme_str() {
            Some("https") => proxies.https.as_ref(),
            _ => proxies.http.as_ref(),
        }?;
        Some((route, proxies.clone()))
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let Some((route, _)) = self.route_for(&destination) else {
            let connecting = self.direct.call(destination);
            return Box::pin(async move { Ok(connecting.await?) });
        };
        let setting = route.setting;
        let authorization = route.authorization.clone();
        let connecting = self.direct.call(route.address.clone());
        Box::pin(async move {
            let mut stream = connecting.await.map_err(|error| ProxyError::Unreachable {
                setting,
                cause: error.to_string(),
            })?;
            open_tunnel(
                stream.inner_mut(),
                &destination,
                authorization.as_deref(),
                setting,
            )
            .await?;
            Ok(stream)
        })
    }
}

/// Asks the proxy for a tunnel to `destination` and reads its answer, not one byte more:
/// what follows belongs to the tunnel.
async fn open_tunnel(
    stream: &mut TcpStream,
    destination: &Uri,
    authorization: Option<&str>,
    setting: &'static str,
) -> Result<(), ProxyError> {
    let host = destination.host().unwrap_or_default();
    let port = destination
        .port_u16()
        .unwrap_or(match destination.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(credentials) = authorization {
        request.push_str(&format!("Proxy-Authorization: {credentials}\r\n"));
    }
    request.push_str("\r\n");
    let unreachable = |error: std::io::Error| ProxyError::Unreachable {
        setting,
        cause: error.to_string(),
    };
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(unreachable)?;
    let mut answer = Vec::with_capacity(128);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_TUNNEL_ANSWER {
            return Err(ProxyError::Malformed { setting });
        }
        let byte = stream.read_u8().await.map_err(unreachable)?;
        answer.push(byte);
    }
    match tunnel_status(&answer) {
        Some(200..=299) => Ok(()),
        Some(status) => Err(ProxyError::Refused { setting, status }),
        None => Err(ProxyError::Malformed { setting }),
    }
}

/// The status code of an HTTP/1.x status line.
fn tunnel_status(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|&byte| byte == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split(' ');
    let version = words.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::prelude::{BASE64_STANDARD, Engine as _};

    #[test]
    fn status_lines() {
        assert_eq!(
            tunnel_status(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some(200)
        );
        assert_eq!(
            tunnel_status(b"HTTP/1.0 407 Auth\r\nX: y\r\n\r\n"),
            Some(407)
        );
        assert_eq!(tunnel_status(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(tunnel_status(b"HTTP/1.1 abc\r\n\r\n"), None);
    }

    #[test]
    fn no_proxy_and_the_scheme_choose_the_route() {
        let network = NetworkSettings {
            https_proxy: Some(Proxy {
                url: "http://bob:pw@proxy.corp:3128".into(),
                setting: "HTTPS_PROXY",
            }),
            no_proxy: Some("internal.corp".into()),
            ..NetworkSettings::default()
        };
        let connector = Connector::new(&network, HttpConnector::new());
        let route = |url: &str| {
            connector
                .route_for(&url.parse().unwrap())
                .map(|(route, _)| (route.address.to_string(), route.authorization.clone()))
        };
        assert_eq!(
            route("https://www.facturation.pro/firms"),
            Some((
                "http://proxy.corp:3128/".into(),
                Some(format!("Basic {}", BASE64_STANDARD.encode("bob:pw")))
            ))
        );
        assert_eq!(route("https://api.internal.corp/"), None);
        assert_eq!(route("http://www.facturation.pro/"), None);
    }
}
