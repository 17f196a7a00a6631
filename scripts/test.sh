#!/usr/bin/env bash
# The whole test suite, with everything it needs, from a fresh clone.
#
#   scripts/test.sh              set up what is missing, then run every test
#   scripts/test.sh core         core's rules only (no wasm, no tools)
#   scripts/test.sh native       the scenario list on the host's native backend
#   scripts/test.sh guest        the scenario list composed with the guest
#   scripts/test.sh python       the Python component tests
#   scripts/test.sh runtimes     composed clients on plain wasmtime and Node
#   scripts/test.sh sandbox      the policy and caps tests
#   scripts/test.sh setup        install what is missing, run nothing
#   scripts/test.sh all -- ARGS  ARGS go to `cargo test` (a filter, --nocapture)
#
# What it installs, each step only when missing (a second run checks and
# moves on in seconds):
#   - the Rust toolchain pinned in rust-toolchain.toml, with the
#     wasm32-wasip2 target, rustfmt and clippy (rustup);
#   - the wasmtime CLI 48 (the line the host embeds), built by cargo into
#     target/tools (about 10 minutes the first time);
#   - Node 24 and jco, pinned in tests/js (npm ci into tests/js/node_modules);
#   - a Python venv in target/python-venv holding the package in python/,
#     the componentize-py it pins and the PyPI libraries the tests run
#     (tests/python/libraries/requirements.txt), all by pip;
#   - redis-server (Debian's package), the Redis library test's peer.
# Nothing is installed outside the checkout except rustup's toolchain.
#
# A test that lacks one of these tools fails and names this script. To run
# without a tool on purpose, set PORTABLE_STREAMS_SKIP_MISSING=1: such tests
# then skip, and the run ends with a line counting them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

part="${1:-all}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case "$part" in
  all | core | native | guest | python | runtimes | sandbox | setup) ;;
  -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "scripts/test.sh: unknown part '$part' (all, core, native, guest, python, runtimes, sandbox, setup)" >&2; exit 2 ;;
esac

say() { echo "[test.sh] $*"; }
tools="$root/target/tools"
venv="$root/target/python-venv"
# The CLI's newest 48 release (the embedded wasmtime is 48.0.10; the CLI
# crate stops at 48.0.8). Any 48 already there will do.
wasmtime_cli_version="48.0.8"

# --- the Rust toolchain and the component target -------------------------
toolchain=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  say "installing Rust $toolchain"
  rustup toolchain install "$toolchain" --profile minimal \
    --component rustfmt --component clippy --target wasm32-wasip2
fi
if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-wasip2; then
  say "adding the wasm32-wasip2 target"
  rustup target add --toolchain "$toolchain" wasm32-wasip2
fi

needs() { [ "$part" = all ] || [ "$part" = setup ] || [[ " $* " == *" $part "* ]]; }

# --- the plain wasmtime CLI, for the runs on another runtime ---------------
if needs runtimes && ! "$tools/bin/wasmtime" --version 2>/dev/null | grep -q '^wasmtime 48\.'; then
  say "building the wasmtime CLI $wasmtime_cli_version into target/tools (once; about 10 minutes)"
  cargo install wasmtime-cli --version "$wasmtime_cli_version" --locked --root "$tools" \
    --no-default-features \
    --features run,cranelift,component-model,component-model-async,parallel-compilation,pooling-allocator,cache
fi
export WASMTIME="${WASMTIME:-$tools/bin/wasmtime}"

# --- Node 24 and jco -------------------------------------------------------
if needs runtimes; then
  if ! tests/js/node_modules/.bin/node --version 2>/dev/null | grep -q '^v24\.' \
    || [ ! -e tests/js/node_modules/.bin/jco ]; then
    command -v npm >/dev/null || { echo "scripts/test.sh: npm is needed to install Node 24 and jco (apt-get install npm)" >&2; exit 1; }
    say "installing Node 24 and jco into tests/js/node_modules"
    npm ci --prefix tests/js --no-audit --no-fund
  fi
fi

# --- Python: a venv of the project's own -----------------------------------
if needs python runtimes native guest sandbox; then
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the Python venv target/python-venv"
    python3 -m venv "$venv" || {
      echo "scripts/test.sh: python3 with venv is needed (apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  libraries=tests/python/libraries/requirements.txt
  stamp="$venv/.installed-$(cat python/pyproject.toml "$libraries" | cksum | cut -d' ' -f1)"
  if [ ! -e "$stamp" ]; then
    say "installing the python/ package, its pinned componentize-py and the tested PyPI libraries into the venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check ./python -r "$libraries"
    touch "$stamp"
  fi
  export PORTABLE_STREAMS_PYTHON="$venv/bin/python"
fi

# --- redis-server, the peer of the Redis library's test ---------------------
if needs python && ! command -v redis-server >/dev/null; then
  say "installing redis-server (Debian's package), the peer of the Redis library's test"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq redis-server >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
  elif command -v sudo >/dev/null; then
    sudo apt-get install -y -qq redis-server >/dev/null 2>&1 \
      || { sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; }
  else
    echo "scripts/test.sh: redis-server is needed (apt-get install redis-server)" >&2
    exit 1
  fi
  # Debian starts the packaged service; the test runs its own servers.
  (command -v systemctl >/dev/null && systemctl disable --now redis-server >/dev/null 2>&1) || true
fi

[ "$part" = setup ] && { say "everything is in place"; exit 0; }

# --- the run ---------------------------------------------------------------
skipped="$root/target/skipped-tests.log"
mkdir -p "$root/target"
: >"$skipped"
case "$part" in
  all) set -- --workspace "$@" ;;
  core) set -- -p portable-streams-core --all-features "$@" ;;
  native) set -- -p portable-streams-tests --test scenarios "$@" -- native:: ;;
  guest) set -- -p portable-streams-tests --test scenarios "$@" -- guest:: ;;
  python) set -- -p portable-streams-tests --test python --test python_inside --test libraries --test transcript "$@" ;;
  runtimes) set -- -p portable-streams-tests --test runtimes "$@" ;;
  sandbox) set -- -p portable-streams-tests --test policy -p portable-streams-host "$@" ;;
esac
status=0
cargo test "$@" || status=$?

if [ -s "$skipped" ]; then
  count=$(sort -u "$skipped" | wc -l)
  echo
  echo "[test.sh] $count tests SKIPPED (PORTABLE_STREAMS_SKIP_MISSING is set), for want of:"
  sort -u "$skipped" | sed 's/^[^:]*: /  /' | sort | uniq -c
fi
exit "$status"
