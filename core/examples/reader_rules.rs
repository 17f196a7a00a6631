//! Shows the reader rules of asyncio streams on a scripted byte stream:
//! `cargo run -p portable-streams-core --example reader_rules`.

use portable_streams_core::{Progress, ReadBuffer, ReadRequest};

fn show(label: &str, reader: &mut ReadBuffer, mut request: ReadRequest) {
    match reader.poll(&mut request) {
        Progress::Done(Ok(bytes)) => {
            println!("{label:<28} -> {:?}", String::from_utf8_lossy(&bytes))
        }
        Progress::Done(Err(err)) => println!("{label:<28} -> error: {err}"),
        Progress::NeedData => println!("{label:<28} -> waits for more data"),
    }
}

fn main() {
    let mut reader = ReadBuffer::new(16).expect("a positive limit");
    println!("limit = {} bytes", reader.limit());
    reader.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    reader.feed_data(b"a line that is far too long for the limit\nok\n");
    reader.feed_data(b"12345");
    show(
        "readuntil(b\"\\r\\n\")",
        &mut reader,
        ReadRequest::readuntil([b"\r\n"]).unwrap(),
    );
    show(
        "readuntil(b\"\\r\\n\\r\\n\")",
        &mut reader,
        ReadRequest::readuntil([b"\r\n\r\n"]).unwrap(),
    );
    show(
        "readline() over the limit",
        &mut reader,
        ReadRequest::readline(),
    );
    show("readline()", &mut reader, ReadRequest::readline());
    show(
        "readexactly(10)",
        &mut reader,
        ReadRequest::readexactly(10).unwrap(),
    );
    reader.feed_eof();
    show(
        "readexactly(10) at EOF",
        &mut reader,
        ReadRequest::readexactly(10).unwrap(),
    );
    println!("at_eof() = {}", reader.at_eof());
}
