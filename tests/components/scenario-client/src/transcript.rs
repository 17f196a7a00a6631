//! A script of reader calls, printed one line each: the same transcript
//! `tests/python/transcript.py` prints under CPython, on the raw binding
//! and on the SDK's reader. Arguments after the port: the reader's limit
//! and the calls (see that file for the script).

use portable_streams::bindings::portable::streams::streams::{Error, Reader, open_connection};

use crate::{Outcome, ReadSide, Sdk, options, raw};

/// Runs `scenario` if it is one of this file's.
pub async fn run(scenario: &str, host: &str, port: u16, rest: &[String]) -> Option<Outcome> {
    let side = match scenario {
        "transcript" => None,
        "sdk-transcript" => Some(Sdk::new),
        _ => return None,
    };
    let [limit, calls] = rest else {
        return Some(Err("usage: ... HOST PORT LIMIT CALLS".into()));
    };
    let Ok(limit) = limit.parse() else {
        return Some(Err(format!("bad limit {limit}")));
    };
    Some(match side {
        None => transcript(host, port, limit, calls, raw).await,
        Some(sdk) => transcript(host, port, limit, calls, sdk).await,
    })
}

/// One scripted call.
async fn call<R: ReadSide>(reader: &R, op: &str) -> Result<Result<Vec<u8>, Error>, String> {
    Ok(if op == "line" {
        reader.readline().await
    } else if let Some(hex) = op.strip_prefix("until:") {
        reader.readuntil(vec![unhex(hex)?]).await
    } else if let Some(n) = op.strip_prefix("exactly:") {
        let n = n.parse().map_err(|_| format!("bad call {op}"))?;
        reader.readexactly(n).await
    } else if op == "read0" {
        reader.read(0).await
    } else if op == "readall" {
        reader.read(-1).await
    } else {
        return Err(format!("unknown call {op}"));
    })
}

async fn transcript<R: ReadSide>(
    host: &str,
    port: u16,
    limit: u32,
    calls: &str,
    side: impl Fn(Reader) -> R,
) -> Outcome {
    let (reader, writer) = open_connection(host.to_owned(), port, options(Some(limit)))
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let reader = side(reader);
    for op in calls.split_whitespace() {
        let said = match call(&reader, op).await? {
            Ok(got) => format!("ok {}", hex(&got)),
            // asyncio's readline raises ValueError with the overrun's words.
            Err(Error::LimitOverrun(e)) if op == "line" => format!("overrun-line {}", e.message),
            Err(Error::IncompleteRead(e)) => {
                let expected = e.expected.map_or("None".into(), |n| n.to_string());
                format!("incomplete {} {expected}", hex(&e.partial))
            }
            Err(Error::LimitOverrun(e)) => format!("overrun {} {}", e.consumed, e.message),
            Err(Error::InvalidArgument(m)) => format!("invalid-argument {m}"),
            Err(other) => return Err(format!("{op}: {other:?}")),
        };
        println!("{op} {said}");
    }
    let at_eof = if reader.at_eof() { "True" } else { "False" };
    println!("at_eof {at_eof}");
    writer.close();
    writer
        .wait_closed()
        .await
        .map_err(|e| format!("wait_closed: {e:?}"))
}

/// Python's `bytes.hex()`, with `-` for no bytes.
fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `bytes.fromhex` for the script's lower-case pairs.
fn unhex(hex: &str) -> Result<Vec<u8>, String> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex {hex}"))
        })
        .collect()
}
