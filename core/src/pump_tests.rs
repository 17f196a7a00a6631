//! The pump loop's rules over a transport that records what it is asked
//! and fails where a test says.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use futures::executor::block_on;

use super::{PumpIo, drive, run};
use crate::{Connection, Error, PumpStep, ReadBuffer, Signal};

/// An engine over a transport that takes every byte at once, unless told
/// to fail sends or shutdowns.
struct Recorder {
    engine: RefCell<Connection>,
    wire: RefCell<Vec<u8>>,
    fail_sends: bool,
    fail_shutdown: bool,
    /// Sends never finish (a peer that stops reading).
    stall_sends: bool,
    events: RefCell<Vec<String>>,
    lost_with: RefCell<Option<Option<Error>>>,
    closing: Signal,
}

impl Recorder {
    fn new() -> Self {
        Self {
            engine: RefCell::new(Connection::new(ReadBuffer::new(1024).unwrap())),
            wire: RefCell::default(),
            fail_sends: false,
            fail_shutdown: false,
            stall_sends: false,
            events: RefCell::default(),
            lost_with: RefCell::default(),
            closing: Signal::default(),
        }
    }

    /// The engine now runs over an established TLS session (its peer is
    /// gone: only what the engine sends is looked at).
    #[cfg(feature = "tls")]
    fn secure(&self, shutdown_timeout: Duration) {
        use crate::tls::testing::established;
        use crate::tls::{Layer, Received};
        let (client, _server) = established();
        self.engine
            .borrow_mut()
            .secure(Layer::new(client, shutdown_timeout), Received::default());
    }

    fn reset() -> Error {
        Error::ConnectionReset("reset by peer".into())
    }
}

impl PumpIo for Recorder {
    async fn woken(&self) {
        panic!("the pump waited with work to do")
    }

    fn with_engine<R>(&self, f: impl FnOnce(&mut Connection) -> R) -> R {
        f(&mut self.engine.borrow_mut())
    }

    async fn send(&self, bytes: Bytes) -> Result<(), Error> {
        self.events
            .borrow_mut()
            .push(format!("send {}", bytes.len()));
        if self.fail_sends {
            return Err(Self::reset());
        }
        if self.stall_sends {
            std::future::pending::<()>().await;
        }
        self.wire.borrow_mut().extend_from_slice(&bytes);
        let _ = self.engine.borrow_mut().sent(bytes.len());
        Ok(())
    }

    async fn shutdown_write(&self) -> Result<(), Error> {
        self.events.borrow_mut().push("shutdown".into());
        if self.fail_shutdown {
            return Err(Self::reset());
        }
        self.engine.borrow_mut().eof_sent();
        Ok(())
    }

    async fn close(&self) {
        self.events.borrow_mut().push("close".into());
    }

    fn lost(&self, error: Option<Error>) {
        let _ = self.engine.borrow_mut().lost(error.clone());
        self.lost_with.borrow_mut().get_or_insert(error);
    }

    fn closing(&self) -> &Signal {
        &self.closing
    }

    async fn sleep(&self, timeout: Duration) {
        self.events.borrow_mut().push(format!("sleep {timeout:?}"));
    }
}

#[test]
fn close_sends_everything_then_closes_cleanly() {
    let io = Recorder::new();
    let _ = io.engine.borrow_mut().write(&b"hello"[..]).unwrap();
    let _ = io.engine.borrow_mut().close();
    block_on(run(&io));
    assert_eq!(*io.events.borrow(), ["send 5", "close"]);
    assert_eq!(&io.wire.borrow()[..], b"hello");
    assert_eq!(*io.lost_with.borrow(), Some(None));
    assert_eq!(io.engine.borrow().closed_status(), Some(Ok(())));
}

#[test]
fn a_failed_send_before_close_is_the_connections_error() {
    let io = Recorder {
        fail_sends: true,
        ..Recorder::new()
    };
    let _ = io.engine.borrow_mut().write(&b"hello"[..]).unwrap();
    let _ = io.engine.borrow_mut().close();
    block_on(run(&io));
    assert_eq!(*io.events.borrow(), ["send 5"], "no close after a failure");
    assert_eq!(*io.lost_with.borrow(), Some(Some(Recorder::reset())));
    assert_eq!(
        io.engine.borrow().closed_status(),
        Some(Err(Recorder::reset()))
    );
}

#[test]
fn write_eof_shuts_the_write_half_and_the_pump_goes_on_waiting() {
    let io = Recorder::new();
    let _ = io.engine.borrow_mut().write(&b"abc"[..]).unwrap();
    let _ = io.engine.borrow_mut().write_eof().unwrap();
    // After the shutdown the engine says idle: the recorder's wake-up
    // would panic, so the pump is run one step at a time here.
    let mut steps = Vec::new();
    loop {
        match io.step() {
            PumpStep::Send(bytes) => block_on(io.send(bytes)).unwrap(),
            PumpStep::ShutdownWrite => block_on(io.shutdown_write()).unwrap(),
            step => {
                steps.push(format!("{step:?}"));
                break;
            }
        }
    }
    assert_eq!(*io.events.borrow(), ["send 3", "shutdown"]);
    assert_eq!(steps, ["Idle"]);
}

#[test]
fn a_failed_shutdown_loses_the_connection_with_its_error() {
    let io = Recorder {
        fail_shutdown: true,
        ..Recorder::new()
    };
    let _ = io.engine.borrow_mut().write_eof().unwrap();
    block_on(run(&io));
    assert_eq!(*io.lost_with.borrow(), Some(Some(Recorder::reset())));
}

#[cfg(feature = "tls")]
#[test]
fn over_tls_a_goodbye_that_fails_still_closes_cleanly() {
    let io = Recorder::new();
    io.secure(Duration::from_secs(1));
    let _ = io.engine.borrow_mut().close();
    // Nothing was written: the only send is close_notify, and the peer is
    // gone. asyncio closes cleanly once its buffer is empty.
    let io = Recorder {
        fail_sends: true,
        ..io
    };
    block_on(run(&io));
    assert_eq!(io.events.borrow().len(), 2, "{:?}", io.events.borrow());
    assert_eq!(io.events.borrow()[1], "close");
    assert_eq!(io.engine.borrow().closed_status(), Some(Ok(())));
}

#[cfg(feature = "tls")]
#[test]
fn a_closing_tls_connection_whose_peer_stops_reading_ends_at_the_shutdown_timeout() {
    let io = Recorder {
        stall_sends: true,
        ..Recorder::new()
    };
    io.secure(Duration::from_millis(300));
    let _ = io.engine.borrow_mut().write(&b"never taken"[..]).unwrap();
    let _ = io.engine.borrow_mut().close();
    block_on(drive(&io));
    assert_eq!(
        io.events.borrow()[1],
        "sleep 300ms",
        "{:?}",
        io.events.borrow()
    );
    let timed_out = Error::Timeout("SSL shutdown timed out".into());
    assert_eq!(io.engine.borrow().closed_status(), Some(Err(timed_out)));
}

#[test]
fn a_plain_connection_has_no_shutdown_timer() {
    let io = Recorder::new();
    let _ = io.engine.borrow_mut().write(&b"x"[..]).unwrap();
    let _ = io.engine.borrow_mut().close();
    block_on(drive(&io));
    assert!(!io.events.borrow().iter().any(|e| e.starts_with("sleep")));
    assert_eq!(io.engine.borrow().closed_status(), Some(Ok(())));
}
