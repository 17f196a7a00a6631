#!/usr/bin/env bash
# A composed Python client on the second runtime fails inside jco's sync
# call bookkeeping (jco 1.35, Node 24): kept here to try each new jco
# against.
#
#   scripts/test.sh setup && cargo build -p portable-streams-host
#   tests/js/python_close_repro.sh
#
# Seen with jco 1.35.0: the echo client prints its three lines, then
# `writer.close()` ends the process with "TypeError: Cannot destructure
# property 'componentIdx' of 'SYMMETRIC_SYNC_GUEST_CALL_STACK.pop(...)' as
# it is undefined" (_symmetricSyncGuestCallExit): a sync call into the
# composed guest while that guest has a read pending whose wait the call
# ends. An asyncio transport always has a read pending. The same component
# runs on `portable-streams run` and on `wasmtime run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
js="$root/tests/js/node_modules"
python="$root/target/python-venv/bin/python"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

PYTHONPATH="$root/python" "$python" -m portable_streams build \
  "$root/examples/python/tcp_echo_client.py" -o "$work/client.wasm" >/dev/null
"$root/target/debug/portable-streams" compose "$work/client.wasm" -o "$work/composed.wasm" >/dev/null
"$js/.bin/node" "$js/.bin/jco" transpile "$work/composed.wasm" -o "$work/out" --name client >/dev/null
ln -s "$js" "$work/node_modules"
printf "import { run } from './out/client.js';\nawait run.run();\n" >"$work/run.mjs"

"$python" -u "$root/examples/python/tcp_echo_server.py" 127.0.0.1 0 1 >"$work/server.out" &
server=$!
sleep 1
port="$(head -1 "$work/server.out" | grep -oE '[0-9]+\)$' | tr -d ')')"
"$js/.bin/node" "$work/run.mjs" 127.0.0.1 "$port"
