//! The generated host traits, implemented by delegating to [`Conn`] and
//! the server: this file only moves values between the resource table,
//! core and the WIT types.

use std::sync::Arc;

use portable_streams_core::{Error, ReadRequest};
use wasmtime::component::{Access, Accessor, FutureReader, Resource, ResourceTable, StreamReader};

use super::conn::Conn;
use super::conv::Allowance;
use super::reader::Reader;
use super::server::{self, Server};
use super::stream_in::WriterStream;
use super::stream_out::ReaderStream;
use super::tls_object::TlsObject;
use super::wrap::{pipes, wrap_read_buffer};
use super::writer::Writer;
use super::{NativeCtxView, NativeStreams, connect, unix, wit};
use portable_streams_core::server::Client;

/// A WIT call's outcome: a trap for host bugs, else the typed result.
type Outcome<T> = wasmtime::Result<Result<T, wit::Error>>;

/// A synchronous fast path's answer (`try-drain`, `try-wait-closed`): none
/// when the async call would wait.
type FastAnswer = Option<Result<(), wit::Error>>;

/// A fast path's answer in the WIT's types.
fn fast_answer(answer: Option<Result<(), Error>>) -> FastAnswer {
    answer.map(|result| result.map_err(Into::into))
}

/// Puts a connection's reader and writer in `table`. If that fails the
/// connection is aborted, so nothing is left running.
pub(crate) fn push_pair(
    table: &mut ResourceTable,
    conn: Arc<Conn>,
) -> wasmtime::Result<(Resource<Reader>, Resource<Writer>)> {
    let pushed = table
        .push(Reader { conn: conn.clone() })
        .and_then(|reader| {
            table
                .push(Writer { conn: conn.clone() })
                .map(|writer| (reader, writer))
        });
    if pushed.is_err() {
        conn.abort();
    }
    Ok(pushed?)
}

fn allowance<T>(accessor: &Accessor<T, NativeStreams>) -> Allowance {
    accessor.with(|mut access| access.get().ctx.allowance())
}

/// What a server started now runs under.
fn sandbox<T>(accessor: &Accessor<T, NativeStreams>) -> server::Sandbox {
    accessor.with(|mut access| {
        let ctx = &access.get().ctx;
        server::Sandbox {
            allowance: ctx.allowance(),
            listeners: ctx.listening.clone(),
        }
    })
}

fn reader_conn<T>(
    accessor: &Accessor<T, NativeStreams>,
    reader: &Resource<Reader>,
) -> wasmtime::Result<Arc<Conn>> {
    accessor.with(|mut access| Ok(access.get().table.get(reader)?.conn.clone()))
}

fn writer_conn<T>(
    accessor: &Accessor<T, NativeStreams>,
    writer: &Resource<Writer>,
) -> wasmtime::Result<Arc<Conn>> {
    accessor.with(|mut access| Ok(access.get().table.get(writer)?.conn.clone()))
}

fn server_of<T>(
    accessor: &Accessor<T, NativeStreams>,
    server: &Resource<Server>,
) -> wasmtime::Result<Arc<server::Shared>> {
    accessor.with(|mut access| Ok(access.get().table.get(server)?.shared.clone()))
}

/// The connection's reader and writer, pushed into the caller's table.
fn pair<T>(
    accessor: &Accessor<T, NativeStreams>,
    conn: Result<Arc<Conn>, Error>,
) -> Outcome<(Resource<Reader>, Resource<Writer>)> {
    match conn {
        Ok(conn) => accessor.with(|mut access| push_pair(access.get().table, conn).map(Ok)),
        Err(error) => Ok(Err(error.into())),
    }
}

async fn read<T>(
    accessor: &Accessor<T, NativeStreams>,
    reader: Resource<Reader>,
    request: Result<ReadRequest, Error>,
) -> Outcome<Vec<u8>> {
    let conn = reader_conn(accessor, &reader)?;
    let result = match request {
        Ok(request) => conn.read(request).await,
        Err(error) => Err(error),
    };
    Ok(result.map(Vec::from).map_err(Into::into))
}

