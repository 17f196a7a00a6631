//! `std-sockets connect PORT N` / `std-sockets listen N` /
//! `std-sockets relisten N`: a 0.2 command
//! that opens TCP sockets with Rust's `std::net` (through `wasi:sockets`
//! 0.2, never portable:streams), to show the host's caps hold on that door
//! too.
//!
//! `connect` connects N streams to 127.0.0.1:PORT and prints how many it
//! got and the first refusal, then drops them all and connects N again.
//! `listen` binds N listeners on 127.0.0.1, drops them and binds N again.
//! `relisten` binds one listener, then N times drops it and binds the same
//! port again at once, and prints how many it made.

use std::net::{TcpListener, TcpStream};

/// Up to `n` of what `open` opens; the line that says how many and why no
/// more.
fn open_many<S>(n: usize, open: impl Fn() -> std::io::Result<S>, held: &mut Vec<S>) -> String {
    let mut refusal = String::from("none refused");
    for _ in 0..n {
        match open() {
            Ok(socket) => held.push(socket),
            Err(error) => {
                refusal = format!("then {:?}", error.kind());
                break;
            }
        }
    }
    format!("{} of {n}, {refusal}", held.len())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let number = |i: usize| args.get(i).and_then(|a| a.parse::<usize>().ok());
    match (args.get(1).map(String::as_str), number(2), number(3)) {
        (Some("connect"), Some(port), Some(n)) => {
            let connect = || TcpStream::connect(("127.0.0.1", port as u16));
            let mut held = Vec::new();
            println!("connected {}", open_many(n, connect, &mut held));
            drop(held);
            let mut again = Vec::new();
            println!(
                "all dropped: connected {}",
                open_many(n, connect, &mut again)
            );
        }
        (Some("listen"), Some(n), _) => {
            let listen = || TcpListener::bind("127.0.0.1:0");
            let mut held = Vec::new();
            println!("listening on {}", open_many(n, listen, &mut held));
            drop(held);
            let mut again = Vec::new();
            println!(
                "all dropped: listening on {}",
                open_many(n, listen, &mut again)
            );
        }
        (Some("relisten"), Some(n), _) => {
            let mut listener = TcpListener::bind("127.0.0.1:0").expect("a first listener");
            let port = listener.local_addr().expect("its address").port();
            let mut made = 0;
            let mut outcome = String::from("none failed");
            for _ in 0..n {
                drop(listener);
                listener = match TcpListener::bind(("127.0.0.1", port)) {
                    Ok(again) => again,
                    Err(error) => {
                        outcome = format!("then {:?}", error.kind());
                        break;
                    }
                };
                made += 1;
            }
            println!("relistened {made} of {n}, {outcome}");
        }
        _ => {
            eprintln!("usage: std-sockets connect PORT N | listen N | relisten N");
            std::process::exit(2);
        }
    }
}
