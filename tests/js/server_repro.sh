#!/usr/bin/env bash
# A composed server on the second runtime fails inside jco's async runtime
# (jco 1.35, Node 24): kept here to try each new jco against.
#
#   npm ci --prefix tests/js && cargo build -p portable-streams-host
#   tests/js/server_repro.sh
#
# Seen with jco 1.35.0: the first accepted connection ends the process with
# "Error: cannot add a lender to an exited resource scope"
# (AsyncTask.addResourceLender), and the client's connection is refused or
# reset. The same component serves on `portable-streams run` and on
# `wasmtime run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
js="$root/tests/js/node_modules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build -q --manifest-path "$root/Cargo.toml" -p tcp-echo-server --target wasm32-wasip2 \
  --profile component --target-dir "$root/target/wasm"
"$root/target/debug/portable-streams" compose \
  "$root/target/wasm/wasm32-wasip2/component/tcp_echo_server.wasm" -o "$work/server.wasm"
"$js/.bin/node" "$js/.bin/jco" transpile "$work/server.wasm" -o "$work/out" >/dev/null
ln -s "$js" "$work/node_modules"
printf "import { run } from './out/server.js';\nawait run.run();\n" >"$work/run.mjs"

port=18888
"$js/.bin/node" "$work/run.mjs" 127.0.0.1 "$port" &
server=$!
sleep 2
python3 - "$port" <<'PY' || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"Hello World!\n")
print("client got:", s.recv(100))
PY
wait "$server" && echo "the server exited cleanly (fixed?)" || echo "the server failed (the known jco failure)"
