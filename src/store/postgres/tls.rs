//! TLS to the database: rustls (the `ring` provider) through `tokio-postgres-rustls`, with
//! libpq's connection parameters and their meanings, read from the URL's query:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | |
//! | `allow`, `prefer` (the default) | when the server offers it | not checked |
//! | `require` | always | checked against `sslrootcert` when it is given, else not checked |
//! | `verify-ca` | always | signed by a certificate of `sslrootcert` |
//! | `verify-full` | always | signed by `sslrootcert`, and names the host |
//!
//! `sslcert` and `sslkey` (PEM files) authenticate the client with a certificate. The
//! `tokio-postgres` parser knows only `disable`, `prefer` and `require` and no file parameter,
//! so these are taken out of the URL here, and the connection is made with a rustls
//! configuration that does what they say. `allow` tries TLS first (libpq tries without first):
//! the safer order, and the same connection wherever both work.

use super::StoreError;
use postgres::{Client, Config, NoTls};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it (`allow` too).
    Prefer,
    /// Always TLS; the certificate checked against `sslrootcert` when it is given.
    Require,
    /// Always TLS, the certificate signed by an authority of `sslrootcert`.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host.
    VerifyFull,
}

impl Mode {
    /// The name in a URL.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS parameters of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `sslmode`; `prefer` when absent.
    pub mode: Mode,
    /// `sslrootcert`: a PEM file of certificate authorities.
    pub root_cert: Option<PathBuf>,
    /// `sslcert`: the client's PEM certificate chain.
    pub cert: Option<PathBuf>,
    /// `sslkey`: the client certificate's private key (PEM).
    pub key: Option<PathBuf>,
}

/// How connections are made: in the clear, or with TLS.
#[derive(Clone)]
pub enum Connector {
    /// `sslmode=disable`.
    Plain,
    /// rustls, configured as the mode says.
    Tls(MakeRustlsConnect),
}

impl Connector {
    /// A connection with `config`.
    pub fn connect(&self, config: &Config) -> Result<Client, postgres::Error> {
        match self {
            Connector::Plain => config.connect(NoTls),
            Connector::Tls(tls) => config.connect(tls.clone()),
        }
    }
}

fn bad(url: &str, m: impl std::fmt::Display) -> StoreError {
    StoreError::ConnectionString(format!("`{}`: {m}", super::redact(url)))
}

/// Splits the TLS parameters off the URL: the URL that `tokio-postgres` parses (its `sslmode`
/// one of the three it knows), and the options.
pub fn split(url: &str) -> Result<(String, Options), StoreError> {
    let mut options = Options {
        mode: Mode::Prefer,
        root_cert: None,
        cert: None,
        key: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), options));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || -> Result<String, StoreError> {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| bad(url, format!("the value of `{key}` is not UTF-8")))
        };
        let file = || -> Result<Option<PathBuf>, StoreError> {
            let v = decoded()?;
            if v.is_empty() {
                return Err(bad(url, format!("`{key}` needs a file")));
            }
            Ok(Some(PathBuf::from(v)))
        };
        match key {
            "sslmode" => {
                options.mode = match decoded()?.as_str() {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(bad(
                            url,
                            format!(
                                "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                            ),
                        ));
                    }
                }
            }
            "sslrootcert" => options.root_cert = file()?,
            "sslcert" => options.cert = file()?,
            "sslkey" => options.key = file()?,
            _ => kept.push(pair),
        }
    }
    let wire = match options.mode {
        Mode::Disable => "disable",
        Mode::Prefer => "prefer",
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => "require",
    };
    kept.push(match wire {
        "disable" => "sslmode=disable",
        "prefer" => "sslmode=prefer",
        _ => "sslmode=require",
    });
    if matches!(options.mode, Mode::VerifyCa | Mode::VerifyFull) && options.root_cert.is_none() {
        return Err(bad(
            url,
            format!(
                "sslmode={} checks the server's certificate against `sslrootcert=FILE` (a PEM file of the certificate authorities), which is missing",
                options.mode.name()
            ),
        ));
    }
    if options.cert.is_some() != options.key.is_some() {
        return Err(bad(
            url,
            "a client certificate needs both `sslcert=FILE` and `sslkey=FILE`",
        ));
    }
    Ok((format!("{base}?{}", kept.join("&")), options))
}

/// Why a connection made with `options` to `hosts` can be read or impersonated on the network,
/// if it can: in the clear, or over TLS whose certificate is not checked. Nothing to say when
/// every host is a Unix socket or a loopback address (the traffic does not leave the machine),
/// or when the certificate is checked against `sslrootcert`.
pub fn unverified(options: &Options, hosts: &[postgres::config::Host]) -> Option<String> {
    use postgres::config::Host;
    let local = hosts.iter().all(|h| match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    });
    if local || options.root_cert.is_some() {
        return None;
    }
    match options.mode {
        Mode::Disable => Some(
            "the connection to the database is not encrypted (`sslmode=disable`)".to_string(),
        ),
        Mode::Prefer => Some(
            "the connection to the database is encrypted only if the server offers TLS, and the server's certificate is not checked (`sslmode=prefer`, the default)".to_string(),
        ),
        Mode::Require => Some(
            "the server's certificate is not checked (`sslmode=require` without `sslrootcert`): whoever is on the path can pose as the database".to_string(),
        ),
        Mode::VerifyCa | Mode::VerifyFull => None,
    }
}

