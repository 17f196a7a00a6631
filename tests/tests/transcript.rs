//! One engine, checked differentially: a seeded script of reader calls
//! (`readline`, `readuntil`, `readexactly`, `read(0)`, `read()`) over
//! seeded bytes ended by EOF, with writer calls between them (`write`,
//! `writelines`, `write_eof`, `drain`, `is_closing`, `can_write_eof`, the
//! write buffer limits) and the writer's end (`close` or `abort`, then
//! every writer call again, and `wait_closed`). CPython's asyncio runs it
//! (`tests/python/transcript.py`), and its transcript must be what every
//! other reader prints for the same script: that file as a component, and
//! the scenario client on the raw binding and on the SDK, each on both
//! backends.
//!
//! Each seed runs twice. Once with the default limit over bytes cut into
//! random segments: no line is longer than the limit, so no outcome
//! depends on how the bytes arrive. Once with a limit of 16 to 215 bytes
//! over bytes sent in one write (one segment on loopback, all of it
//! buffered by the first receive, as in asyncio): the limit's outcomes,
//! which depend on what is buffered, are then the same for every reader.

use std::time::Duration;

use portable_streams_host::run::Backend;
use portable_streams_tests::{args, assert_success, lines, loopback, python, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The seeds tried; each gives a different script and different bytes.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=24;

const BACKENDS: &[Backend] = &[Backend::Native, Backend::Guest];

/// A small deterministic generator (xorshift64*), so a failing seed can
/// be run again.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// How the peer sends its bytes, and the reader's limit.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// In random segments, with asyncio's default limit.
    Segments,
    /// In one write, with this limit; lines are longer.
    Whole(u32),
}

impl Arrival {
    fn limit(self) -> u32 {
        match self {
            Arrival::Segments => 64 * 1024,
            Arrival::Whole(limit) => limit,
        }
    }
}

/// One run: a seed and how its bytes arrive.
type Seed = (u64, Arrival);

/// The calls (space-separated) and the bytes they read.
fn script((seed, arrival): Seed) -> (String, Vec<u8>) {
    const SEPARATORS: &[&str] = &["2d", "2d2d", "3b", "0d0a", "6162", "0a0a", ""];
    let alphabet: &[u8] = match arrival {
        Arrival::Segments => b"aab\n\n-;\r c",
        Arrival::Whole(_) => b"aaaabbbbcccc -;\r\nxyzxyzxyzxyzxyzxyzxyzxyzxyz--",
    };
    let mut rng = Rng::new(seed);
    let len = 2_000 + rng.below(18_000);
    let data = (0..len)
        .map(|_| alphabet[rng.below(alphabet.len())])
        .collect();
    let mut calls: Vec<String> = (0..150)
        .map(|_| match rng.below(14) {
            0..=3 => "line".into(),
            4..=6 => format!("until:{}", SEPARATORS[rng.below(SEPARATORS.len())]),
            7 | 8 => format!("exactly:{}", rng.below(300)),
            9 => "read0".into(),
            10 => format!("write:{}", rng.below(2_000)),
            11 => ["drain", "lines", "closing", "caneof"][rng.below(4)].into(),
            12 => format!("limits:{}:{}", watermark(&mut rng), watermark(&mut rng)),
            // `write_eof` ends the writing part way, now and then.
            _ => ["eof", "drain", "drain", "drain"][rng.below(4)].into(),
        })
        .collect();
    // Whatever is left, then every reader call once more at EOF; then the
    // writer's end, and every writer call after it.
    let end = ["close", "abort"][rng.below(2)];
    let rest = [
        "readall",
        "line",
        "exactly:1",
        "exactly:0",
        "until:2d",
        "read0",
        end,
        "closing",
        "drain",
        "eof",
        "write:3",
        "lines",
        "caneof",
        "limits:-:-",
        "waitclosed",
        "closing",
        "drain",
    ];
    calls.extend(rest.map(String::from));
    (calls.join(" "), data)
}

/// A watermark for `limits:HIGH:LOW`: none (`-`), or a number.
fn watermark(rng: &mut Rng) -> &'static str {
    ["-", "0", "5", "100", "65536", "1099511627776"][rng.below(6)]
}

