//! A served handler for the `serve` tests: echoes each line prefixed with
//! how many clients this instance has served so far, and traps (panics) on
//! the line `POISON`.

use std::sync::atomic::{AtomicU32, Ordering};

use portable_streams::handler::Handler;
use portable_streams::{Reader, Writer};

/// Clients this instance has started serving.
static CLIENTS: AtomicU32 = AtomicU32::new(0);

/// Echoes lines; traps on `POISON`.
pub struct PoisonEcho;

impl Handler for PoisonEcho {
    async fn handle_client(reader: Reader, writer: Writer) {
        let n = CLIENTS.fetch_add(1, Ordering::Relaxed) + 1;
        while let Ok(line) = reader.readline().await {
            if line.is_empty() {
                break;
            }
            if line == b"POISON\n" {
                panic!("poisoned input");
            }
            let reply = [format!("{n} ").as_bytes(), &line].concat();
            if writer.write(&reply).is_err() || writer.drain().await.is_err() {
                break;
            }
        }
    }
}

portable_streams::export_handler!(PoisonEcho);
