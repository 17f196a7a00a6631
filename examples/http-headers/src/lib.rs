//! Get HTTP headers (the asyncio streams documentation's example):
//! `http-headers URL` sends `HEAD` and prints every header line.

use portable_streams::{Error, open_connection};

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

async fn print_http_headers(url: &Url) -> Result<(), Error> {
    let (reader, writer) = open_connection(&url.host, url.port).await?;
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
    let url = std::env::args().nth(1).ok_or("usage: http-headers URL")?;
    let url = parse_url(&url)?;
    if url.https {
        return Err("https:// needs TLS, which is not available yet; use an http:// URL".into());
    }
    print_http_headers(&url).await.map_err(|e| e.to_string())
}

portable_streams::main!(main);
