//! polc: a policy-as-code engine.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//!
//! `source text -> syntax (parse) -> AST -> resolve -> compiled Policy -> eval`

pub mod diag;
pub mod loader;
pub mod source;
pub mod syntax;

use diag::Diagnostic;
use source::SourceMap;
use std::path::PathBuf;
use syntax::ast;

/// The result of compiling a set of sources: the ASTs, the policy when there were no errors, and
/// every diagnostic of every stage.
#[derive(Debug)]
pub struct Compilation {
    pub sources: SourceMap,
    pub files: Vec<ast::File>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses every file of `sources` and resolves them together into one policy.
pub fn compile_sources(sources: SourceMap) -> Compilation {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.files() {
        let (ast, diags) = syntax::parse_file(id, &file.text);
        files.push(ast);
        diagnostics.extend(diags);
    }
    Compilation {
        sources,
        files,
        diagnostics,
    }
}

/// Reads `.pol` files (folders recursively) and compiles them. I/O errors come back as `Err`.
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compilation, Vec<Diagnostic>> {
    loader::load_paths(paths).map(compile_sources)
}
