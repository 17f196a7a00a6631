//! A script of reader and writer calls, printed one line each: the same
//! transcript `tests/python/transcript.py` prints under CPython, on the
//! raw binding and on the SDK's reader and writer. Arguments after the
//! port: the reader's limit and the calls (see that file for the script).

use portable_streams::bindings::portable::streams::streams::{Error, open_connection};

use crate::write_side::WriteSide;
use crate::{Outcome, ReadSide, Sdk, options, raw};

/// Runs `scenario` if it is one of this file's.
pub async fn run(scenario: &str, host: &str, port: u16, rest: &[String]) -> Option<Outcome> {
    let sdk = match scenario {
        "transcript" => false,
        "sdk-transcript" => true,
        _ => return None,
    };
    let [limit, calls] = rest else {
        return Some(Err("usage: ... HOST PORT LIMIT CALLS".into()));
    };
    let Ok(limit) = limit.parse() else {
        return Some(Err(format!("bad limit {limit}")));
    };
    let (reader, writer) = match open_connection(host.to_owned(), port, options(Some(limit))).await
    {
        Ok(pair) => pair,
        Err(e) => return Some(Err(format!("connect: {e:?}"))),
    };
    Some(if sdk {
        let writer = portable_streams::Writer::from_raw(writer);
        transcript(&Sdk::new(reader), &writer, calls).await
    } else {
        transcript(&raw(reader), &writer, calls).await
    })
}

/// What a call gave, as Python prints it.
enum Said {
    Bytes(Vec<u8>),
    /// A value's `repr` (`None`, `True`, `(1, 5)`).
    Value(String),
    /// Printed as it is (readline's overrun).
    Text(String),
}

impl From<()> for Said {
    fn from((): ()) -> Self {
        Said::Value("None".into())
    }
}

impl From<bool> for Said {
    fn from(value: bool) -> Self {
        Said::Value(if value { "True" } else { "False" }.into())
    }
}

/// Python's `None` for an absent limit.
fn limit(word: &str) -> Result<Option<u64>, String> {
    match word {
        "-" => Ok(None),
        n => n.parse().map(Some).map_err(|_| format!("bad limit {n}")),
    }
}

/// One scripted call; `Err` for a script this client cannot read.
async fn call<R: ReadSide, W: WriteSide>(
    reader: &R,
    writer: &W,
    op: &str,
) -> Result<Result<Said, Error>, String> {
    let (name, arg) = op.split_once(':').unwrap_or((op, ""));
    let number = || arg.parse::<usize>().map_err(|_| format!("bad call {op}"));
    let bytes = |r: Result<Vec<u8>, Error>| r.map(Said::Bytes);
    Ok(match name {
        "line" => match reader.readline().await {
            // asyncio's readline raises ValueError with the overrun's words.
            Err(Error::LimitOverrun(e)) => Ok(Said::Text(format!("overrun-line {}", e.message))),
            other => bytes(other),
        },
        "until" => bytes(reader.readuntil(vec![unhex(arg)?]).await),
        "exactly" => bytes(reader.readexactly(number()? as i64).await),
        "read0" => bytes(reader.read(0).await),
        "readall" => bytes(reader.read(-1).await),
        "write" => writer.write(&vec![b'w'; number()?]).map(Said::from),
        "lines" => writer.writelines(&[b"ab", b"cd"]).map(Said::from),
        "eof" => writer.write_eof().map(Said::from),
        "drain" => writer.drain().await.map(Said::from),
        "closing" => Ok(writer.is_closing().into()),
        "caneof" => Ok(writer.can_write_eof().into()),
        "limits" => {
            let (high, low) = arg.split_once(':').ok_or(format!("bad call {op}"))?;
            writer.set_limits(limit(high)?, limit(low)?).map(|()| {
                let (low, high) = writer.limits();
                Said::Value(format!("({low}, {high})"))
            })
        }
        "close" => {
            writer.close();
            Ok(().into())
        }
        "abort" => {
            writer.abort();
            Ok(().into())
        }
        "waitclosed" => writer.wait_closed().await.map(Said::from),
        _ => return Err(format!("unknown call {op}")),
    })
}

async fn transcript<R: ReadSide, W: WriteSide>(reader: &R, writer: &W, calls: &str) -> Outcome {
    for op in calls.split_whitespace() {
        let said = match call(reader, writer, op).await? {
            Ok(Said::Bytes(got)) => format!("ok {}", hex(&got)),
            Ok(Said::Value(value)) => format!("ok {value}"),
            Ok(Said::Text(text)) => text,
            Err(Error::IncompleteRead(e)) => {
                let expected = e.expected.map_or("None".into(), |n| n.to_string());
                format!("incomplete {} {expected}", hex(&e.partial))
            }
            Err(Error::LimitOverrun(e)) => format!("overrun {} {}", e.consumed, e.message),
            // The exception classes asyncio raises for these cases.
            Err(Error::InvalidArgument(m)) => format!("ValueError {m}"),
            Err(Error::Closed(m)) => format!("RuntimeError {m}"),
            Err(Error::ConnectionReset(m)) => format!("ConnectionResetError {m}"),
            Err(other) => return Err(format!("{op}: {other:?}")),
        };
        println!("{op} {said}");
    }
    let at_eof = if reader.at_eof() { "True" } else { "False" };
    println!("at_eof {at_eof}");
    Ok(())
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
