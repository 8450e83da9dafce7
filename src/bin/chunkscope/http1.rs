//! A small HTTP/1.1 server for `chunkscope serve`: keep-alive connections, one thread each, at
//! most [`MAX_CONNECTIONS`] at once; request heads only (bodies are never read: a request that
//! announces one is answered and its connection closed); bounded head size, idle and write
//! time-outs; answers with a known length or chunked.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connections served at once; more are answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 64;
/// A request head (request line and headers) is at most this long.
const MAX_HEAD: u64 = 32 << 10;
const MAX_HEADERS: usize = 100;
/// An idle keep-alive connection, or a client that stalls, is dropped after this.
const IDLE: Duration = Duration::from_secs(30);
const WRITE: Duration = Duration::from_secs(120);

/// One request head.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The request target as sent (`/path?query`).
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request announces a body (which is never read).
    pub fn has_body(&self) -> bool {
        self.header("transfer-encoding").is_some()
            || self
                .header("content-length")
                .is_some_and(|v| v.trim() != "0")
    }

    fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"))
    }
}

pub enum Body {
    Bytes(Vec<u8>),
    /// A stream, and its length when known (else chunked). An error while reading it ends the
    /// connection, so that a cut answer is never taken for a whole one.
    Stream(Box<dyn Read + Send>, Option<u64>),
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Accepts connections for ever; `handle` answers each request.
pub fn serve<H>(listener: TcpListener, handle: H)
where
    H: Fn(&Request) -> Response + Send + Sync + 'static,
{
    let handle = Arc::new(handle);
    let active = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(stream) = conn else { continue };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            let mut s = stream;
            let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let (handle, active) = (handle.clone(), active.clone());
        let spawned = std::thread::Builder::new()
            .name("serve-conn".into())
            .spawn(move || {
                let _ = connection(stream, &*handle);
                active.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            eprintln!("chunkscope serve: could not start a connection thread");
        }
    }
}

fn connection<H: Fn(&Request) -> Response>(stream: TcpStream, handle: &H) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_write_timeout(Some(WRITE))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let req = match read_head(&mut reader, peer) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let _ = write_response(
                    &mut writer,
                    false,
                    true,
                    Response {
                        status: 400,
                        headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                        body: Body::Bytes(format!("chunkscope serve: {e}\n").into_bytes()),
                    },
                );
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let head = req.method == "HEAD";
        // a body is never read: after answering, the connection can't be reused
        let close = req.wants_close() || req.has_body();
        let resp = handle(&req);
        write_response(&mut writer, head, close, resp)?;
        if close {
            if req.has_body() {
                // closing with unread bytes would reset the connection and could destroy the
                // answer in flight: end our side, then drop a little of what the client sends
                writer.shutdown(std::net::Shutdown::Write)?;
                writer.set_read_timeout(Some(Duration::from_secs(1)))?;
                let _ = io::copy(&mut reader.take(1 << 20), &mut io::sink());
            }
            return Ok(());
        }
    }
}

/// Reads one request head; `None` at a clean end of the connection.
fn read_head(r: &mut BufReader<TcpStream>, peer: SocketAddr) -> io::Result<Option<Request>> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let mut limited = r.take(MAX_HEAD);
    let mut line = Vec::new();
    // request line (skipping empty lines between requests, as RFC 9112 allows)
    loop {
        line.clear();
        if limited.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") {
            return Err(bad("request head too long or cut"));
        }
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            break;
        }
    }
    let text = String::from_utf8(line.clone()).map_err(|_| bad("request line is not ASCII"))?;
    let mut parts = text.trim_end().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") || !target.starts_with('/') {
        return Err(bad("malformed request line"));
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        if limited.read_until(b'\n', &mut line)? == 0 || !line.ends_with(b"\n") {
            return Err(bad("request head too long or cut"));
        }
        let l = std::str::from_utf8(&line).map_err(|_| bad("header is not UTF-8"))?;
        let l = l.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad("malformed header"))?;
        if k.is_empty() || k.contains([' ', '\t']) {
            return Err(bad("malformed header"));
        }
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
        if headers.len() > MAX_HEADERS {
            return Err(bad("too many headers"));
        }
    }
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        peer,
    };
    if version == "HTTP/1.0"
        && !req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("keep-alive"))
    {
        req.headers.push(("connection".into(), "close".into()));
    }
    Ok(Some(req))
}

fn write_response(w: &mut TcpStream, head: bool, close: bool, resp: Response) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        if v.contains(['\r', '\n'])
            || k.eq_ignore_ascii_case("content-length")
            || k.eq_ignore_ascii_case("transfer-encoding")
            || k.eq_ignore_ascii_case("connection")
        {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    let no_body = head || matches!(resp.status, 100..=199 | 204 | 304);
    let len = match &resp.body {
        Body::Bytes(b) => Some(b.len() as u64),
        Body::Stream(_, l) => *l,
    };
    match len {
        Some(l) => out.push_str(&format!("Content-Length: {l}\r\n")),
        None if !no_body => out.push_str("Transfer-Encoding: chunked\r\n"),
        None => {}
    }
    out.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    let mut bw = io::BufWriter::with_capacity(64 << 10, w);
    bw.write_all(out.as_bytes())?;
    if !no_body {
        match resp.body {
            Body::Bytes(b) => bw.write_all(&b)?,
            Body::Stream(mut r, Some(l)) => {
                let n = io::copy(&mut (&mut r).take(l), &mut bw)?;
                if n != l {
                    return Err(io::Error::other("upstream body shorter than its length"));
                }
            }
            Body::Stream(mut r, None) => {
                let mut buf = vec![0u8; 64 << 10];
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    bw.write_all(format!("{n:x}\r\n").as_bytes())?;
                    bw.write_all(&buf[..n])?;
                    bw.write_all(b"\r\n")?;
                }
                bw.write_all(b"0\r\n\r\n")?;
            }
        }
    }
    bw.flush()
}
