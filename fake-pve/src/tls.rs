//! A certificate authority and a leaf certificate for 127.0.0.1 / localhost, made at start.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// The fake's certificates.
pub(crate) struct Certs {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The leaf certificate, DER.
    pub leaf_der: CertificateDer<'static>,
    /// The server configuration presenting the leaf (and the CA as its chain).
    pub server_config: Arc<rustls::ServerConfig>,
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
