//! The connections the emulator accepts: numbered and counted as they arrive, over plain TCP
//! or TLS, so tests can tell how many connections (and TLS handshakes) a client needed and
//! which one each request came on.
//!
//! The TLS handshake runs in the accept loop, one connection at a time. That is plenty for a
//! test double, and a handshake that stalls is given up after [`HANDSHAKE_PATIENCE`] so the
//! loop moves on.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::HandshakeKind;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::faults::{Connection, CuttableListener, CuttableStream};

const HANDSHAKE_PATIENCE: Duration = Duration::from_secs(10);

/// How many connections the emulator accepted, and how TLS went on them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// TCP connections accepted (over TLS, failed handshakes included).
    pub connections: u64,
    /// TLS handshakes completed (always 0 on plain HTTP).
    pub tls_handshakes: u64,
    /// Of those, the ones that resumed an earlier session instead of a full handshake.
    pub resumed_handshakes: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    connections: AtomicU64,
    tls_handshakes: AtomicU64,
    resumed_handshakes: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ConnectionStats {
        ConnectionStats {
            connections: self.connections.load(Ordering::SeqCst),
            tls_handshakes: self.tls_handshakes.load(Ordering::SeqCst),
            resumed_handshakes: self.resumed_handshakes.load(Ordering::SeqCst),
        }
    }
}

/// What every request learns of the connection it came on.
#[derive(Clone)]
pub(crate) struct Peer {
    /// 1 for the first connection accepted, then 2, 3...
    pub(crate) number: u64,
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
    /// The switch a fault throws to cut this connection.
    pub(crate) cut: Connection,
}

impl Connected<IncomingStream<'_, ApiListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, ApiListener>) -> Self {
        stream.io().peer.clone()
    }
}

/// The emulator's listener: plain TCP, or TLS when given an acceptor.
pub(crate) struct ApiListener {
    tcp: CuttableListener,
    tls: Option<TlsAcceptor>,
    counters: Arc<Counters>,
}

impl ApiListener {
    pub(crate) fn new(
        tcp: CuttableListener,
        tls: Option<TlsAcceptor>,
        counters: Arc<Counters>,
    ) -> Self {
        Self { tcp, tls, counters }
    }

    /// The TLS side of a new connection, or `None` if the client gave up or refused our
    /// certificate (the usual outcome when it does not trust the test CA).
    async fn handshake(
        &self,
        acceptor: &TlsAcceptor,
        stream: CuttableStream,
    ) -> Option<TlsStream<CuttableStream>> {
        let accepted = tokio::time::timeout(HANDSHAKE_PATIENCE, acceptor.accept(stream)).await;
        let stream = accepted.ok()?.ok()?;
        self.counters.tls_handshakes.fetch_add(1, Ordering::SeqCst);
        if stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed) {
            self.counters
                .resumed_handshakes
                .fetch_add(1, Ordering::SeqCst);
        }
        Some(stream)
    }
}

impl Listener for ApiListener {
    type Io = ApiStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = Listener::accept(&mut self.tcp).await;
            let number = self.counters.connections.fetch_add(1, Ordering::SeqCst) + 1;
            let peer = Peer {
                number,
                addr,
                tls: self.tls.is_some(),
                cut: stream.connection().clone(),
            };
            let transport = match &self.tls {
                None => Transport::Plain(stream),
                Some(acceptor) => match self.handshake(acceptor, stream).await {
                    Some(stream) => Transport::Tls(Box::new(stream)),
                    None => continue,
                },
            };
            return (ApiStream { peer, transport }, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Listener::local_addr(&self.tcp)
    }
}

/// One accepted connection, with what requests on it are told about it.
pub(crate) struct ApiStream {
    peer: Peer,
    transport: Transport,
}

enum Transport {
    Plain(CuttableStream),
    Tls(Box<TlsStream<CuttableStream>>),
}

