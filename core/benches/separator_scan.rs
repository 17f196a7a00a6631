//! Feeding a long line one byte at a time, polling a readline (and a
//! three-separator readuntil) after every byte: the cost per byte must stay
//! flat as the line grows, because a resumed scan never searches bytes it
//! already searched. A second table reads many short lines out of large
//! blocks, the per-line cost every backend pays in `readline`.
//! Run: `cargo bench -p portable-streams-core`.

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

/// Nanoseconds per line to cut `lines` lines of `width` bytes (newline
/// included) out of blocks of 64 KiB, one `readline` request per line.
fn short_lines(lines: usize, width: usize) -> f64 {
    let mut line = vec![b'x'; width - 1];
    line.push(b'\n');
    let block: Vec<u8> = line.iter().copied().cycle().take(width * 655).collect();
    let mut reader = ReadBuffer::new(ReadBuffer::DEFAULT_LIMIT).unwrap();
    let start = Instant::now();
    let mut read = 0;
    while read < lines {
        let mut request = ReadRequest::readline();
        match reader.poll(&mut request) {
            Progress::Done(Ok(line)) => {
                black_box(line);
                read += 1;
            }
            Progress::Done(Err(error)) => panic!("{error}"),
            Progress::NeedData => reader.feed_data(&block),
        }
    }
    start.elapsed().as_nanos() as f64 / lines as f64
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
    println!();
    println!("{:>10} {:>16}", "lines", "readline ns/line");
    let per_line = short_lines(1_000_000, 100);
    println!("{:>10} {per_line:>16.1}", "1M x 100B");
}
