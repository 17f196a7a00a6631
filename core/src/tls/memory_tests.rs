//! A client and a server over memory, the caller moving every byte.

use std::sync::Arc;

use super::*;
use crate::tls::session::tests::{Pki, pki};
use crate::tls::{Client, ClientOptions, Provider, Server, ServerOptions};

fn provider() -> Provider {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn sides(pki: &Pki, name: &str) -> (Side, Side) {
    let client = ClientOptions {
        extra_root_certificates: vec![pki.ca.clone()],
        alpn_protocols: vec!["http/1.1".into()],
        ..ClientOptions::default()
    };
    let server = ServerOptions {
        certificate_chain: pki.chain.clone(),
        private_key: pki.key.clone(),
        alpn_protocols: vec!["http/1.1".into()],
        ..ServerOptions::default()
    };
    (
        Client::new(&client, Some(name), provider()).unwrap().into(),
        Server::new(&server, provider()).unwrap().into(),
    )
}

/// Moves `from`'s outgoing ciphertext to `to`; what it carried.
fn flight(from: &mut MemoryTls, to: &mut MemoryTls) -> Result<Received, Error> {
    let bytes = from.take_outgoing();
    to.receive(&bytes)
}

#[test]
fn a_write_before_the_handshake_arrives_after_it() {
    let pki = pki();
    let (client_side, server_side) = sides(&pki, "localhost");
    let mut client = MemoryTls::new(&client_side).unwrap();
    let mut server = MemoryTls::new(&server_side).unwrap();
    assert!(client.is_handshaking());
    assert!(client.details().is_none());
    client.write(b"early").unwrap();
    let mut got = Vec::new();
    for _ in 0..10 {
        got.extend(flight(&mut client, &mut server).unwrap().plaintext);
        flight(&mut server, &mut client).unwrap();
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());
    assert_eq!(got, b"early");
    let details = client.details().expect("details once established");
    assert_eq!(details.alpn_protocol.as_deref(), Some("http/1.1"));
    server.write(b"answer").unwrap();
    assert_eq!(
        flight(&mut server, &mut client).unwrap().plaintext,
        b"answer"
    );
}

#[test]
fn close_sends_close_notify_once_and_refuses_writes() {
    let pki = pki();
    let (client_side, server_side) = sides(&pki, "localhost");
    let mut client = MemoryTls::new(&client_side).unwrap();
    let mut server = MemoryTls::new(&server_side).unwrap();
    while client.is_handshaking() || server.is_handshaking() {
        flight(&mut client, &mut server).unwrap();
        flight(&mut server, &mut client).unwrap();
    }
    client.write(b"last").unwrap();
    client.close();
    client.close();
    assert!(matches!(client.write(b"more"), Err(Error::Closed(_))));
    let received = flight(&mut client, &mut server).unwrap();
    assert_eq!(received.plaintext, b"last");
    assert!(received.peer_closed);
    assert!(client.take_outgoing().is_empty(), "one close_notify only");
}

#[test]
fn a_name_that_does_not_verify_fails_with_an_alert_for_the_peer() {
    let pki = pki();
    let (client_side, server_side) = sides(&pki, "example.com");
    let mut client = MemoryTls::new(&client_side).unwrap();
    let mut server = MemoryTls::new(&server_side).unwrap();
    flight(&mut client, &mut server).unwrap();
    let error = flight(&mut server, &mut client).unwrap_err();
    assert!(
        matches!(&error, Error::Tls(m) if m.starts_with("certificate verify failed")),
        "{error:?}"
    );
    assert!(!client.take_outgoing().is_empty(), "the alert waits");
}