impl AsyncRead for ApiStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Transport::Tls(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ApiStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Transport::Tls(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Transport::Tls(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Transport::Tls(stream) => Pin::new(stream).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::sync::Arc;

    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

    use super::ConnectionStats;
    use crate::emulator::{Emulator, EmulatorConfig, RequestConnection, TestCa};
    use crate::harness::raw_http;

    fn https_emulator(ca: &TestCa) -> Emulator {
        Emulator::start(EmulatorConfig {
            tls: Some(ca.clone()),
            ..EmulatorConfig::without_demo_data()
        })
        .expect("start the emulator")
    }

    /// A client trusting `roots`, offering these ALPN protocols.
    fn client_config(roots: &[&TestCa], alpn: &[&[u8]]) -> Arc<ClientConfig> {
        let mut store = RootCertStore::empty();
        for ca in roots {
            store
                .add(ca.certificate())
                .expect("a usable CA certificate");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(store)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Arc::new(config)
    }

    fn connect_tls(
        emulator: &Emulator,
        config: &Arc<ClientConfig>,
    ) -> StreamOwned<ClientConnection, TcpStream> {
        let socket = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let connection = ClientConnection::new(Arc::clone(config), name).unwrap();
        StreamOwned::new(connection, socket)
    }

    #[test]
    fn requests_over_tls_name_their_connection_and_a_second_connection_resumes() {
        let ca = TestCa::new().unwrap();
        let emulator = https_emulator(&ca);
        assert_eq!(
            emulator.base_url(),
            format!("https://localhost:{}", emulator.port())
        );
        let config = client_config(&[&ca], &[b"http/1.1"]);

        let mut first = connect_tls(&emulator, &config);
        assert_eq!(raw_http::get(&mut first, "/account.json").0, 200);
        assert_eq!(raw_http::get(&mut first, "/account.json").0, 200);
        let first_port = first.sock.local_addr().unwrap();
        let mut second = connect_tls(&emulator, &config);
        assert_eq!(raw_http::get(&mut second, "/account.json").0, 200);

        let connections: Vec<RequestConnection> = emulator
            .requests()
            .into_iter()
            .map(|request| request.connection)
            .collect();
        let on_first = RequestConnection {
            number: 1,
            peer: Some(first_port),
            tls: true,
            http_version: "HTTP/1.1".into(),
        };
        let on_second = RequestConnection {
            number: 2,
            peer: Some(second.sock.local_addr().unwrap()),
            ..on_first.clone()
        };
        assert_eq!(connections, [on_first.clone(), on_first, on_second]);
        assert_eq!(
            emulator.connection_stats(),
            ConnectionStats {
                connections: 2,
                tls_handshakes: 2,
                resumed_handshakes: 1,
            }
        );
    }

    #[test]
    fn alpn_offers_http2_before_http1() {
        let ca = TestCa::new().unwrap();
        let emulator = https_emulator(&ca);
        for (offered, chosen) in [
            (&[&b"h2"[..], b"http/1.1"][..], &b"h2"[..]),
            (&[&b"http/1.1"[..]][..], &b"http/1.1"[..]),
        ] {
            let mut stream = connect_tls(&emulator, &client_config(&[&ca], offered));
            while stream.conn.is_handshaking() {
                stream.conn.complete_io(&mut stream.sock).unwrap();
            }
            assert_eq!(stream.conn.alpn_protocol(), Some(chosen));
        }
    }

    #[test]
    fn a_client_that_does_not_trust_the_test_ca_gets_no_further_than_the_handshake() {
        let emulator = https_emulator(&TestCa::new().unwrap());
        let stranger = TestCa::new().unwrap();
        let mut stream = connect_tls(&emulator, &client_config(&[&stranger], &[]));
        let error = loop {
            match stream.conn.complete_io(&mut stream.sock) {
                Err(error) => break error,
                Ok(_) => assert!(stream.conn.is_handshaking(), "the handshake succeeded"),
            }
        };
        assert!(
            error.to_string().contains("invalid peer certificate"),
            "{error}"
        );
        assert_eq!(emulator.connection_stats().tls_handshakes, 0);
        assert!(emulator.requests().is_empty());
    }

    #[test]
    fn plain_http_connections_are_numbered_in_order() {
        let emulator = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
        for _ in 0..2 {
            let mut socket = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
            assert_eq!(raw_http::get(&mut socket, "/account.json").0, 200);
        }
        let numbers: Vec<(u64, bool, String)> = emulator
            .requests()
            .into_iter()
            .map(|request| {
                let connection = request.connection;
                (connection.number, connection.tls, connection.http_version)
            })
            .collect();
        assert_eq!(
            numbers,
            [(1, false, "HTTP/1.1".into()), (2, false, "HTTP/1.1".into())]
        );
        assert_eq!(emulator.connection_stats().connections, 2);
    }
}