impl<T: Send> wit::HostWithStore<T> for NativeStreams {
    async fn open_connection(
        accessor: &Accessor<T, Self>,
        host: String,
        port: u16,
        options: wit::ConnectOptions,
    ) -> Outcome<(Resource<Reader>, Resource<Writer>)> {
        let conn = connect::open_connection(allowance(accessor), host, port, options).await;
        pair(accessor, conn)
    }

    async fn start_server(
        accessor: &Accessor<T, Self>,
        hosts: Vec<String>,
        port: u16,
        options: wit::ServerOptions,
    ) -> Outcome<Resource<Server>> {
        match server::start_server(sandbox(accessor), hosts, port, options).await {
            Ok(server) => accessor.with(|mut access| Ok(Ok(access.get().table.push(server)?))),
            Err(error) => Ok(Err(error.into())),
        }
    }

    async fn open_unix_connection(
        accessor: &Accessor<T, Self>,
        path: String,
        options: wit::UnixConnectOptions,
    ) -> Outcome<(Resource<Reader>, Resource<Writer>)> {
        let conn = unix::open_unix_connection(allowance(accessor), path, options).await;
        pair(accessor, conn)
    }

    async fn start_unix_server(
        accessor: &Accessor<T, Self>,
        path: String,
        options: wit::UnixServerOptions,
    ) -> Outcome<Resource<Server>> {
        match server::start_unix_server(sandbox(accessor), path, options).await {
            Ok(server) => accessor.with(|mut access| Ok(Ok(access.get().table.push(server)?))),
            Err(error) => Ok(Err(error.into())),
        }
    }

    fn wrap(
        mut host: Access<'_, T, Self>,
        input: StreamReader<u8>,
        options: wit::WrapOptions,
    ) -> wasmtime::Result<(Resource<Reader>, Resource<Writer>, StreamReader<u8>)> {
        let read = wrap_read_buffer(&options, &host.get().ctx.policy);
        let (transport, into_pipe, from_pipe) = pipes();
        input.pipe(&mut host, into_pipe)?;
        let output = StreamReader::new(&mut host, from_pipe)?;
        let engine = host.get().ctx.allowance().engine(read);
        let conn = Conn::start(transport, engine, None, None);
        let (reader, writer) = push_pair(host.get().table, conn)?;
        Ok((reader, writer, output))
    }
}

impl wit::Host for NativeCtxView<'_> {
    fn tls_over_memory(&mut self, side: wit::TlsSide) -> Outcome<Resource<TlsObject>> {
        NativeCtxView::tls_over_memory(self, side)
    }
}

impl<T: Send> wit::HostReaderWithStore<T> for NativeStreams {
    async fn read(
        accessor: &Accessor<T, Self>,
        reader: Resource<Reader>,
        n: i64,
    ) -> Outcome<Vec<u8>> {
        read(accessor, reader, Ok(ReadRequest::read(n))).await
    }

    async fn readline(accessor: &Accessor<T, Self>, reader: Resource<Reader>) -> Outcome<Vec<u8>> {
        read(accessor, reader, Ok(ReadRequest::readline())).await
    }

    async fn readexactly(
        accessor: &Accessor<T, Self>,
        reader: Resource<Reader>,
        n: i64,
    ) -> Outcome<Vec<u8>> {
        read(accessor, reader, ReadRequest::readexactly(n)).await
    }

    async fn readuntil(
        accessor: &Accessor<T, Self>,
        reader: Resource<Reader>,
        separators: Vec<Vec<u8>>,
    ) -> Outcome<Vec<u8>> {
        read(accessor, reader, ReadRequest::readuntil(separators)).await
    }

