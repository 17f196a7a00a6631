//! Property tests: the incremental reader against a naive model of
//! asyncio's rules (whole-buffer search on every poll), fed the same random
//! chunks in lockstep; conservation of bytes; limits; and independence from
//! chunking when no limit is reached.

use proptest::prelude::*;

#[path = "model/mod.rs"]
mod model;

use model::{Op, Out, data_bytes, run, run_fed};

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
    fn vectors_with_front_room_are_read_as_the_model_says(
        input in prop::collection::vec(alphabet(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        ops in prop::collection::vec(op(), 1..25),
        limit in 1usize..40,
        front in 0usize..12,
    ) {
        // Each chunk after `front` bytes of room (filled with a byte the
        // input never has, so a room byte handed out would show): what is
        // buffered goes into the room when it fits, else the chunk is
        // appended. Either way every step is the model's.
        let chunks = cut(&input, &cuts);
        let outs = run_fed(&chunks, &ops, limit, true, |real, chunk| {
            let mut data = vec![b'#'; front];
            data.extend_from_slice(chunk);
            real.feed_vec_after(data, front);
        });
        prop_assert!(!data_bytes(&outs).contains(&b'#'));
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
