//! Many connections, each with a `readline` waiting on a silent peer: what
//! a waiting read holds must not grow with the room it may receive into.

use futures::future::join_all;

use crate::{Outcome, check, connect};

/// Connections opened; the peer ([`IDLE_READERS`] in the tests' peers)
/// accepts as many.
const CONNECTIONS: usize = 150;

/// Runs `scenario` if it is this file's.
pub async fn run(scenario: &str, host: &str, port: u16) -> Option<Outcome> {
    Some(match scenario {
        "idle-readers" => idle_readers(host, port).await,
        _ => return None,
    })
}

/// Under a memory cap of 24 MiB and a budget of 16 MiB (the test's): 150
/// `readline` calls wait at once on peers that stay silent for a second,
/// then each gets its line. With 256 KiB of receive room held by each
/// waiting read, they would need 37.5 MiB of memory, or of budget.
async fn idle_readers(host: &str, port: u16) -> Outcome {
    let mut open = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        open.push(connect(host, port).await?);
    }
    let lines = join_all(open.iter().map(|(reader, _)| reader.readline())).await;
    for (n, line) in lines.into_iter().enumerate() {
        let line = line.map_err(|e| format!("readline on connection {n}: {e:?}"))?;
        check(line.starts_with(b"line "), || {
            format!("connection {n} read {:?}", String::from_utf8_lossy(&line))
        })?;
    }
    for (_, writer) in &open {
        writer.close();
    }
    Ok(())
}
