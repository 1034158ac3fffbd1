//! TLS to PostgreSQL, with libpq's meanings of `sslmode`:
//! - `disable`: never; `prefer` (the default) and `require`: encrypt (`prefer` only if the server offers it), but
//!   do not check the server's certificate (as libpq does without a root certificate);
//! - `verify-ca`: the certificate must chain to `sslrootcert`; `verify-full`: and name the host connected to.
//!
//! tokio-postgres knows `sslmode` only up to `require` and not `sslrootcert`, so [`split`] takes both out of the
//! URL's query and hands tokio-postgres the rest (with `require` for the verifying modes). The connector is
//! rustls (no system OpenSSL), with the `ring` provider.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::ConnectError;

/// `sslmode`, as libpq reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa(PathBuf),
    VerifyFull(PathBuf),
}

/// The URL without `sslmode` and `sslrootcert` (with `sslmode` put back as tokio-postgres reads it), and the mode.
pub(crate) fn split(url: &str) -> Result<(String, Mode), ConnectError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut mode, mut root) = (None, None);
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root = Some(PathBuf::from(value.as_ref())),
            _ => {
                rest.append_pair(&key, &value);
            }
        }
    }
    let mode = match (mode.as_deref(), root) {
        (None | Some("prefer"), _) => Mode::Prefer,
        (Some("disable"), _) => Mode::Disable,
        (Some("require"), _) => Mode::Require,
        (Some("verify-ca"), Some(root)) => Mode::VerifyCa(root),
        (Some("verify-full"), Some(root)) => Mode::VerifyFull(root),
        (Some(mode @ ("verify-ca" | "verify-full")), None) => {
            return Err(ConnectError::Url(format!("sslmode={mode} needs sslrootcert=<CA file>")));
        }
        (Some(other), _) => {
            return Err(ConnectError::Url(format!(
                "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    let ssl = match mode {
        Mode::Disable => "disable",
        Mode::Prefer => "prefer",
        _ => "require",
    };
    rest.append_pair("sslmode", ssl);
    Ok((format!("{base}?{}", rest.finish()), mode))
}

/// The connector for `mode` (also used, and unused by tokio-postgres, with `disable`).
pub(crate) fn connector(mode: &Mode) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        Mode::Disable | Mode::Prefer | Mode::Require => Arc::new(Unverified(provider)),
        Mode::VerifyCa(root) | Mode::VerifyFull(root) => {
            let mut roots = RootCertStore::empty();
            let certificates = CertificateDer::pem_file_iter(root)
                .map_err(|e| ConnectError::Tls(format!("cannot read sslrootcert {}: {e}", root.display())))?;
            for certificate in certificates {
                let certificate =
                    certificate.map_err(|e| ConnectError::Tls(format!("sslrootcert {}: {e}", root.display())))?;
                roots
                    .add(certificate)
                    .map_err(|e| ConnectError::Tls(format!("sslrootcert {}: {e}", root.display())))?;
            }
            if roots.is_empty() {
                return Err(ConnectError::Tls(format!(
                    "sslrootcert {} holds no certificate",
                    root.display()
                )));
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| ConnectError::Tls(e.to_string()))?;
            match mode {
                Mode::VerifyCa(_) => Arc::new(AnyName(webpki)),
                _ => webpki,
            }
        }
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// `prefer` and `require`: the handshake's signatures are checked, the certificate is not (libpq's meaning).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
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
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain is checked, the name is not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn libpq_modes_are_read_and_taken_out_of_the_url() {
        let (url, mode) = split("postgres://u:p@h1:5432,h2:5432/db?target_session_attrs=read-write").unwrap();
        assert_eq!(mode, Mode::Prefer);
        assert_eq!(
            url,
            "postgres://u:p@h1:5432,h2:5432/db?target_session_attrs=read-write&sslmode=prefer"
        );
        let (url, mode) = split("postgres://h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem").unwrap();
        assert_eq!(mode, Mode::VerifyFull(PathBuf::from("/etc/ca.pem")));
        assert_eq!(url, "postgres://h/db?sslmode=require");
        assert_eq!(split("postgres://h/db?sslmode=disable").unwrap().1, Mode::Disable);
        assert!(
            split("postgres://h/db?sslmode=verify-ca").is_err(),
            "a verifying mode needs a CA"
        );
        assert!(split("postgres://h/db?sslmode=sometimes").is_err());
    }
}
