//! The parser on arbitrary bytes: every entry point of `syntax` on the lossy UTF-8 text, and the
//! loader's UTF-8 check on the raw bytes. None may panic; each returns a result or diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc::source::{FileId, SourceMap};

fuzz_target!(|data: &[u8]| {
    let mut sources = SourceMap::new();
    let _ = polc::loader::add_bytes(&mut sources, "input.pol".into(), data.to_vec());
    let text = String::from_utf8_lossy(data);
    let _ = polc::syntax::tokens::tokenize(&text);
    let _ = polc::syntax::parse_file(FileId(0), &text);
    let _ = polc::syntax::parse_query(FileId(0), &text);
    let _ = polc::syntax::parse_facts(FileId(0), &text);
    let _ = polc::syntax::parse_assertion(FileId(0), &text);
});
