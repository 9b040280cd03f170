//! A certificate authority and a leaf certificate for 127.0.0.1 / localhost, made at start,
//! and the TLS accept loop both fakes serve with.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;

/// The fake's certificates.
pub(crate) struct Certs {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The leaf certificate, DER.
    pub leaf_der: CertificateDer<'static>,
    /// The server configuration presenting the leaf (and the CA as its chain).
    pub server_config: Arc<rustls::ServerConfig>,
}

impl Certs {
    /// SHA-256 of the leaf certificate in the form PVE shows (`AA:BB:...`).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.leaf_der.as_ref());
        digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }
}

pub(crate) fn generate() -> Certs {
    let ca_key = KeyPair::generate().expect("generate the CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "fake-pve test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("generate the leaf key");
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("leaf parameters");
    leaf_params.distinguished_name.push(DnType::CommonName, "fake-pve node");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).expect("sign the leaf");

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let chain = vec![leaf.der().clone(), ca_cert.der().clone()];
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Certs { ca_pem: ca_cert.pem(), leaf_der: leaf.der().clone(), server_config: Arc::new(config) }
}

/// Accepts connections until `shutdown` changes. `accepted` sees each TCP connection first;
/// each TLS handshake must finish within 10 s, and `serve` then runs the connection until it
/// ends or `shutdown` changes.
pub(crate) async fn accept_loop<S, F>(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    mut shutdown: watch::Receiver<bool>,
    accepted: impl Fn(&TcpStream),
    serve: S,
) where
    S: Fn(TlsStream<TcpStream>) -> F + Clone + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    loop {
        let next = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _)) = next else { continue };
        accepted(&tcp);
        let (acceptor, serve, mut shutdown) = (acceptor.clone(), serve.clone(), shutdown.clone());
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                _ => return,
            };
            tokio::select! {
                _ = serve(tls) => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}
