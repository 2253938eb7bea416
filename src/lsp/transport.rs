//! JSON-RPC over stdio with `Content-Length` framing. lsp-server's own stdio transport stops
//! reading at the first malformed payload; this one reports it and keeps reading, so hostile
//! input never ends the session.

use lsp_server::Message;
use serde_json::json;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::Sender;

/// The largest message body accepted (a document of the loader's size limit, JSON-escaped).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// What the reader hands to the main loop.
#[derive(Debug)]
pub enum Incoming {
    /// A JSON-RPC request, response or notification.
    Message(Message),
    /// A body that is not a JSON-RPC message: answered with a parse error, then skipped.
    Malformed(String),
    /// Standard input is closed.
    Closed,
}

/// Reads framed messages from `input` until it closes, sending each to `tx`.
pub fn read_loop(mut input: impl BufRead, tx: Sender<Incoming>) {
    loop {
        let next = match read_one(&mut input) {
            Ok(Some(body)) => match serde_json::from_slice::<Message>(&body) {
                Ok(m) => Incoming::Message(m),
                Err(e) => Incoming::Malformed(format!("malformed message: {e}")),
            },
            Ok(None) => {
                let _ = tx.send(Incoming::Closed);
                return;
            }
            Err(Frame::Bad(why)) => Incoming::Malformed(why),
            Err(Frame::Io) => {
                let _ = tx.send(Incoming::Closed);
                return;
            }
        };
        let exit =
            matches!(&next, Incoming::Message(Message::Notification(n)) if n.method == "exit");
        if tx.send(next).is_err() || exit {
            return;
        }
    }
}

enum Frame {
    /// A bad header or body: reported, and reading goes on with the next header.
    Bad(String),
    Io,
}

/// One body, `None` at the end of the input.
fn read_one(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, Frame> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(8192)
            .read_until(b'\n', &mut line)
            .map_err(|_| Frame::Io)?;
        if n == 0 {
            return if saw_header { Err(Frame::Io) } else { Ok(None) };
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
            if length.is_none() {
                return Err(Frame::Bad(format!(
                    "bad `Content-Length` header: `{}`",
                    value.trim()
                )));
            }
        }
    }
    let Some(length) = length else {
        return Err(Frame::Bad(
            "a message without a `Content-Length` header".into(),
        ));
    };
    if length > MAX_BODY_BYTES {
        // Read and drop it, so the next header is found where it starts.
        std::io::copy(
            &mut input.by_ref().take(length as u64),
            &mut std::io::sink(),
        )
        .map_err(|_| Frame::Io)?;
        return Err(Frame::Bad(format!(
            "a message of {length} bytes, more than the limit of {MAX_BODY_BYTES}"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|_| Frame::Io)?;
    Ok(Some(body))
}

/// Writes one message to `out`.
pub fn write(out: &mut impl Write, message: &Message) -> std::io::Result<()> {
    message.write(out)
}

/// The JSON-RPC answer to a body that could not be read (its id is unknown: `null`).
pub fn write_parse_error(out: &mut impl Write, why: &str) -> std::io::Result<()> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": why },
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        read_loop(std::io::Cursor::new(input.as_bytes().to_vec()), tx);
        rx.try_iter()
            .map(|m| match m {
                Incoming::Message(m) => format!("{m:?}").chars().take(20).collect(),
                Incoming::Malformed(w) => format!("bad: {w}"),
                Incoming::Closed => "closed".into(),
            })
            .collect()
    }

    #[test]
    fn a_bad_message_is_reported_and_the_next_one_read() {
        let ok = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 3\r\n\r\n{{x}}Content-Length: abc\r\n\r\nContent-Length: {}\r\n\r\n{ok}",
            ok.len()
        );
        let got = frames(&input);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].starts_with("bad: malformed message"), "{got:?}");
        assert!(got[1].starts_with("bad: bad `Content-Length`"), "{got:?}");
        assert!(got[2].starts_with("Notification"), "{got:?}");
        assert_eq!(got[3], "closed");
    }
}
