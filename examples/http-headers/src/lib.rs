//! Get HTTP headers (the asyncio streams documentation's example):
//! `http-headers URL [CA_PEM]` sends `HEAD` and prints every header line.
//! An `https://` URL is fetched over TLS (as the documentation's
//! `ssl=True`), verified against the web PKI roots plus `CA_PEM` if given
//! (the PEM text itself, e.g. `"$(cat ca.pem)"`).

use portable_streams::{ClientTls, ConnectOptions, Error, open_connection_with};

/// The parts of an `http://host[:port]/path` URL this example needs.
struct Url {
    https: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, String> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let default_port = if https { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h.trim_matches(|c| c == '[' || c == ']').to_owned(),
            p.parse().map_err(|_| format!("bad port in {url:?}"))?,
        ),
        _ => (authority.to_owned(), default_port),
    };
    if host.is_empty() {
        return Err(format!("no host in {url:?}"));
    }
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    };
    Ok(Url {
        https,
        host,
        port,
        path,
    })
}

async fn print_http_headers(url: &Url, ca: Option<String>) -> Result<(), Error> {
    let mut options = ConnectOptions::new();
    if url.https {
        let mut tls = ClientTls::new();
        if let Some(ca) = ca {
            tls = tls.add_root_certificate(ca);
        }
        options = options.tls(tls);
    }
    let (reader, writer) = open_connection_with(&url.host, url.port, options).await?;
    let query = format!("HEAD {} HTTP/1.0\r\nHost: {}\r\n\r\n", url.path, url.host);
    writer.write(query.as_bytes())?;
    loop {
        let line = reader.readline().await?;
        if line.is_empty() {
            break;
        }
        let line: String = line.iter().map(|&b| b as char).collect(); // latin-1
        let line = line.trim_end();
        if !line.is_empty() {
            println!("HTTP header> {line}");
        }
    }
    writer.close();
    writer.wait_closed().await
}

async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: http-headers URL [CA_PEM]")?;
    let url = parse_url(&url)?;
    print_http_headers(&url, args.next())
        .await
        .map_err(|e| e.to_string())
}

portable_streams::main!(main);
