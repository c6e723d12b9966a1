//! What the client trusts: the built-in roots (Mozilla's, as shipped by webpki-roots: the
//! Docker images have no system store to read), plus the certificates of FACTURATION_CA_FILE
//! for networks whose proxy re-signs HTTPS with a company CA. Sessions are resumed (rustls
//! keeps tickets in memory), so a new connection after an idle one costs one round trip less.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        for certificate in company_certificates(path)? {
            roots.add(certificate).with_context(|| {
                format!(
                    "FACTURATION_CA_FILE ({}) holds a certificate that cannot be a trust root",
                    path.display()
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("the TLS library refused its own defaults")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Every certificate of a PEM file; at least one, or the file is surely not what was meant.
fn company_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("FACTURATION_CA_FILE: cannot read {}", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            anyhow::anyhow!(
                "FACTURATION_CA_FILE ({}) is not a PEM bundle: {error}",
                path.display()
            )
        })?;
    if certificates.is_empty() {
        bail!(
            "FACTURATION_CA_FILE ({}) holds no certificate (expected PEM blocks starting \
             with -----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_hold_certificates() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("missing.pem");
        let error = client_config(Some(&missing)).unwrap_err().to_string();
        assert!(
            error.contains("FACTURATION_CA_FILE: cannot read"),
            "{error}"
        );
        let empty = folder.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(error.contains("holds no certificate"), "{error}");
        let broken = folder.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(client_config(Some(&broken)).is_err());
    }

    #[test]
    fn without_a_ca_file_the_built_in_roots_are_trusted() {
        assert!(client_config(None).is_ok());
    }
}
