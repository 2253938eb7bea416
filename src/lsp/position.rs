//! Byte offsets to LSP positions and back. LSP counts columns in UTF-16 code units; polc's
//! spans are byte offsets.

use lsp_types::{Position, Range};

/// The start of every line of one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes where the lines of `text` start (0, and after every newline).
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` (clamped to the text, and back to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0).min(offset);
        let column: usize = text
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        Position::new(line as u32, column as u32)
    }

    /// The range from byte `start` to byte `end`, each as [`LineIndex::position`] converts it.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of `pos`: a column past the end of its line is the end of the line, a
    /// line past the end is the end of the text.
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&e| e.saturating_sub(1));
        let line = text.get(start..end.max(start)).unwrap_or("");
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a\n\u{e9}\u{1F600}x\n";
        let ix = LineIndex::new(text);
        // `x` is after a 2-byte and a 4-byte character: column 1 + 2 in UTF-16.
        let x = text.find('x').unwrap_or(0);
        assert_eq!(ix.position(text, x), Position::new(1, 3));
        assert_eq!(ix.offset(text, Position::new(1, 3)), x);
        assert_eq!(ix.offset(text, Position::new(1, 99)), x + 1);
        assert_eq!(ix.offset(text, Position::new(9, 0)), text.len());
        // Inside a character: back to its start.
        assert_eq!(ix.position(text, 4), Position::new(1, 1));
    }
}