/// The arguments after the peer's address: the limit and the calls.
fn script_args(seed: Seed) -> [String; 2] {
    [seed.1.limit().to_string(), script(seed).0]
}

/// A peer for one reader: `seed`'s bytes as it says, then EOF; it waits
/// for the reader to close.
async fn peer(seed: Seed) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut stream, _) = tokio::time::timeout(Duration::from_secs(60), listener.accept())
            .await
            .expect("the reader connects")
            .unwrap();
        stream.set_nodelay(true).unwrap();
        let (_, data) = script(seed);
        let mut rng = Rng::new(seed.0 ^ 0xA5A5);
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = match seed.1 {
                Arrival::Segments => (1 + rng.below(2_000)).min(rest.len()),
                Arrival::Whole(_) => rest.len(),
            };
            stream.write_all(&rest[..n]).await.unwrap();
            rest = &rest[n..];
            if rng.below(4) == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        stream.shutdown().await.unwrap();
        let mut ignored = Vec::new();
        let _ = stream.read_to_end(&mut ignored).await;
    });
    (port, task)
}

/// What CPython's asyncio prints for `seed`'s script.
async fn cpython(seed: Seed) -> Vec<String> {
    let (port, peer) = peer(seed).await;
    let [limit, calls] = script_args(seed);
    let argv = ["127.0.0.1", &port.to_string(), &limit, &calls];
    let printed = python::printed_by_cpython("tests/python/transcript", &argv).await;
    peer.await.unwrap();
    printed
}

/// What `package` prints on `backend` for `seed`'s script, run with
/// `argv`, the peer's address, the limit and the calls (the scenario
/// client's closing "ok" line aside).
async fn component(seed: Seed, package: &str, argv: &[&str], backend: Backend) -> Vec<String> {
    let (port, peer) = peer(seed).await;
    let port = port.to_string();
    let [limit, calls] = script_args(seed);
    let mut argv = argv.to_vec();
    argv.extend(["127.0.0.1", &port, &limit, &calls]);
    let out = run(package, backend, loopback(), &args(&argv)).await;
    assert_success(&format!("{:?} on {backend:?}", &argv[..2]), &out);
    peer.await.unwrap();
    let mut printed = lines(&out.stdout);
    if printed.last().is_some_and(|l| l.starts_with("ok ")) {
        printed.pop();
    }
    printed
}

/// Fails at the first line where `got` leaves `expected`.
fn same(what: &str, seed: Seed, got: &[String], expected: &[String]) {
    let first = got.iter().zip(expected).position(|(g, e)| g != e);
    assert!(
        first.is_none() && got.len() == expected.len(),
        "{what}, seed {seed:?}: line {} is {:?} where CPython printed {:?} ({} lines against {})",
        first.unwrap_or(got.len().min(expected.len())) + 1,
        first.map(|i| &got[i]),
        first.map(|i| &expected[i]),
        got.len(),
        expected.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_reader_prints_cpythons_transcript() {
    if !python::available() {
        return;
    }
    let mut overruns = 0;
    for number in SEEDS {
        let limit = 16 + Rng::new(number).below(200) as u32;
        for arrival in [Arrival::Segments, Arrival::Whole(limit)] {
            let seed = (number, arrival);
            let expected = cpython(seed).await;
            assert_eq!(expected.last().map(String::as_str), Some("at_eof True"));
            assert!(
                expected.iter().any(|l| l.contains(" incomplete ")),
                "seed {seed:?} reaches EOF inside a call"
            );
            overruns += expected.iter().filter(|l| l.contains(" overrun")).count();
            for &backend in BACKENDS {
                for (package, argv) in [
                    ("scenario-client", &["scenario-client", "transcript"][..]),
                    ("scenario-client", &["scenario-client", "sdk-transcript"]),
                    ("python:tests/python/transcript", &["transcript.py"]),
                ] {
                    let got = component(seed, package, argv, backend).await;
                    same(&format!("{argv:?} on {backend:?}"), seed, &got, &expected);
                }
            }
        }
    }
    assert!(overruns > 0, "no script reached the limit");
}
