use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Waker};

use std::sync::Arc;

use super::*;
use crate::server::{AcceptStep, server_closed};

/// A client that records how it was ended and, as a backend's, notifies
/// its server once closed.
#[derive(Clone, Default)]
struct Fake(Rc<Cell<Option<&'static str>>>, Option<Arc<Signal>>);

impl Fake {
    fn of(shell: &Shell) -> Self {
        Fake(Rc::default(), Some(shell.changed().clone()))
    }

    fn end(&self, how: &'static str) {
        self.0.set(Some(how));
        if let Some(server) = &self.1 {
            server.notify();
        }
    }
}

impl Client for Fake {
    fn is_closed(&self) -> bool {
        self.0.get().is_some()
    }
    fn close(&self) {
        self.end("closed");
    }
    fn abort(&self) {
        self.end("aborted");
    }
}

/// A listening part that counts how often it was dropped.
#[derive(Default)]
struct Listening(Option<Rc<Cell<u32>>>);

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(drops) = &self.0 {
            drops.set(drops.get() + 1);
        }
    }
}

type Shell = ServerShell<Fake, u32, Listening>;

fn ready<F: Future>(future: std::pin::Pin<&mut F>) -> bool {
    future
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

#[test]
fn close_hands_back_the_listening_part_once() {
    let drops = Rc::new(Cell::new(0));
    let shell = Shell::new(None, 1, Listening(Some(drops.clone())));
    shell.lock().server.arrived(7);
    let listening = shell.close();
    assert!(listening.is_some(), "the first close closes");
    drop(listening);
    assert_eq!(drops.get(), 1, "the listening sockets are dropped");
    assert!(shell.close().is_none(), "a second close changes nothing");
    assert_eq!(shell.lock().server.next_arrival(), None, "queue dropped");
    assert!(shell.sockets(&[1]).is_empty());
    assert!(!shell.is_serving());
    assert_eq!(shell.start_serving(), Err(server_closed()));
}

#[test]
fn wait_closed_waits_for_accepts_and_clients() {
    let shell = Shell::new(None, 1, Listening::default());
    let client = Fake::of(&shell);
    shell.lock().server.add_client(client.clone());
    let accepting = shell.accepting();
    let mut waiting = pin!(shell.wait_closed());
    assert!(!ready(waiting.as_mut()), "not closed");
    shell.close();
    assert!(!ready(waiting.as_mut()), "an accept call still runs");
    assert_eq!(
        shell.lock().server.accept_step(),
        AcceptStep::Closed(server_closed())
    );
    drop(accepting);
    assert!(!ready(waiting.as_mut()), "a client is still open");
    shell.close_clients();
    assert_eq!(client.0.get(), Some("closed"));
    assert!(ready(waiting.as_mut()));
}

#[test]
fn close_and_abort_reach_every_open_client() {
    let shell = Shell::new(None, 1, Listening::default());
    let (first, second) = (Fake::default(), Fake::default());
    shell.lock().server.add_client(first.clone());
    shell.lock().server.add_client(second.clone());
    first.close();
    shell.abort_clients();
    assert_eq!(first.0.get(), Some("closed"), "a closed client is left");
    assert_eq!(second.0.get(), Some("aborted"));
}

#[test]
fn an_ended_accept_removes_its_waker() {
    let shell = Shell::new(Some(false), 1, Listening::default());
    let mut accepting = shell.accepting();
    shell
        .changed()
        .register(&mut accepting.waker, Waker::noop());
    assert_eq!(shell.changed().waiting(), 1);
    assert_eq!(shell.lock().server.accept_step(), AcceptStep::Wait);
    drop(accepting);
    assert_eq!(shell.changed().waiting(), 0);
}

#[test]
fn start_serving_wakes_waiting_calls_once() {
    let shell = Shell::new(Some(false), 1, Listening::default());
    let mut woken = pin!(shell.changed().wait());
    assert!(!ready(woken.as_mut()));
    assert_eq!(shell.start_serving(), Ok(true));
    assert!(ready(woken.as_mut()));
    assert_eq!(shell.start_serving(), Ok(false), "already serving");
    let mut closed = pin!(shell.closed());
    assert!(!ready(closed.as_mut()));
    shell.close();
    assert!(ready(closed.as_mut()));
}
