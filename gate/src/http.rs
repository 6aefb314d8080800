//! Just enough HTTP/1.1 for git's smart protocol: one request a connection, its body read in
//! full (by length or chunked) into a file, the response streamed and the connection closed.

use std::io::{self, BufRead, BufReader, Read, Write};

/// A request's head.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The longest request head the gate reads.
const MAX_HEAD: usize = 64 * 1024;

/// Reads a request head.
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Request> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "truncated or oversized request head",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let mut first = lines
        .first()
        .map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter();
    let (Some(method), Some(target)) = (first.next(), first.next()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad request line",
        ));
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target, String::new()),
    };
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Request {
        method,
        path,
        query,
        headers,
    })
}

/// Copies the request body into `out`, by `Content-Length` or chunked, refusing more than
/// `limit` bytes. Returns its length.
pub fn read_body<R: Read>(
    reader: &mut BufReader<R>,
    request: &Request,
    out: &mut impl Write,
    limit: u64,
) -> io::Result<u64> {
    let too_big = || io::Error::new(io::ErrorKind::InvalidData, "request body too large");
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let mut total = 0u64;
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size_hex = size_line.trim().split(';').next().unwrap_or("");
            let size = u64::from_str_radix(size_hex, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        return Ok(total);
                    }
                }
            }
            total += size;
            if total > limit {
                return Err(too_big());
            }
            io::copy(&mut reader.by_ref().take(size), out)?;
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    }
    let length: u64 = request
        .header("content-length")
        .map_or(Ok(0), str::parse)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?;
    if length > limit {
        return Err(too_big());
    }
    let copied = io::copy(&mut reader.by_ref().take(length), out)?;
    if copied != length {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "request body cut short",
        ));
    }
    Ok(length)
}

/// A whole response with a small body.
pub fn respond(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}

/// One pkt-line.
pub fn pkt_line(text: &str) -> String {
    format!("{:04x}{text}", text.len() + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_chunked_body() {
        let raw = b"POST /x/git-receive-pack HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        let mut reader = BufReader::new(&raw[..]);
        let req = read_head(&mut reader).unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/x/git-receive-pack");
        let mut body = Vec::new();
        assert_eq!(read_body(&mut reader, &req, &mut body, 100).unwrap(), 5);
        assert_eq!(body, b"abcde");
        let mut reader = BufReader::new(&raw[..]);
        let req = read_head(&mut reader).unwrap();
        assert!(read_body(&mut reader, &req, &mut Vec::new(), 4).is_err());
    }

    #[test]
    fn reads_query_and_length() {
        let raw =
            b"GET /a/info/refs?service=git-upload-pack HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
        let mut reader = BufReader::new(&raw[..]);
        let req = read_head(&mut reader).unwrap();
        assert_eq!(req.query, "service=git-upload-pack");
        let mut body = Vec::new();
        read_body(&mut reader, &req, &mut body, 10).unwrap();
        assert_eq!(body, b"hi");
        assert_eq!(pkt_line("ERR x\n"), "000aERR x\n");
    }
}
