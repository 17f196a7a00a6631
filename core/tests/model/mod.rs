//! A naive model of asyncio's reader rules (whole-buffer search on every
//! poll), and a driver that runs the real reader and the model in lockstep
//! over the same chunks. Shared by the property tests and the fuzz target
//! (`fuzz/fuzz_targets/reader.rs` includes this file).

#![allow(dead_code)]

use portable_streams_core::{Error, Progress, ReadBuffer, ReadRequest};

/// One reader call.
#[derive(Debug, Clone)]
pub enum Op {
    /// `read(n)`.
    Read(i64),
    /// `readline()`.
    Line,
    /// `readuntil(separators)`.
    Until(Vec<Vec<u8>>),
    /// `readexactly(n)`.
    Exactly(i64),
}

/// What a request produced, comparable across implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Data(Vec<u8>),
    Incomplete(Vec<u8>, Option<u64>),
    Overrun(String, u64),
}

fn out_of(r: Result<bytes::Bytes, Error>) -> Out {
    match r {
        Ok(b) => Out::Data(b.to_vec()),
        Err(Error::IncompleteRead { partial, expected }) => {
            Out::Incomplete(partial.to_vec(), expected)
        }
        Err(Error::LimitOverrun { message, consumed }) => Out::Overrun(message, consumed),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// asyncio's rules written the obvious way.
pub struct Model {
    buf: Vec<u8>,
    eof: bool,
    limit: usize,
}

const NOT_FOUND: &str = "Separator is not found, and chunk exceed the limit";
const FOUND: &str = "Separator is found, but chunk is longer than limit";

impl Model {
    fn take(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n).collect()
    }

    fn until(&mut self, seps: &[Vec<u8>]) -> Option<Out> {
        let min = seps.iter().map(Vec::len).min().unwrap();
        let max = seps.iter().map(Vec::len).max().unwrap();
        if self.buf.len() >= min {
            let mut best: Option<(usize, usize, usize)> = None; // (end, len, start)
            for sep in seps {
                if let Some(start) = self.buf.windows(sep.len()).position(|w| w == &sep[..]) {
                    let cand = (start + sep.len(), sep.len(), start);
                    if best.is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                        best = Some(cand);
                    }
                }
            }
            if let Some((end, _, start)) = best {
                if start > self.limit {
                    return Some(Out::Overrun(FOUND.into(), start as u64));
                }
                return Some(Out::Data(self.take(end)));
            }
            let offset = (self.buf.len() + 1).saturating_sub(max);
            if offset > self.limit {
                return Some(Out::Overrun(NOT_FOUND.into(), offset as u64));
            }
        }
        if self.eof {
            let all = self.take(self.buf.len());
            return Some(Out::Incomplete(all, None));
        }
        None
    }

    fn step(&mut self, op: &Op) -> Option<Out> {
        match op {
            Op::Read(0) => Some(Out::Data(Vec::new())),
            Op::Read(n) if *n > 0 => {
                if self.buf.is_empty() && !self.eof {
                    return None;
                }
                let k = (*n as usize).min(self.buf.len());
                Some(Out::Data(self.take(k)))
            }
            Op::Read(_) => self.eof.then(|| Out::Data(self.take(self.buf.len()))),
            Op::Exactly(0) => Some(Out::Data(Vec::new())),
            Op::Exactly(n) => {
                let n = *n as usize;
                if self.buf.len() >= n {
                    Some(Out::Data(self.take(n)))
                } else if self.eof {
                    Some(Out::Incomplete(self.take(self.buf.len()), Some(n as u64)))
                } else {
                    None
                }
            }
            Op::Until(seps) => self.until(seps),
            Op::Line => match self.until(&[b"\n".to_vec()])? {
                Out::Incomplete(partial, _) => Some(Out::Data(partial)),
                Out::Overrun(msg, consumed) => {
                    let c = consumed as usize;
                    if self.buf[c..].starts_with(b"\n") {
                        self.take(c + 1);
                    } else {
                        self.take(self.buf.len());
                    }
                    Some(Out::Overrun(msg, consumed))
                }
                data => Some(data),
            },
        }
    }
}

pub fn request(op: &Op) -> ReadRequest {
    match op {
        Op::Read(n) => ReadRequest::read(*n),
        Op::Line => ReadRequest::readline(),
        Op::Until(seps) => ReadRequest::readuntil(seps).unwrap(),
        Op::Exactly(n) => ReadRequest::readexactly(*n).unwrap(),
    }
}

/// Runs `ops` on the real reader, feeding `chunks` (then EOF) whenever a
/// request waits, checking the model in lockstep. Returns the outputs.
pub fn run(input_chunks: &[Vec<u8>], ops: &[Op], limit: usize, check_model: bool) -> Vec<Out> {
    run_fed(input_chunks, ops, limit, check_model, |real, chunk| {
        real.feed_data(chunk)
    })
}

/// [`run`], the reader fed each chunk by `feed`.
pub fn run_fed(
    input_chunks: &[Vec<u8>],
    ops: &[Op],
    limit: usize,
    check_model: bool,
    feed: impl Fn(&mut ReadBuffer, &[u8]),
) -> Vec<Out> {
    let mut real = ReadBuffer::new(limit).unwrap();
    let mut model = Model {
        buf: Vec::new(),
        eof: false,
        limit,
    };
    let mut chunks = input_chunks.iter();
    let mut outs = Vec::new();
    for op in ops {
        let mut req = request(op);
        loop {
            let got = match real.poll(&mut req) {
                Progress::Done(r) => Some(out_of(r)),
                Progress::NeedData => None,
            };
            if check_model {
                assert_eq!(got, model.step(op), "op {op:?}");
            }
            if let Some(out) = got {
                outs.push(out);
                break;
            }
            match chunks.next() {
                Some(c) => {
                    feed(&mut real, c);
                    model.buf.extend_from_slice(c);
                }
                None => {
                    real.feed_eof();
                    model.eof = true;
                }
            }
        }
    }
    outs
}

/// The data bytes handed out, in order.
pub fn data_bytes(outs: &[Out]) -> Vec<u8> {
    outs.iter()
        .flat_map(|o| match o {
            Out::Data(d) | Out::Incomplete(d, _) => d.clone(),
            Out::Overrun(..) => Vec::new(),
        })
        .collect()
}
