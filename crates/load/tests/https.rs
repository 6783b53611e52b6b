//! HTTPS against a local TLS server whose certificate the test makes: `--insecure`
//! accepts it, the default (web roots) refuses it as `tls` errors, trusting its CA
//! verifies it; SNI and ALPN reach the server.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{tls, Behavior};
use load::plan::parse_url;
use load::requests::{Entry, Requests};
use load::tls::Tls;
use load::{Outputs, Plan, Target};

/// A plan for `url` (whose host may be a name), connecting to the server's address.
fn plan(server: &tls::TlsServer, host: &str, tls: Tls) -> Plan {
    let text = format!("https://{host}:{}/x", server.addr.port());
    let url = parse_url(&text).unwrap();
    Plan {
        url: text.clone(),
        tls: Some(tls),
        target: Target::Http {
            requests: Requests::single(Entry {
                label: format!("GET {text}"),
                bytes: load::url::http_request(&url, "GET", &[], b""),
                head: false,
                weight: 1,
            }),
        },
        requests: Some(200),
        ..Plan::for_test(server.addr)
    }
}

/// --insecure: every request answered over TLS 1.3 with ALPN http/1.1 and SNI localhost.
#[test]
fn insecure_accepts_a_self_made_certificate() {
    let server = tls::start(Behavior::Ok);
    let t = Tls::new("localhost", true, &[]).unwrap();
    let r = load::run(plan(&server, "localhost", t), &mut Outputs::none()).unwrap();
    assert_eq!((r.requests, r.errors.total()), (200, 0), "{:?}", r.errors);
    assert_eq!(server.count.load(Ordering::SeqCst), 200);
    let hs = server.handshakes.lock().unwrap().clone();
    assert_eq!(hs.len(), 2, "one handshake per connection: {hs:?}");
    for (sni, alpn) in hs {
        assert_eq!(sni.as_deref(), Some("localhost"));
        assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    }
}

/// Without --insecure the certificate is checked: unknown issuer is a `tls` error (and
/// the run fails); trusting the test CA makes it verify, for a name and for an IP.
#[test]
fn certificates_are_verified() {
    let server = tls::start(Behavior::Ok);
    let strict = Tls::new("localhost", false, &[]).unwrap();
    let r = load::run(
        Plan {
            requests: Some(5),
            ..plan(&server, "localhost", strict)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    assert_eq!((r.requests, r.errors.tls), (0, 5), "{:?}", r.errors);
    assert!(server.failed.load(Ordering::SeqCst) >= 5);
    assert_eq!(load::threshold::verdict(&r, &[]).len(), 1);
    for host in ["localhost", "127.0.0.1"] {
        let trusted = Tls::new(host, false, std::slice::from_ref(&server.ca)).unwrap();
        let r = load::run(plan(&server, host, trusted), &mut Outputs::none()).unwrap();
        assert_eq!(
            (r.requests, r.errors.total()),
            (200, 0),
            "{host}: {:?}",
            r.errors
        );
    }
    let wrong_name = Tls::new("example.org", false, std::slice::from_ref(&server.ca)).unwrap();
    let r = load::run(
        Plan {
            requests: Some(3),
            ..plan(&server, "example.org", wrong_name)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    assert_eq!(r.errors.tls, 3, "{:?}", r.errors);
}

/// Open loop and reconnects work over TLS too: Connection: close answers cost a new
/// handshake each, and the count still agrees with the server.
#[test]
fn open_loop_and_reconnects_over_tls() {
    let server = tls::start(Behavior::Close);
    let t = Tls::new("localhost", true, &[]).unwrap();
    let r = load::run(
        Plan {
            rate: Some(200.0),
            requests: None,
            duration: Some(Duration::from_secs(1)),
            ..plan(&server, "localhost", t)
        },
        &mut Outputs::none(),
    )
    .unwrap();
    assert_eq!(r.errors.total(), 0, "{:?}", r.errors);
    assert!((180..=220).contains(&r.requests), "{}", r.requests);
    assert_eq!(server.count.load(Ordering::SeqCst), r.requests);
    assert_eq!(server.handshakes.lock().unwrap().len() as u64, r.requests);
}

/// A PEM file of certificates is read for --cacert; an empty one is refused.
#[test]
fn cacert_file() {
    let server = tls::start(Behavior::Ok);
    let dir = std::env::temp_dir().join(format!("herd-load-cacert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("ca.pem");
    let body = base64_lines(&server.ca);
    std::fs::write(
        &pem,
        format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"),
    )
    .unwrap();
    let certs = load::tls::read_pem_certs(&pem).unwrap();
    assert_eq!(certs, vec![server.ca.clone()]);
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "nothing here\n").unwrap();
    assert!(load::tls::read_pem_certs(&empty).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    text.as_bytes()
        .chunks(64)
        .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
        .collect()
}
