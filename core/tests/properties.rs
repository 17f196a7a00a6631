//! Property tests: the incremental reader against a naive model of
//! asyncio's rules (whole-buffer search on every poll), fed the same random
//! chunks in lockstep; conservation of bytes; limits; and independence from
//! chunking when no limit is reached.

use proptest::prelude::*;

use portable_streams_core::{Error, Progress, ReadBuffer, ReadRequest};

#[derive(Debug, Clone)]
enum Op {
    Read(i64),
    Line,
    Until(Vec<Vec<u8>>),
    Exactly(i64),
}

/// What a request produced, comparable across implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
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
struct Model {
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

fn request(op: &Op) -> ReadRequest {
    match op {
        Op::Read(n) => ReadRequest::read(*n),
        Op::Line => ReadRequest::readline(),
        Op::Until(seps) => ReadRequest::readuntil(seps).unwrap(),
        Op::Exactly(n) => ReadRequest::readexactly(*n).unwrap(),
    }
}

/// Runs `ops` on the real reader, feeding `chunks` (then EOF) whenever a
/// request waits, checking the model in lockstep. Returns the outputs.
fn run(input_chunks: &[Vec<u8>], ops: &[Op], limit: usize, check_model: bool) -> Vec<Out> {
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
                    real.feed_data(c);
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

fn alphabet() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => Just(b'a'),
        2 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => Just(b'E'),
        1 => Just(b'N'),
        1 => Just(b'D'),
        1 => Just(b'|'),
    ]
}

fn separator() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"END".to_vec()),
        Just(b"||".to_vec()),
        prop::collection::vec(alphabet(), 1..=3),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (-1i64..20).prop_map(Op::Read),
        Just(Op::Line),
        prop::collection::vec(separator(), 1..=3).prop_map(Op::Until),
        (0i64..30).prop_map(Op::Exactly),
    ]
}

/// Cuts `input` at the given fractions.
fn cut(input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points {
        if p > start {
            chunks.push(input[start..p].to_vec());
            start = p;
        }
    }
    if start < input.len() {
        chunks.push(input[start..].to_vec());
    }
    chunks
}

fn data_bytes(outs: &[Out]) -> Vec<u8> {
    outs.iter()
        .flat_map(|o| match o {
            Out::Data(d) | Out::Incomplete(d, _) => d.clone(),
            Out::Overrun(..) => Vec::new(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn matches_the_model_for_any_chunking(
        input in prop::collection::vec(alphabet(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        ops in prop::collection::vec(op(), 1..25),
        limit in 1usize..40,
    ) {
        let chunks = cut(&input, &cuts);
        let outs = run(&chunks, &ops, limit, true);
        // Limits hold: no line longer than the limit plus its separator.
        for (op, out) in ops.iter().zip(&outs) {
            if let (Op::Line | Op::Until(_), Out::Data(d)) = (op, out) {
                let longest = match op { Op::Until(s) => s.iter().map(Vec::len).max().unwrap(), _ => 1 };
                prop_assert!(d.len() <= limit + longest, "{} > {} + {}", d.len(), limit, longest);
            }
        }
        // Bytes handed out are the input's bytes, in order, none duplicated.
        let out = data_bytes(&outs);
        let mut rest = input.iter();
        for b in &out {
            prop_assert!(rest.any(|x| x == b), "output is not a subsequence of the input");
        }
    }

    #[test]
    fn without_overruns_nothing_is_lost_and_chunking_does_not_matter(
        input in prop::collection::vec(alphabet(), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        ops in prop::collection::vec(op(), 1..25),
    ) {
        let limit = 1000; // never reached
        // read(n > 0) returns whatever is buffered, so it depends on the
        // chunking by design; every other request must not.
        let mut ops: Vec<Op> = ops.into_iter().filter(|o| !matches!(o, Op::Read(n) if *n > 0)).collect();
        ops.push(Op::Read(-1)); // drain the rest
        let chunked = run(&cut(&input, &cuts), &ops, limit, false);
        let whole = run(std::slice::from_ref(&input), &ops, limit, false);
        prop_assert_eq!(&chunked, &whole);
        prop_assert_eq!(data_bytes(&chunked), input);
    }
}
