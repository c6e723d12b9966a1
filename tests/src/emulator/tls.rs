//! HTTPS for the emulator: a certificate authority made fresh for a test, and the server
//! certificate it signs for `localhost` and `127.0.0.1`.
//!
//! Nothing outside the test trusts such a CA, so a client reaches the emulator over TLS only
//! if it is told to trust this CA (the server's `FACTURATION_CA_FILE`): exactly the setting a
//! company whose proxy or API gateway re-signs traffic has to give.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names the server certificate is valid for: the emulator only listens on loopback.
const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A certificate authority made at test time, with one server certificate it signed for
/// `localhost` and `127.0.0.1`. Clones share the same authority, so several emulators (or a
/// proxy's target and the API) can be trusted through one PEM file.
#[derive(Clone)]
pub struct TestCa(Arc<Authority>);

struct Authority {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

impl TestCa {
    /// A new authority and its server certificate (ECDSA P-256 keys, quick to make).
    pub fn new() -> anyhow::Result<TestCa> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "facturation-pro tests CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().context("generating the test CA's key")?;
        let ca_certificate = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_names: Vec<String> = SERVER_NAMES.iter().map(|name| name.to_string()).collect();
        let mut server_params = CertificateParams::new(server_names)?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_key = KeyPair::generate().context("generating the emulator's TLS key")?;
        let server_certificate = server_params.signed_by(&server_key, &issuer)?;

        Ok(TestCa(Arc::new(Authority {
            ca_pem: ca_certificate.pem(),
            ca_der: ca_certificate.der().clone(),
            // The chain a server sends: its own certificate, then the issuer's.
            server_chain: vec![
                server_certificate.der().clone(),
                ca_certificate.der().clone(),
            ],
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        })))
    }

    /// The authority's certificate in PEM, what a CA bundle file holds.
    pub fn pem(&self) -> &str {
        &self.0.ca_pem
    }

    /// Writes the authority's certificate as a PEM bundle at `path` (for
    /// `FACTURATION_CA_FILE`).
    pub fn write_pem(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.pem())
    }

    /// The authority's certificate, for a client's trust store.
    pub fn certificate(&self) -> CertificateDer<'static> {
        self.0.ca_der.clone()
    }

    /// The emulator's side of TLS: its certificate chain, ALPN offering HTTP/2 before
    /// HTTP/1.1, and rustls' default session cache so returning clients can resume.
    pub(crate) fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                self.0.server_chain.clone(),
                PrivateKeyDer::Pkcs8(self.0.server_key.clone_key()),
            )
            .context("loading the emulator's certificate")?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestCa(localhost, 127.0.0.1)")
    }
}
