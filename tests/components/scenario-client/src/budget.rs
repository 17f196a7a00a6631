//! The store's byte budget across many connections to a peer that floods
//! each of them and reads nothing: past the budget, reads and writes are
//! refused naming it, nothing held is lost, and reading frees room again.

use portable_streams::bindings::portable::streams::streams::Error;

use crate::{Outcome, check, connect};

/// The budget the test gives the run (`--max-buffered`), in its words.
const BUDGET: &str = "the store's buffer budget is 8388608 bytes";

/// Connections opened; without the budget their reads alone would hold
/// 50 x 2 MiB.
const CONNECTIONS: usize = 50;

/// Runs `scenario` if it is this file's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "buffer-budget" => buffer_budget(host, port).await,
        _ => return None,
    })
}

/// Under `--max-read-buffer 1048576` (2 MiB per connection) and
/// `--max-buffered 8388608`: `read(-1)` on each connection gathers until
/// its own cap or the budget stops it, so at most four connections fill up
/// and every later one is refused by the budget.
async fn buffer_budget(host: &str, port: u16) -> Outcome {
    let mut open = Vec::new();
    let (mut capped, mut refused) = (0, 0);
    for n in 1..=CONNECTIONS {
        let (reader, writer) = connect(host, port).await?;
        match reader.read(-1).await {
            Err(Error::AccessDenied(m)) if m.contains(BUDGET) => refused += 1,
            Err(Error::AccessDenied(m)) if m.contains("read buffer cap of 2097152") => capped += 1,
            other => return Err(format!("read(-1) on connection {n}: {other:?}")),
        }
        open.push((reader, writer));
    }
    check(
        (1..=4).contains(&capped) && refused == CONNECTIONS - capped,
        || format!("{capped} connections filled their read cap, {refused} refused by the budget"),
    )?;
    // The budget is spent: a write anywhere is refused and queues nothing.
    let chunk = vec![b'y'; 64 * 1024];
    for (n, (_, writer)) in open.iter().enumerate() {
        match writer.write(&chunk) {
            Err(Error::AccessDenied(m)) if m.contains(BUDGET) && m.contains("a write of 65536") => {
            }
            other => return Err(format!("a write on connection {}: {other:?}", n + 1)),
        }
        check(writer.write_buffer_size() == 0, || {
            "a refused write was queued".into()
        })?;
    }
    // Nothing was lost: the first connection's bytes are all there, and
    // reading them frees room for a write.
    let (reader, writer) = &open[0];
    let kept = reader
        .read(4 << 20)
        .await
        .map_err(|e| format!("read: {e:?}"))?;
    check(
        kept.len() == 2 << 20 && kept.iter().all(|b| *b == b'x'),
        || format!("the first connection kept {} bytes", kept.len()),
    )?;
    writer
        .write(&chunk)
        .map_err(|e| format!("a write after reading: {e:?}"))
}
