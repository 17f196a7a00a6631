//! The end of a raw 0.3 socket's byte stream, watched by the host: the
//! stream's result future (which wasmtime-wasi resolves once the stream
//! has ended and released its half of the OS socket) is piped through the
//! host, holding the socket's place until then, and passed on to the
//! component unchanged.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{FutureConsumer, FutureReader, Source};
use wasmtime_wasi::p3::bindings::sockets::types::ErrorCode;

use super::Place;

/// A stream's result, as wasmtime-wasi gives it.
type Ended = Result<(), ErrorCode>;

/// `ended`, relayed so that `place` is held until it resolves.
pub fn hold_until_ended<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    ended: FutureReader<Ended>,
    place: Option<Place>,
) -> wasmtime::Result<FutureReader<Ended>> {
    let (tx, rx) = oneshot::channel();
    ended.pipe(
        &mut store,
        Watch {
            tx: Some(tx),
            _place: place,
        },
    )?;
    // A result never given means the stream's side was torn down with the
    // store; the component cannot be waiting then.
    FutureReader::new(&mut store, async move {
        Ok::<Ended, wasmtime::Error>(rx.await.unwrap_or(Ok(())))
    })
}

/// Takes the stream's result, then lets its place go.
struct Watch {
    tx: Option<oneshot::Sender<Ended>>,
    _place: Option<Place>,
}

impl<D: 'static> FutureConsumer<D> for Watch {
    type Item = Ended;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<'_, D>,
        mut source: Source<'_, Self::Item>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let mut ended = None;
        source.read(&mut store, &mut ended)?;
        if let (Some(ended), Some(tx)) = (ended, self.tx.take()) {
            // The component may have dropped its end of the future.
            let _ = tx.send(ended);
        }
        Poll::Ready(Ok(()))
    }
}