    async fn into_stream(
        accessor: &Accessor<T, Self>,
        reader: Resource<Reader>,
    ) -> Outcome<(StreamReader<u8>, FutureReader<Result<(), wit::Error>>)> {
        let conn = reader_conn(accessor, &reader)?;
        if let Err(error) = conn.hand_over() {
            return Ok(Err(error.into()));
        }
        let (producer, ended) = ReaderStream::new(conn);
        accessor.with(|mut access| {
            let stream = StreamReader::new(&mut access, producer)?;
            let end = FutureReader::new(&mut access, ended)?;
            Ok(Ok((stream, end)))
        })
    }
}

impl wit::HostReader for NativeCtxView<'_> {
    fn at_eof(&mut self, reader: Resource<Reader>) -> wasmtime::Result<bool> {
        Ok(self.table.get(&reader)?.conn.at_eof())
    }

    fn limit(&mut self, reader: Resource<Reader>) -> wasmtime::Result<u32> {
        let limit = self.table.get(&reader)?.conn.limit();
        Ok(u32::try_from(limit).unwrap_or(u32::MAX))
    }

    fn drop(&mut self, reader: Resource<Reader>) -> wasmtime::Result<()> {
        self.table.delete(reader)?;
        Ok(())
    }
}

impl<T: Send> wit::HostWriterWithStore<T> for NativeStreams {
    async fn drain(accessor: &Accessor<T, Self>, writer: Resource<Writer>) -> Outcome<()> {
        let conn = writer_conn(accessor, &writer)?;
        Ok(conn.drain().await.map_err(Into::into))
    }

    async fn write_from(
        accessor: &Accessor<T, Self>,
        writer: Resource<Writer>,
        data: StreamReader<u8>,
    ) -> Outcome<()> {
        let conn = writer_conn(accessor, &writer)?;
        let (consumer, taken) = WriterStream::new(conn);
        accessor.with(|mut access| data.pipe(&mut access, consumer))?;
        // The consumer reports once it is dropped; a sender dropped unsent
        // cannot happen, and would mean nothing was refused.
        Ok(taken.await.unwrap_or(Ok(())).map_err(Into::into))
    }

    async fn wait_closed(accessor: &Accessor<T, Self>, writer: Resource<Writer>) -> Outcome<()> {
        let conn = writer_conn(accessor, &writer)?;
        Ok(conn.wait_closed().await.map_err(Into::into))
    }

    async fn start_tls(
        accessor: &Accessor<T, Self>,
        writer: Resource<Writer>,
        side: wit::TlsSide,
    ) -> Outcome<()> {
        let conn = writer_conn(accessor, &writer)?;
        Ok(conn.start_tls(side).await.map_err(Into::into))
    }
}

impl NativeCtxView<'_> {
    fn conn(&self, writer: &Resource<Writer>) -> wasmtime::Result<&Conn> {
        Ok(&self.table.get(writer)?.conn)
    }
}

