# A script of reader and writer calls: the same file under CPython and as
# a component, and tests/components/scenario-client's `transcript`
# scenario, must print the same transcript for the same bytes.
#   transcript.py HOST PORT LIMIT CALLS
# LIMIT is the reader's limit; CALLS names the calls, separated by spaces:
#   reader: `line` (readline), `until:HEX` (readuntil), `exactly:N`
#     (readexactly), `read0` (read(0)), `readall` (read());
#   writer: `write:N` (N bytes), `lines` (writelines), `eof` (write_eof),
#     `drain`, `closing` (is_closing), `caneof` (can_write_eof),
#     `limits:HIGH:LOW` (set, then get the write buffer limits; `-` for
#     none), `close`, `abort`, `waitclosed`.
# One line is printed per call: its result, or the exception's class and
# words.
import asyncio
import sys


def limit(word):
    return None if word == "-" else int(word)


async def call(reader, writer, op):
    name, _, arg = op.partition(":")
    if name == "line":
        try:
            return await reader.readline()
        except ValueError as error:
            # readline's overrun: asyncio turns LimitOverrunError into it.
            return f"overrun-line {error}"
    if name == "until":
        return await reader.readuntil(bytes.fromhex(arg))
    if name == "exactly":
        return await reader.readexactly(int(arg))
    if name == "read0":
        return await reader.read(0)
    if name == "readall":
        return await reader.read()
    if name == "write":
        return writer.write(b"w" * int(arg))
    if name == "lines":
        return writer.writelines([b"ab", b"cd"])
    if name == "eof":
        return writer.write_eof()
    if name == "drain":
        return await writer.drain()
    if name == "closing":
        return writer.is_closing()
    if name == "caneof":
        return writer.can_write_eof()
    if name == "limits":
        high, low = arg.split(":")
        writer.transport.set_write_buffer_limits(limit(high), limit(low))
        return writer.transport.get_write_buffer_limits()
    if name == "close":
        return writer.close()
    if name == "abort":
        return writer.transport.abort()
    if name == "waitclosed":
        return await writer.wait_closed()
    raise SystemExit(f"unknown call {op}")


def said(result):
    if isinstance(result, bytes):
        return "ok " + (result.hex() or "-")
    if isinstance(result, str):
        return result
    return f"ok {result}"


async def main(host, port, limit, calls):
    reader, writer = await asyncio.open_connection(host, int(port), limit=int(limit))
    for op in calls.split():
        try:
            print(op, said(await call(reader, writer, op)))
        except asyncio.IncompleteReadError as error:
            print(op, "incomplete", error.partial.hex() or "-", error.expected)
        except asyncio.LimitOverrunError as error:
            print(op, "overrun", error.consumed, error.args[0])
        except (ValueError, RuntimeError, ConnectionResetError) as error:
            print(op, type(error).__name__, error)
    print("at_eof", reader.at_eof())


asyncio.run(main(*sys.argv[1:5]))
