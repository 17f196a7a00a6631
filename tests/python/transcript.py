# A script of reader calls: the same file under CPython and as a
# component, and tests/components/scenario-client's `transcript` scenario,
# must print the same transcript for the same bytes.
#   transcript.py HOST PORT LIMIT CALLS
# LIMIT is the reader's limit; CALLS names the calls, separated by spaces:
# `line` (readline), `until:HEX` (readuntil), `exactly:N` (readexactly),
# `read0` (read(0)), `readall` (read()). One line is printed per call.
import asyncio
import sys


async def call(reader, op):
    if op == "line":
        try:
            return await reader.readline()
        except ValueError as error:
            # readline's overrun: asyncio turns LimitOverrunError into it.
            return f"overrun-line {error}"
    if op.startswith("until:"):
        return await reader.readuntil(bytes.fromhex(op[6:]))
    if op.startswith("exactly:"):
        return await reader.readexactly(int(op[8:]))
    if op == "read0":
        return await reader.read(0)
    if op == "readall":
        return await reader.read()
    raise SystemExit(f"unknown call {op}")


async def main(host, port, limit, calls):
    reader, writer = await asyncio.open_connection(host, int(port), limit=int(limit))
    for op in calls.split():
        try:
            got = await call(reader, op)
            if isinstance(got, str):
                print(op, got)
            else:
                print(op, "ok", got.hex() or "-")
        except asyncio.IncompleteReadError as error:
            print(op, "incomplete", error.partial.hex() or "-", error.expected)
        except asyncio.LimitOverrunError as error:
            print(op, "overrun", error.consumed, error.args[0])
        except ValueError as error:
            print(op, "invalid-argument", error)
    print("at_eof", reader.at_eof())
    writer.close()
    await writer.wait_closed()


asyncio.run(main(*sys.argv[1:5]))
