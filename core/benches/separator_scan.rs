//! Feeding a long line one byte at a time, polling a readline (and a
//! three-separator readuntil) after every byte: the cost per byte must stay
//! flat as the line grows, because a resumed scan never searches bytes it
//! already searched. Run: `cargo bench -p portable-streams-core`.

use std::hint::black_box;
use std::time::Instant;

use portable_streams_core::{Progress, ReadBuffer, ReadRequest};

fn feed_line(len: usize, mut request: ReadRequest) -> f64 {
    let mut reader = ReadBuffer::new(len + 16).unwrap();
    let start = Instant::now();
    for _ in 0..len {
        reader.feed_data(b"x");
        assert!(matches!(reader.poll(&mut request), Progress::NeedData));
    }
    reader.feed_data(b"\n");
    let Progress::Done(Ok(line)) = reader.poll(&mut request) else {
        panic!("the line is complete");
    };
    black_box(line);
    start.elapsed().as_nanos() as f64 / len as f64
}

fn main() {
    println!(
        "{:>10} {:>16} {:>22}",
        "line", "readline ns/B", "readuntil(3 seps) ns/B"
    );
    for len in [64 << 10, 256 << 10, 1 << 20] {
        let line = feed_line(len, ReadRequest::readline());
        let seps = ReadRequest::readuntil([&b"\r\n\r\n"[..], b"END", b"\n"]).unwrap();
        let until = feed_line(len, seps);
        println!("{:>9}K {line:>16.1} {until:>22.1}", len >> 10);
    }
}