impl wit::HostWriter for NativeCtxView<'_> {
    fn write(&mut self, writer: Resource<Writer>, data: Vec<u8>) -> Outcome<()> {
        Ok(self.conn(&writer)?.write(data.into()).map_err(Into::into))
    }

    fn writelines(&mut self, writer: Resource<Writer>, data: Vec<Vec<u8>>) -> Outcome<()> {
        Ok(self.conn(&writer)?.writelines(data).map_err(Into::into))
    }

    fn can_write_eof(&mut self, writer: Resource<Writer>) -> wasmtime::Result<bool> {
        Ok(self.conn(&writer)?.can_write_eof())
    }

    fn write_eof(&mut self, writer: Resource<Writer>) -> Outcome<()> {
        Ok(self.conn(&writer)?.write_eof().map_err(Into::into))
    }

    fn close(&mut self, writer: Resource<Writer>) -> wasmtime::Result<()> {
        self.conn(&writer)?.close();
        Ok(())
    }

    fn abort(&mut self, writer: Resource<Writer>) -> wasmtime::Result<()> {
        self.conn(&writer)?.abort();
        Ok(())
    }

    fn try_drain(&mut self, writer: Resource<Writer>) -> wasmtime::Result<FastAnswer> {
        Ok(fast_answer(self.conn(&writer)?.try_drain()))
    }

    fn try_wait_closed(&mut self, writer: Resource<Writer>) -> wasmtime::Result<FastAnswer> {
        Ok(fast_answer(self.conn(&writer)?.try_wait_closed()))
    }

    fn is_closing(&mut self, writer: Resource<Writer>) -> wasmtime::Result<bool> {
        Ok(self.conn(&writer)?.is_closing())
    }

    fn get_extra_info(&mut self, writer: Resource<Writer>) -> wasmtime::Result<wit::ExtraInfo> {
        let conn = self.conn(&writer)?;
        Ok(wit::ExtraInfo {
            peername: conn.peer(),
            sockname: conn.local(),
            tls: conn.tls(),
        })
    }

    fn set_write_buffer_limits(
        &mut self,
        writer: Resource<Writer>,
        high: Option<u64>,
        low: Option<u64>,
    ) -> Outcome<()> {
        Ok(self
            .conn(&writer)?
            .set_write_buffer_limits(high, low)
            .map_err(Into::into))
    }

    fn get_write_buffer_limits(
        &mut self,
        writer: Resource<Writer>,
    ) -> wasmtime::Result<(u64, u64)> {
        Ok(self.conn(&writer)?.write_buffer_limits())
    }

    fn write_buffer_size(&mut self, writer: Resource<Writer>) -> wasmtime::Result<u64> {
        Ok(self.conn(&writer)?.write_buffer_size())
    }

    fn drop(&mut self, writer: Resource<Writer>) -> wasmtime::Result<()> {
        self.table.delete(writer)?;
        Ok(())
    }
}

impl<T: Send> wit::HostServerWithStore<T> for NativeStreams {
    async fn accept(
        accessor: &Accessor<T, Self>,
        server: Resource<Server>,
    ) -> Outcome<(Resource<Reader>, Resource<Writer>)> {
        let shared = server_of(accessor, &server)?;
        let conn = shared.accept().await;
        pair(accessor, conn)
    }

    async fn wait_closed(
        accessor: &Accessor<T, Self>,
        server: Resource<Server>,
    ) -> wasmtime::Result<()> {
        let shared = server_of(accessor, &server)?;
        shared.wait_closed().await;
        Ok(())
    }
}

impl NativeCtxView<'_> {
    fn server(&self, server: &Resource<Server>) -> wasmtime::Result<&server::Shared> {
        Ok(&self.table.get(server)?.shared)
    }
}

impl wit::HostServer for NativeCtxView<'_> {
    fn sockets(&mut self, server: Resource<Server>) -> wasmtime::Result<Vec<wit::SocketAddress>> {
        Ok(self.server(&server)?.sockets())
    }

    fn close(&mut self, server: Resource<Server>) -> wasmtime::Result<()> {
        self.server(&server)?.close();
        Ok(())
    }

    fn is_serving(&mut self, server: Resource<Server>) -> wasmtime::Result<bool> {
        Ok(self.server(&server)?.is_serving())
    }

    fn start_serving(&mut self, server: Resource<Server>) -> Outcome<()> {
        Ok(self.server(&server)?.start_serving().map_err(Into::into))
    }

    fn close_clients(&mut self, server: Resource<Server>) -> wasmtime::Result<()> {
        self.server(&server)?.close_clients();
        Ok(())
    }

    fn abort_clients(&mut self, server: Resource<Server>) -> wasmtime::Result<()> {
        self.server(&server)?.abort_clients();
        Ok(())
    }

    fn drop(&mut self, server: Resource<Server>) -> wasmtime::Result<()> {
        self.table.delete(server)?;
        Ok(())
    }
}
