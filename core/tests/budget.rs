//! A store's byte budget across its connections: what each connection
//! holds is charged, a receive never passes it, a write past it is refused,
//! and nothing held is lost when a call is refused.

use bytes::{BufMut, Bytes};
use portable_streams_core::{
    ByteBudget, Connection, Error, PumpStep, ReadBuffer, ReadCall, ReadRequest, ReadStep,
};

fn conn(budget: &ByteBudget) -> Connection {
    Connection::new(ReadBuffer::new(64).unwrap()).charging(budget.clone())
}

fn arrive(c: &mut Connection, data: &[u8]) {
    c.receive_with(data.len(), |room| room.put_slice(data));
}

fn receive_max(c: &mut Connection, call: &mut ReadCall) -> usize {
    match c.poll_read(call) {
        ReadStep::Receive { max } => max,
        other => panic!("expected a receive, got {other:?}"),
    }
}

fn done(c: &mut Connection, call: &mut ReadCall) -> Result<Bytes, Error> {
    match c.poll_read(call) {
        ReadStep::Done(result) => result,
        other => panic!("expected the call to finish, got {other:?}"),
    }
}

fn is_budget_refusal(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::AccessDenied(m)) if m.contains("the store's buffer budget is 20 bytes"))
}

#[test]
fn a_receive_gets_only_the_room_left_and_a_spent_budget_refuses_without_losing_bytes() {
    let budget = ByteBudget::new(Some(20));
    let mut a = conn(&budget);
    let mut b = conn(&budget);
    let mut a_line = ReadCall::new(ReadRequest::readline());
    assert_eq!(receive_max(&mut a, &mut a_line), 20);
    arrive(&mut a, b"twelve bytes");
    assert_eq!(budget.held(), 12, "the unused reservation is given back");
    let mut b_line = ReadCall::new(ReadRequest::readline());
    assert_eq!(receive_max(&mut b, &mut b_line), 8);
    arrive(&mut b, b"eight by");
    assert_eq!(budget.held(), 20);
    let refused = done(&mut b, &mut b_line);
    assert!(
        is_budget_refusal(&refused)
            && format!("{refused:?}").contains("readline() cannot receive more"),
        "{refused:?}"
    );
    // a's line is still there to finish; reading it frees the budget.
    a.abandon_read(&mut a_line);
    let mut a_all = ReadCall::new(ReadRequest::read(100));
    assert_eq!(done(&mut a, &mut a_all).unwrap(), &b"twelve bytes"[..]);
    assert_eq!(budget.held(), 8);
    // b's bytes were kept: its next readline finishes with all of them.
    let mut b_line = ReadCall::new(ReadRequest::readline());
    assert_eq!(receive_max(&mut b, &mut b_line), 12);
    arrive(&mut b, b"tes\n");
    assert_eq!(done(&mut b, &mut b_line).unwrap(), &b"eight bytes\n"[..]);
    assert_eq!(budget.held(), 0);
}

#[test]
fn a_write_past_the_budget_is_refused_and_queues_nothing() {
    let budget = ByteBudget::new(Some(20));
    let mut a = conn(&budget);
    let mut b = conn(&budget);
    let _ = a.write(&b"0123456789abcdef"[..]).unwrap();
    let refused = b.write(&b"01234"[..]);
    assert!(
        is_budget_refusal(&refused) && format!("{refused:?}").contains("a write of 5 bytes"),
        "{refused:?}"
    );
    assert_eq!(b.writer().size(), 0);
    assert!(is_budget_refusal(&b.writelines([&b"abc"[..], b"de"])));
    assert_eq!(b.writer().size(), 0);
    let _ = b.writelines([&b"ab"[..], b"cd"]).unwrap();
    assert_eq!(budget.held(), 20);
    // Once a's bytes are sent, there is room again.
    let PumpStep::Send(chunk) = a.pump_step() else {
        panic!("expected a chunk")
    };
    let _ = a.sent(chunk.len());
    assert_eq!(budget.held(), 4);
    let _ = b.write(&b"01234"[..]).unwrap();
}

#[test]
fn bytes_a_read_all_gathers_stay_charged() {
    let budget = ByteBudget::new(Some(20));
    let mut c = conn(&budget);
    let mut all = ReadCall::new(ReadRequest::read(-1));
    assert_eq!(receive_max(&mut c, &mut all), 20);
    arrive(&mut c, b"0123456789");
    // read(-1) took the ten bytes out of the buffer; they still count.
    assert_eq!(receive_max(&mut c, &mut all), 10);
    arrive(&mut c, b"abcdefghij");
    assert!(is_budget_refusal(&done(&mut c, &mut all)));
    assert_eq!(budget.held(), 20, "the gathered bytes went back, charged");
    let mut some = ReadCall::new(ReadRequest::read(100));
    assert_eq!(done(&mut c, &mut some).unwrap().len(), 20);
    assert_eq!(budget.held(), 0);
}

#[test]
fn a_closed_or_dropped_connection_gives_its_bytes_back() {
    let budget = ByteBudget::new(Some(20));
    let mut a = conn(&budget);
    let _ = a.write(&b"0123456789"[..]).unwrap();
    let mut line = ReadCall::new(ReadRequest::readline());
    let _ = receive_max(&mut a, &mut line);
    arrive(&mut a, b"abc");
    assert_eq!(budget.held(), 13);
    let _ = a.lost(Some(Error::connection_lost()));
    assert_eq!(budget.held(), 3, "the unsent bytes are discarded");
    let mut b = conn(&budget);
    let _ = b.write(&b"0123456789"[..]).unwrap();
    drop(a);
    assert_eq!(budget.held(), 10);
    drop(b);
    assert_eq!(budget.held(), 0);
}

#[test]
fn a_waiting_receive_keeps_its_room_while_writes_settle() {
    let budget = ByteBudget::new(Some(20));
    let mut c = conn(&budget);
    let mut line = ReadCall::new(ReadRequest::readline());
    assert_eq!(receive_max(&mut c, &mut line), 20);
    // The transport read is under way (as a guest awaits it): the room is
    // the reader's, so a write cannot take it.
    assert!(is_budget_refusal(&c.write(&b"x"[..])));
    arrive(&mut c, b"ab\n");
    let _ = c.write(&b"x"[..]).unwrap();
    assert_eq!(budget.held(), 4);
}

#[test]
fn a_chunk_received_directly_gives_its_reservation_back() {
    let budget = ByteBudget::new(Some(20));
    let mut c = conn(&budget);
    c.hand_over().unwrap();
    let mut chunk = ReadCall::stream_chunk(100);
    assert_eq!(receive_max(&mut c, &mut chunk), 20);
    assert_eq!(budget.held(), 20, "the receive's room is reserved");
    assert!(c.may_receive_direct(&chunk));
    c.received_direct(&mut chunk, 20);
    assert_eq!(budget.held(), 0, "no byte is held in the buffer");
    let mut next = ReadCall::stream_chunk(100);
    assert_eq!(receive_max(&mut c, &mut next), 20);
}
