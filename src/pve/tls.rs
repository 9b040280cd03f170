//! TLS: the `rustls::ClientConfig` of a cluster, in one of three modes.
//!
//! - Verified: the chain and host name against the system's roots plus `ca_file`.
//! - Pinned: the leaf certificate's SHA-256 must be one of the configured fingerprints;
//!   nothing else about the certificate is checked, which is how PVE's own tools treat a
//!   pinned fingerprint (nodes use self-signed certificates). A mismatch fails the
//!   handshake, so no request, and no credential, is ever sent.
//! - Insecure (`verify_ssl: false`): any certificate; handshake signatures are still
//!   checked, so the connection is encrypted, just not authenticated.

use crate::config::{ClusterConfig, Fingerprint, TlsMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// The crypto provider: ring, as the workspace's rustls features say.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    // Installing it process-wide lets other rustls users in the process (none today)
    // find it too; a provider installed earlier by someone else is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client configuration for a cluster's TLS mode.
pub(crate) fn client_config(cluster: &ClusterConfig) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match &cluster.tls {
        TlsMode::Verified { extra_roots, .. } => Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots.iter().cloned(), provider.clone())
                .map_err(|e| format!("cannot load the trusted root certificates: {e}"))?,
        ),
        TlsMode::Pinned(pins) => Arc::new(LeafVerifier { pins: Some(pins.clone()), algorithms }),
        TlsMode::Insecure => Arc::new(LeafVerifier { pins: None, algorithms }),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // pveproxy speaks HTTP/1.1.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The leaf certificate's fingerprint is not one of the pinned ones.
#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint {actual} is not the configured one")]
pub(crate) struct FingerprintMismatch {
    /// The fingerprint the node presented.
    pub actual: Fingerprint,
}

/// Accepts a server by its leaf certificate alone: one of the pinned fingerprints, or any
/// certificate when `pins` is `None` (`verify_ssl: false`). Chain and host name are not
/// checked, as PVE's own tools do with a pin; the handshake signatures still are, so the
/// server must hold the certificate's key.
#[derive(Debug)]
struct LeafVerifier {
    pins: Option<Vec<Fingerprint>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for LeafVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(pins) = &self.pins else { return Ok(ServerCertVerified::assertion()) };
        let actual = Fingerprint::of_der(end_entity.as_ref());
        if pins.contains(&actual) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
                FingerprintMismatch { actual },
            )))))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// If `err`'s cause chain holds a certificate rejection, says what was wrong and what to
/// configure.
pub(crate) fn certificate_problem(err: &(dyn std::error::Error + 'static), tls: &TlsMode) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        // `io::Error` hides what it wraps from `source()` (and may wrap another one).
        let mut inner: Option<&(dyn std::error::Error + 'static)> = Some(e);
        for _ in 0..4 {
            let Some(candidate) = inner else { break };
            if let Some(rustls::Error::InvalidCertificate(cert)) = candidate.downcast_ref::<rustls::Error>() {
                return Some(describe(cert, tls));
            }
            inner = candidate
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|i| i as &(dyn std::error::Error + 'static));
        }
        cur = e.source();
    }
    None
}

fn describe(cert: &CertificateError, tls: &TlsMode) -> String {
    if let CertificateError::Other(other) = cert
        && let Some(m) = other.0.downcast_ref::<FingerprintMismatch>()
    {
        let pins = match tls {
            TlsMode::Pinned(p) => p.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", "),
            _ => String::new(),
        };
        return format!(
            "the node's certificate has fingerprint {} but the configured fingerprint is {pins}; \
                 the connection was refused before anything was sent. If the certificate was renewed, \
                 update \"fingerprint\" (PVE shows it under System > Certificates)",
            m.actual
        );
    }
    let hint = match tls {
        TlsMode::Verified { ca_file: Some(f), .. } => {
            format!(
                "check that {} holds the CA that signed the node's certificate, or pin it with \"fingerprint\"",
                f.display()
            )
        }
        _ => {
            "for PVE's self-signed certificates set \"ca_file\" to the cluster CA (/etc/pve/pve-root-ca.pem on a node) \
              or pin the node certificate with \"fingerprint\""
                .to_owned()
        }
    };
    let what = match cert {
        CertificateError::UnknownIssuer => "is signed by an unknown certificate authority".to_owned(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "has expired".to_owned(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "is not valid yet (check the clocks)".to_owned()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "is not valid for this host name".to_owned()
        }
        other => format!("was rejected ({other:?})"),
    };
    format!("the node's certificate {what}: {hint}")
}
