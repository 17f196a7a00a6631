//! The reader's calls, scripted by the peer, printed one line each: the
//! same transcript `tests/python/transcript.py` prints under CPython, on
//! the raw binding and on the SDK's reader (see that file for the script).

use portable_streams::bindings::portable::streams::streams::{Error, Reader};

use crate::{Outcome, ReadSide, Sdk, connect, raw};

/// Runs `scenario` if it is one of this file's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "transcript" => transcript(host, port, raw).await,
        "sdk-transcript" => transcript(host, port, Sdk::new).await,
        _ => return None,
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

async fn transcript<R: ReadSide>(host: &str, port: u16, side: impl Fn(Reader) -> R) -> Outcome {
    let (reader, writer) = connect(host, port).await?;
    let reader = side(reader);
    let ops = reader
        .readline()
        .await
        .map_err(|e| format!("the script: {e:?}"))?;
    for op in String::from_utf8_lossy(&ops).split_whitespace() {
        let said = match call(&reader, op).await? {
            Ok(got) => format!("ok {}", hex(&got)),
            Err(Error::IncompleteRead(e)) => {
                let expected = e.expected.map_or("None".into(), |n| n.to_string());
                format!("incomplete {} {expected}", hex(&e.partial))
            }
            Err(Error::LimitOverrun(e)) => format!("overrun {}", e.consumed),
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
