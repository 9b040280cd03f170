//! An incremental parser of `text/event-stream` bodies: `event:` and `data:` fields,
//! comments, and events dispatched on a blank line, fed chunk by chunk as they arrive.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `message` when the event had none.
    pub event: String,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
}

/// Parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Feeds a chunk and appends the events it completes to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        self.pending.extend_from_slice(chunk);
        let mut consumed = 0;
        while let Some(newline) = self.pending[consumed..].iter().position(|&b| b == b'\n') {
            let end = consumed + newline;
            let mut line = &self.pending[consumed..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            let line = String::from_utf8_lossy(line).into_owned();
            consumed = end + 1;
            self.line(&line, out);
        }
        self.pending.drain(..consumed);
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take().unwrap_or_else(|| "message".to_owned()),
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event = None;
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(text: &str, piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(piece) {
            parser.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn events_survive_any_chunking() {
        let text = "event: endpoint\ndata: /messages?sessionId=abc\n\n:ping\n\nevent: message\r\ndata: {\"id\":1}\r\n\r\ndata: a\ndata:b\n\n";
        let expected = vec![
            SseEvent { event: "endpoint".into(), data: "/messages?sessionId=abc".into() },
            SseEvent { event: "message".into(), data: "{\"id\":1}".into() },
            SseEvent { event: "message".into(), data: "a\nb".into() },
        ];
        for piece in [1, 2, 3, 7, 1000] {
            assert_eq!(parse_in_pieces(text, piece), expected, "chunks of {piece}");
        }
    }

    #[test]
    fn an_unfinished_event_waits_and_an_event_without_data_is_dropped() {
        let mut parser = SseParser::default();
        let mut out = Vec::new();
        parser.push(b"event: lonely\n\nevent: message\ndata: {}\n", &mut out);
        assert!(out.is_empty());
        parser.push(b"\n", &mut out);
        assert_eq!(out, vec![SseEvent { event: "message".into(), data: "{}".into() }]);
    }
}
