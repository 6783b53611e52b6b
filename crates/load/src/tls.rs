//! HTTPS with rustls (ring provider, no OpenSSL): the client configuration (Mozilla's
//! root certificates from webpki-roots, plus `--cacert` files), ALPN `http/1.1`, SNI from
//! the URL's host, and `--insecure`, which accepts any certificate but still checks that
//! the server holds the key it presents (handshake signatures are verified).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::Error;

/// TLS for a run: the client configuration and the name sent as SNI and checked against
/// the certificate.
#[derive(Clone, Debug)]
pub struct Tls {
    /// The rustls client configuration (shared by all connections).
    pub config: Arc<ClientConfig>,
    /// The server name (SNI; none is sent for an IP address).
    pub server_name: ServerName<'static>,
}

impl Tls {
    /// TLS to `host`, trusting the web's roots and `extra` certificates, or anything
    /// with `insecure`.
    ///
    /// # Errors
    /// [`Error::Usage`] if `host` is not a valid DNS name or IP address.
    pub fn new(
        host: &str,
        insecure: bool,
        extra: &[CertificateDer<'static>],
    ) -> Result<Tls, Error> {
        let server_name = ServerName::try_from(host.to_string())
            .map_err(|_| Error::Usage(format!("{host:?} is not a valid TLS server name")))?;
        Ok(Tls {
            config: client_config(insecure, extra)?,
            server_name,
        })
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client configuration: TLS 1.2 and 1.3, ALPN `http/1.1`.
///
/// # Errors
/// [`Error::Usage`] if an extra certificate is unusable as a root.
pub fn client_config(
    insecure: bool,
    extra: &[CertificateDer<'static>],
) -> Result<Arc<ClientConfig>, Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Usage(format!("TLS setup: {e}")))?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            roots
                .add(cert.clone())
                .map_err(|e| Error::Usage(format!("--cacert: {e}")))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Read the certificates of a PEM file (`--cacert`).
///
/// # Errors
/// [`Error::Usage`] if the file cannot be read or holds no certificate.
pub fn read_pem_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let what = || format!("--cacert {}", path.display());
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Usage(format!("{}: {e}", what())))?
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Usage(format!("{}: {e}", what())))?;
    if certs.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no certificate in the file",
            what()
        )));
    }
    Ok(certs)
}

/// `--insecure`: any certificate is accepted; handshake signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
