//! A request's body into a private temp file, refused once it is larger than a limit. hyper
//! decodes it (by its length or chunked); this only counts and stores it. The file is removed
//! when dropped, however the request ends: refused, cut short, or the client gone.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;

use hyper::body::{Body as _, Incoming};
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt as _;

/// Why a body was not taken.
#[derive(Debug)]
pub enum Refusal {
    /// More than the limit: by its `Content-Length`, or once that much arrived.
    TooLarge,
    /// hyper could not decode it: a bad chunk, or fewer bytes than its `Content-Length`.
    Malformed(String),
    /// It could not be stored.
    Storing(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooLarge => f.write_str("request body too large"),
            Refusal::Malformed(e) => write!(f, "malformed request body: {e}"),
            Refusal::Storing(e) => write!(f, "storing the request body: {e}"),
        }
    }
}

/// Stores `body` in a new temp file, refusing more than `limit` bytes. Returns the file and the
/// body's length.
pub async fn receive(mut body: Incoming, limit: u64) -> Result<(NamedTempFile, u64), Refusal> {
    // A body whose length is declared is refused before any of it is read.
    if body.size_hint().lower() > limit {
        return Err(Refusal::TooLarge);
    }
    let storing = |e: std::io::Error| Refusal::Storing(e.to_string());
    let file = temp_file(".body").map_err(storing)?;
    let mut out = tokio::fs::File::from_std(file.as_file().try_clone().map_err(storing)?);
    let mut length = 0u64;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| Refusal::Malformed(with_sources(&e)))?;
        // Trailers are dropped, as git sends none.
        if let Ok(data) = frame.into_data() {
            length += data.len() as u64;
            if length > limit {
                return Err(Refusal::TooLarge);
            }
            out.write_all(&data).await.map_err(storing)?;
        }
    }
    out.flush().await.map_err(storing)?;
    Ok((file, length))
}

/// A new empty file in the temp dir (mode 0600, random name ending in `suffix`), removed when
/// dropped.
pub fn temp_file(suffix: &str) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix("gate-")
        .suffix(suffix)
        .tempfile()
}

/// An error and its causes, as hyper's name only the outermost ("error reading a body").
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}
