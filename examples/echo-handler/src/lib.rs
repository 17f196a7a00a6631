//! An echo handler for `portable-streams serve`: every line a client sends
//! comes back; the connection ends at the client's EOF.

use portable_streams::handler::Handler;
use portable_streams::{Reader, Writer};

/// Echoes lines until EOF.
pub struct Echo;

impl Handler for Echo {
    async fn handle_client(reader: Reader, writer: Writer) {
        while let Ok(line) = reader.readline().await {
            if line.is_empty() {
                break;
            }
            if writer.write(&line).is_err() || writer.drain().await.is_err() {
                break;
            }
        }
    }
}

portable_streams::export_handler!(Echo);
