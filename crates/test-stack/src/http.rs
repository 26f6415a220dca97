//! A minimal HTTP/1.1 client for the stand-ins' control endpoints and the
//! Lambda runtime emulator: loopback, plain HTTP, one request per
//! connection (`Connection: close`), chunked answers decoded. Tests only: it
//! panics with what failed.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

/// Sends `method path` with an optional JSON `body` to `base_url`
/// (`http://host:port`), waiting at most `timeout` for the answer; returns
/// the status and the (de-chunked) body.
pub fn request(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> (u16, String) {
    let authority = base_url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{base_url}: only http:// URLs are supported"))
        .split('/')
        .next()
        .unwrap_or_default();
    let mut stream = TcpStream::connect(authority)
        .unwrap_or_else(|e| panic!("cannot connect to {base_url}: {e}"));
    stream
        .set_read_timeout(Some(timeout))
        .expect("set a read timeout");
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{method} {base_url}{path}: {e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {base_url}{path}: {e}"));
    let raw = String::from_utf8_lossy(&raw);
    let (head, rest) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {base_url}{path}: not an HTTP answer: {raw}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {base_url}{path}: no status in {head:?}"));
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

/// `POST path` with a JSON body, the default 30 s timeout.
pub fn post_json(base_url: &str, path: &str, body: &str) -> (u16, String) {
    request(base_url, "POST", path, Some(body), Duration::from_secs(30))
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || size > after.len() {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
        assert_eq!(dechunk("0\r\n\r\n"), "");
    }
}
