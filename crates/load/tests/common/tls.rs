//! A TLS test server: a CA and a certificate for `localhost` and 127.0.0.1 made by the
//! test with rcgen, rustls with ALPN `http/1.1`, recording the SNI and ALPN each client
//! sent, and serving HTTP with the same behaviors as the plain server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{serve, serve_on_thread, Behavior, Observed};

/// The SNI and ALPN a client sent in one handshake.
pub(crate) type Handshake = (Option<String>, Option<Vec<u8>>);

/// A running TLS server.
pub(crate) struct TlsServer {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) count: Arc<AtomicU64>,
    /// The CA that signed the server's certificate (trust it to verify).
    pub(crate) ca: CertificateDer<'static>,
    /// (SNI, ALPN) of each completed handshake.
    pub(crate) handshakes: Arc<Mutex<Vec<Handshake>>>,
    /// Handshakes that failed (a client that did not trust the certificate).
    pub(crate) failed: Arc<AtomicU64>,
}

/// Start a TLS server answering as `behavior` says.
pub(crate) fn start(behavior: Behavior) -> TlsServer {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "herd load test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let count = Arc::new(AtomicU64::new(0));
    let observed = Arc::new(Observed::default());
    let handshakes = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicU64::new(0));
    let (c, o, h, f) = (
        count.clone(),
        observed.clone(),
        handshakes.clone(),
        failed.clone(),
    );
    let addr = serve_on_thread(move |tcp| {
        let (acceptor, c, o, h, f) = (acceptor.clone(), c.clone(), o.clone(), h.clone(), f.clone());
        tokio::spawn(async move {
            match acceptor.accept(tcp).await {
                Ok(tls) => {
                    let (_, conn) = tls.get_ref();
                    let sni = conn.server_name().map(str::to_string);
                    let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
                    h.lock().unwrap().push((sni, alpn));
                    serve(tls, c, o, behavior).await;
                }
                Err(_) => {
                    f.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    });
    TlsServer {
        addr,
        count,
        ca: ca_cert.der().clone(),
        handshakes,
        failed,
    }
}
