//! TLS for RTMPS and RTSPS: one acceptor from `--tls-cert` and
//! `--tls-key` (PEM), with RustCrypto's provider (no ring, no aws-lc),
//! shared by every TLS listener.

use std::path::PathBuf;
use std::sync::Arc;

/// The certificate and key files of the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsFiles {
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
}

impl TlsFiles {
    /// The acceptor when both files are given, `None` when neither is.
    pub(crate) fn acceptor(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, String> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => acceptor(cert, key).map(Some),
            (None, None) => Ok(None),
            _ => Err("--tls-cert and --tls-key go together".into()),
        }
    }
}

/// A TLS acceptor for the PEM certificate chain and key.
fn acceptor(cert: &PathBuf, key: &PathBuf) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls_rustcrypto::provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("TLS: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