/// The certificates of the PEM file that the URL's parameter `param` names.
fn read_certs(param: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read `{param}={}`: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "no PEM certificate in `{param}={}`",
            path.display()
        ));
    }
    Ok(certs)
}

/// The connector for `options`: plain for `disable`, else rustls configured as the mode says.
/// The files are read here, once; a missing or unreadable one is an error now, not at the
/// first connection.
pub fn connector(options: &Options) -> Result<Connector, String> {
    if options.mode == Mode::Disable {
        return Ok(Connector::Plain);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let roots = match &options.root_cert {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in read_certs("sslrootcert", path)? {
                roots.add(cert).map_err(|e| {
                    format!(
                        "`sslrootcert={}`: not a CA certificate: {e}",
                        path.display()
                    )
                })?;
            }
            Some(Arc::new(roots))
        }
        None => None,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (options.mode, roots) {
        (Mode::VerifyFull, Some(roots)) => {
            WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| format!("TLS: {e}"))?
        }
        // `verify-ca`, `prefer` and `require` (`split` refuses `verify-full` without roots;
        // `disable` returned above).
        (_, roots) => Arc::new(Lenient {
            chain: match roots {
                Some(roots) => Some(
                    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                        .build()
                        .map_err(|e| format!("TLS: {e}"))?,
                ),
                None => None,
            },
            provider,
        }),
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let tls = match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => {
            use rustls::pki_types::PrivateKeyDer;
            use rustls::pki_types::pem::PemObject;
            let certs = read_certs("sslcert", cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read `sslkey={}`: {e}", key.display()))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("TLS: the client certificate and key do not fit: {e}"))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Connector::Tls(MakeRustlsConnect::new(tls)))
}

/// Less than `verify-full`, as libpq: `verify-ca` (and `prefer` or `require` with
/// `sslrootcert`) checks that the chain leads to a root of `sslrootcert` but not the name;
/// `prefer` and `require` without it check no certificate. Either way the connection is
/// encrypted and the handshake's signatures are checked.
#[derive(Debug)]
struct Lenient {
    /// The chain's check, when there are roots to check against.
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn splits_the_tls_parameters_off() {
        let (url, o) = split(
            "postgres://u@db.example:5432/polc?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://u@db.example:5432/polc?application_name=x&sslmode=require"
        );
        assert_eq!(o.mode, Mode::VerifyFull);
        assert_eq!(o.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        let (url, o) = split("postgres://u@h/db").unwrap();
        assert_eq!((url.as_str(), o.mode), ("postgres://u@h/db", Mode::Prefer));
        let (url, o) = split("postgres://u@h/db?sslmode=allow").unwrap();
        assert_eq!(
            (url.as_str(), o.mode),
            ("postgres://u@h/db?sslmode=prefer", Mode::Prefer)
        );
    }

    #[test]
    fn says_when_the_database_is_not_verified_and_only_then() {
        use postgres::config::Host;
        let remote = [Host::Tcp("db.internal".into())];
        let local = [
            Host::Tcp("localhost".into()),
            Host::Tcp("127.0.0.1".into()),
            Host::Unix("/run/postgresql".into()),
        ];
        let opts = |url: &str| split(url).unwrap().1;
        for (url, says) in [
            ("postgres://h/db?sslmode=disable", Some("not encrypted")),
            ("postgres://h/db", Some("sslmode=prefer")),
            ("postgres://h/db?sslmode=require", Some("not checked")),
            ("postgres://h/db?sslmode=require&sslrootcert=/ca.pem", None),
            (
                "postgres://h/db?sslmode=verify-ca&sslrootcert=/ca.pem",
                None,
            ),
            (
                "postgres://h/db?sslmode=verify-full&sslrootcert=/ca.pem",
                None,
            ),
        ] {
            let got = unverified(&opts(url), &remote);
            match says {
                Some(s) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(s)),
                    "{url}: {got:?}"
                ),
                None => assert_eq!(got, None, "{url}"),
            }
            assert_eq!(
                unverified(&opts(url), &local),
                None,
                "{url} on this machine"
            );
        }
    }

    #[test]
    fn refuses_what_cannot_be_honoured() {
        for (url, says) in [
            ("postgres://h/db?sslmode=verify-ca", "sslrootcert"),
            ("postgres://h/db?sslmode=strict", "not one of"),
            ("postgres://h/db?sslcert=/c.pem", "both"),
            ("postgres://h/db?sslrootcert=", "needs a file"),
        ] {
            let e = split(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
        }
    }
}
