use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn pipe_transport() -> (Transport, tokio::io::DuplexStream) {
    let (ours, theirs) = tokio::io::duplex(64);
    let (source, sink) = tokio::io::split(ours);
    let transport = Transport::new(Box::pin(source), Box::pin(sink));
    (transport, theirs)
}

#[tokio::test(start_paused = true)]
async fn a_read_waiting_past_the_timeout_fails_with_timed_out() {
    let (transport, _peer) = pipe_transport();
    let mut transport = with_idle_timeout(transport, Duration::from_secs(5));
    let mut buf = [0u8; 8];
    let error = transport.source.read(&mut buf).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    assert!(error.to_string().contains("idle timeout"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn data_restarts_the_clock() {
    let (transport, mut peer) = pipe_transport();
    let mut transport = with_idle_timeout(transport, Duration::from_secs(5));
    let writer = tokio::spawn(async move {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(4)).await;
            peer.write_all(b"x").await.unwrap();
        }
        peer
    });
    let mut buf = [0u8; 8];
    for _ in 0..3 {
        // Each byte comes 4 s after the last: never 5 s of silence.
        assert_eq!(transport.source.read(&mut buf).await.unwrap(), 1);
    }
    let _peer = writer.await.unwrap();
    let error = transport.source.read(&mut buf).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::TimedOut);
}
