//! Register an open socket to wait for data using streams (the asyncio
//! streams documentation's socketpair example): a reader over an in-memory
//! stream whose data arrives later.

use portable_streams::bindings::wit_stream;
use portable_streams::{Error, wrap};

async fn wait_for_data() -> Result<(), Error> {
    // The socketpair: `tx` is the sending end, the reader wraps the other.
    let (mut tx, rx) = wit_stream::new::<u8>();
    let (reader, writer, _output) = wrap(rx, None);
    // Simulate the reception of data from the network, later.
    portable_streams::spawn(async move {
        let rest = tx.write_all(b"abc".to_vec()).await;
        debug_assert!(rest.is_empty());
    });
    let data = reader.read(100).await?;
    println!("Received: {}", String::from_utf8_lossy(&data));
    writer.close();
    writer.wait_closed().await
}

portable_streams::main!(wait_for_data);
