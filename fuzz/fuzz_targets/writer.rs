//! The writer's flow control and the connection engine's pump: random
//! writes, partial sends, refused tails, watermarks, caps, `write_eof` and
//! `close`. Invariants: the bytes sent are the bytes written, in order,
//! none lost or repeated while the connection is up; the buffered size is
//! written minus sent; `drain` waits exactly while asyncio's protocol is
//! paused (above high, until at or below low).

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use portable_streams_core::{
    Caps, Connection, DrainCall, PumpStep, ReadBuffer, WriterState,
};

fn byte(data: &mut &[u8]) -> u8 {
    let (first, rest) = data.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    *data = rest;
    first
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let high = u64::from(byte(&mut data)) * 8;
    let low = high / 4;
    let cap = match byte(&mut data) % 3 {
        0 => None,
        _ => Some(u64::from(byte(&mut data)) * 16),
    };
    let caps = Caps {
        read: None,
        write: cap,
    };
    let mut conn = Connection::with_caps(ReadBuffer::new(16).unwrap(), caps);
    conn.set_write_buffer_limits(Some(high), Some(low)).unwrap();
    let mut written: Vec<u8> = Vec::new();
    let mut sent: Vec<u8> = Vec::new();
    let mut in_flight: Option<Bytes> = None;
    let mut paused = false;
    let mut counter: u8 = 0;
    while !data.is_empty() {
        match byte(&mut data) % 6 {
            0 | 1 => {
                let len = byte(&mut data) as usize;
                let chunk: Vec<u8> = (0..len)
                    .map(|_| {
                        counter = counter.wrapping_add(1);
                        counter
                    })
                    .collect();
                let open = *conn.writer().state() == WriterState::Open;
                let before = conn.writer().size();
                match conn.write(chunk.clone()) {
                    Ok(_) if open => written.extend_from_slice(&chunk),
                    Ok(_) => {}
                    Err(_) => {
                        assert_eq!(conn.writer().size(), before, "a refused write queued bytes");
                        if let Some(cap) = cap {
                            assert!(before + len as u64 > cap || !open);
                        }
                    }
                }
                if open && conn.writer().size() > high {
                    paused = true;
                }
            }
            2 if in_flight.is_none() => {
                if let PumpStep::Send(chunk) = conn.pump_step() {
                    in_flight = Some(chunk);
                }
            }
            3 => {
                if let Some(chunk) = in_flight.take() {
                    let n = byte(&mut data) as usize % (chunk.len() + 1);
                    sent.extend_from_slice(&chunk[..n]);
                    let _ = conn.sent(n);
                    conn.requeue_unsent(chunk.slice(n..));
                    if conn.writer().size() <= low {
                        paused = false;
                    }
                }
            }
            4 => {
                let _ = conn.write_eof();
            }
            _ => {
                if byte(&mut data) % 8 == 0 {
                    let _ = conn.close();
                }
            }
        }
        // Sent bytes are a prefix of the written ones; the rest is buffered.
        assert!(written.starts_with(&sent), "sent bytes are not what was written");
        assert_eq!(conn.writer().size(), (written.len() - sent.len()) as u64);
        let waits = conn.poll_drain(&mut DrainCall::default()).is_none();
        if !conn.writer().is_closing() {
            assert_eq!(waits, paused, "drain waits exactly while paused");
        }
    }
});
