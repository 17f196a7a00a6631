//! Two sessions talking to each other in memory, with a throwaway CA.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

use super::*;
use crate::tls::{ClientOptions, Provider, ServerOptions};

pub(crate) struct Pki {
    pub(crate) ca: String,
    pub(crate) chain: String,
    pub(crate) key: String,
}

pub(crate) fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca: ca.pem(),
        chain: leaf.pem(),
        key: key.serialize_pem(),
    }
}

fn provider() -> Provider {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn pair(pki: &Pki, name: &str) -> (Session, Session) {
    let client = ClientOptions {
        extra_root_certificates: vec![pki.ca.clone()],
        alpn_protocols: vec!["h2".into(), "http/1.1".into()],
        ..ClientOptions::default()
    };
    let server = ServerOptions {
        certificate_chain: pki.chain.clone(),
        private_key: pki.key.clone(),
        alpn_protocols: vec!["http/1.1".into()],
        ..ServerOptions::default()
    };
    let name = client.verified_name(Some(name)).unwrap();
    (
        Session::client(client.config(provider()).unwrap(), name).unwrap(),
        Session::server(server.config(provider()).unwrap()).unwrap(),
    )
}

/// Moves `from`'s pending ciphertext to `to`.
fn flight(from: &mut Session, to: &mut Session) -> Result<Received, Error> {
    let bytes = from.take_outgoing();
    to.receive(&bytes)
}

pub(crate) fn handshake(client: &mut Session, server: &mut Session) -> Result<(), Error> {
    for _ in 0..10 {
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
        flight(client, server)?;
        flight(server, client)?;
    }
    panic!("the handshake did not finish");
}

/// A client and a server session that completed their handshake.
pub(crate) fn established() -> (Session, Session) {
    let pki = pki();
    let (mut client, mut server) = pair(&pki, "localhost");
    handshake(&mut client, &mut server).unwrap();
    (client, server)
}

#[test]
fn a_handshake_then_plaintext_both_ways_and_details() {
    let pki = pki();
    let (mut client, mut server) = pair(&pki, "localhost");
    handshake(&mut client, &mut server).unwrap();
    let details = client.details();
    assert_eq!(details.protocol_version, "TLSv1.3");
    assert_eq!(details.alpn_protocol.as_deref(), Some("http/1.1"));
    assert_eq!(details.peer_certificates.len(), 1);
    assert!(!details.cipher.is_empty());
    // More than one record's worth, to cross record boundaries.
    let big = vec![7u8; 100_000];
    let ciphertext = client.encrypt(&big).unwrap();
    assert!(ciphertext.len() > big.len());
    let mut got = Vec::new();
    for piece in ciphertext.chunks(1000) {
        let received = server.receive(piece).unwrap();
        assert!(!received.peer_closed);
        got.extend(received.plaintext);
    }
    assert_eq!(got, big);
    let back = server.encrypt(b"pong\n").unwrap();
    assert_eq!(client.receive(&back).unwrap().plaintext, b"pong\n");
}

#[test]
fn close_notify_reads_as_the_peers_eof() {
    let pki = pki();
    let (mut client, mut server) = pair(&pki, "localhost");
    handshake(&mut client, &mut server).unwrap();
    let mut bytes = client.encrypt(b"last words").unwrap();
    bytes.extend(client.close_notify());
    let received = server.receive(&bytes).unwrap();
    assert_eq!(received.plaintext, b"last words");
    assert!(received.peer_closed);
}

#[test]
fn a_wrong_name_is_a_tls_error_naming_the_cause() {
    let pki = pki();
    let (mut client, mut server) = pair(&pki, "example.org");
    let error = handshake(&mut client, &mut server).unwrap_err();
    assert!(
        matches!(&error, Error::Tls(m) if m.contains("certificate verify failed")),
        "{error:?}"
    );
    // The alert for the server waits to be sent.
    assert!(client.wants_write());
}

#[test]
fn garbage_from_the_peer_is_a_tls_error() {
    let pki = pki();
    let (mut client, _server) = pair(&pki, "localhost");
    let error = client
        .receive(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        .unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
}

#[test]
fn bad_options_fail_before_any_session() {
    let bad_root = ClientOptions {
        extra_root_certificates: vec!["not a certificate".into()],
        ..ClientOptions::default()
    };
    assert!(
        matches!(bad_root.config(provider()), Err(Error::Tls(m)) if m.contains("extra-root-certificates"))
    );
    let no_name = ClientOptions::default();
    assert!(matches!(
        no_name.verified_name(None),
        Err(Error::InvalidArgument(_))
    ));
    let bad_key = ServerOptions {
        certificate_chain: pki().chain,
        private_key: "nope".into(),
        ..ServerOptions::default()
    };
    assert!(matches!(bad_key.config(provider()), Err(Error::Tls(m)) if m.contains("private-key")));
}

/// One end of an in-memory duplex for [`handshake`](crate::tls::handshake).
struct End {
    tx: futures::channel::mpsc::UnboundedSender<Vec<u8>>,
    rx: futures::channel::mpsc::UnboundedReceiver<Vec<u8>>,
}

impl crate::tls::HandshakeIo for End {
    async fn send(&mut self, flight: Vec<u8>) -> Result<(), Error> {
        self.tx
            .unbounded_send(flight)
            .map_err(|_| Error::connection_lost())
    }

    async fn receive(&mut self) -> Result<Vec<u8>, Error> {
        use futures::StreamExt;
        Ok(self.rx.next().await.unwrap_or_default())
    }
}

fn duplex() -> (End, End) {
    let (a_tx, b_rx) = futures::channel::mpsc::unbounded();
    let (b_tx, a_rx) = futures::channel::mpsc::unbounded();
    (End { tx: a_tx, rx: a_rx }, End { tx: b_tx, rx: b_rx })
}

fn sides(pki: &Pki) -> (crate::tls::Side, crate::tls::Side) {
    let client = ClientOptions {
        extra_root_certificates: vec![pki.ca.clone()],
        shutdown_timeout: Some(std::time::Duration::from_millis(250)),
        ..ClientOptions::default()
    };
    let server = ServerOptions {
        certificate_chain: pki.chain.clone(),
        private_key: pki.key.clone(),
        ..ServerOptions::default()
    };
    (
        crate::tls::Client::new(&client, Some("localhost"), provider())
            .unwrap()
            .into(),
        crate::tls::Server::new(&server, provider()).unwrap().into(),
    )
}

#[test]
fn a_handshake_over_any_byte_moves_gives_both_layers() {
    use crate::tls::handshake;
    let pki = pki();
    let (client_side, server_side) = sides(&pki);
    let (mut a, mut b) = duplex();
    let never = |_| futures::future::pending::<()>();
    let (client, server) = futures::executor::block_on(futures::future::join(
        handshake(&mut a, &client_side, never),
        handshake(&mut b, &server_side, never),
    ));
    let (mut client, _) = client.unwrap();
    let (mut server, _) = server.unwrap();
    assert_eq!(client.details().protocol_version, "TLSv1.3");
    assert_eq!(
        client.shutdown_timeout(),
        std::time::Duration::from_millis(250)
    );
    assert_eq!(server.shutdown_timeout(), crate::tls::SHUTDOWN_TIMEOUT);
    // What a side did not need for its handshake (a TLS 1.3 server is
    // done before the client's Finished; the client before the tickets)
    // stays in the transport for the connection's reads.
    let mut rest = Vec::new();
    while let Ok(data) = b.rx.try_recv() {
        rest.extend(data);
    }
    rest.extend(client.encrypt(b"hello").unwrap());
    assert_eq!(server.receive(&rest).unwrap().plaintext, b"hello");
    let mut tickets_then_bye = Vec::new();
    while let Ok(data) = a.rx.try_recv() {
        tickets_then_bye.extend(data);
    }
    tickets_then_bye.extend(server.close_notify());
    assert!(client.receive(&tickets_then_bye).unwrap().peer_closed);
}

#[test]
fn a_handshake_fails_by_name_when_the_peer_leaves_or_the_bound_passes() {
    use crate::tls::{handshake, peer_left};
    let pki = pki();
    let (client_side, _) = sides(&pki);
    // The peer takes the hello, then closes its sending side.
    let (mut a, b) = duplex();
    let End { tx, rx: _kept } = b;
    drop(tx);
    let left = futures::executor::block_on(handshake(&mut a, &client_side, |_| {
        futures::future::pending::<()>()
    }));
    assert_eq!(left.err(), Some(peer_left()));
    // The peer listens but never answers: the bound passes.
    let (mut a, _b) = duplex();
    let silent = futures::executor::block_on(handshake(&mut a, &client_side, |nanos| {
        assert_eq!(nanos, 60_000_000_000, "asyncio's 60 s default");
        futures::future::ready(())
    }));
    assert!(
        matches!(&silent, Err(Error::Timeout(m)) if m.contains("SSL handshake is taking longer than 60 seconds")),
        "{silent:?}"
    );
}
