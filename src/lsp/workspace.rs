//! The documents of a session and their analysis. The workspace of a folder is its `.pol`
//! files (recursively), compiled together as `polc check` does; an open file outside every
//! folder is compiled alone. Open documents take the place of their text on disk.

use super::index::Index;
use super::position::LineIndex;
use crate::Compilation;
use crate::diag::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap, Span};
use lsp_types::{self as lsp, Url};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One compiled group of files.
pub struct Analysis {
    pub uris: Vec<Url>,
    pub compilation: Compilation,
    pub index: Rc<Index>,
    /// The names completion offers: this index, or while the text has syntax errors (a broken
    /// item is missing from the AST) the names of the last analysis without them.
    pub names: Rc<Index>,
    pub lines: Vec<LineIndex>,
    /// Diagnostics the loader reported per file (not UTF-8, too large): no span to point at.
    pub unreadable: Vec<(Url, Diagnostic)>,
    /// The outcome of each test last run on this analysis, by file and test name. A new
    /// analysis (any edit) starts without marks: they belong to the text they ran on.
    pub marks: BTreeMap<(FileId, String), TestMark>,
}

/// What the code lens of a test shows after it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct TestMark {
    pub passed: bool,
    pub assertions: usize,
    /// Each failed step: where it is written and a one-line account.
    pub failures: Vec<(Span, String)>,
}

impl Analysis {
    pub fn file_of(&self, uri: &Url) -> Option<FileId> {
        self.uris
            .iter()
            .position(|u| u == uri)
            .map(|i| FileId(i as u32))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.compilation
            .sources
            .get(file)
            .map_or("", |f| f.text.as_str())
    }

    pub fn uri(&self, file: FileId) -> Option<&Url> {
        self.uris.get(file.0 as usize)
    }

    pub fn range(&self, span: Span) -> lsp::Range {
        match self.lines.get(span.file.0 as usize) {
            Some(ix) => ix.range(self.text(span.file), span.start as usize, span.end as usize),
            None => lsp::Range::default(),
        }
    }

    pub fn location(&self, span: Span) -> Option<lsp::Location> {
        Some(lsp::Location::new(
            self.uri(span.file)?.clone(),
            self.range(span),
        ))
    }

    pub fn offset(&self, file: FileId, pos: lsp::Position) -> usize {
        self.lines
            .get(file.0 as usize)
            .map_or(0, |ix| ix.offset(self.text(file), pos))
    }

    /// The LSP diagnostics of every file of the group.
    pub fn diagnostics(&self) -> BTreeMap<Url, Vec<lsp::Diagnostic>> {
        let mut out: BTreeMap<Url, Vec<lsp::Diagnostic>> =
            self.uris.iter().map(|u| (u.clone(), Vec::new())).collect();
        for d in &self.compilation.diagnostics {
            let (uri, range) = match d.span().and_then(|s| Some((self.uri(s.file)?, s))) {
                Some((u, s)) => (u.clone(), self.range(s)),
                None => match self.uris.first() {
                    Some(u) => (u.clone(), lsp::Range::default()),
                    None => continue,
                },
            };
            out.entry(uri).or_default().push(self.convert(d, range));
        }
        for (uri, d) in &self.unreadable {
            out.entry(uri.clone())
                .or_default()
                .push(self.convert(d, lsp::Range::default()));
        }
        out
    }

    /// The same code, message, help and labels as `polc check`.
    pub fn convert(&self, d: &Diagnostic, range: lsp::Range) -> lsp::Diagnostic {
        let mut message = d.message.clone();
        if let Some(l) = d.labels.iter().find(|l| l.primary)
            && !l.message.is_empty()
        {
            message.push_str(&format!("\n{}", l.message));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .filter_map(|l| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(l.span)?,
                    message: if l.message.is_empty() {
                        d.message.clone()
                    } else {
                        l.message.clone()
                    },
                })
            })
            .collect();
        lsp::Diagnostic {
            range,
            severity: Some(match d.severity() {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
            code_description: None,
            source: Some("polc".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        }
    }
}

/// What a project reads: its root (none for a lone file) and its files.
struct Project {
    root: Option<PathBuf>,
    /// The lone file of a project without a root.
    lone: Option<Url>,
    analysis: Option<Analysis>,
    dirty: bool,
}

#[derive(Default)]
pub struct Workspace {
    projects: Vec<Project>,
    /// Open documents: their text as the editor has it.
    open: BTreeMap<Url, String>,
    /// The `.pol` files of the folders as read from disk (or why they could not be read).
    disk: BTreeMap<Url, Result<String, Diagnostic>>,
    /// What was last published, so that an unchanged file is not sent again.
    published: BTreeMap<Url, Vec<lsp::Diagnostic>>,
    /// The client accepts `workspace/codeLens/refresh` (sent after tests ran).
    pub lens_refresh: bool,
}

fn url_of(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

impl Workspace {
    pub fn new(roots: Vec<PathBuf>) -> Workspace {
        let mut w = Workspace::default();
        for root in roots {
            w.scan(&root);
            w.projects.push(Project {
                root: Some(root),
                lone: None,
                analysis: None,
                dirty: true,
            });
        }
        w
    }

    /// Reads the `.pol` files below `root` from disk.
    fn scan(&mut self, root: &Path) {
        let Ok(paths) = crate::loader::pol_files(&[root.to_path_buf()]) else {
            return;
        };
        for p in paths {
            if let Some(u) = url_of(&p) {
                let text = Self::read(&p);
                self.disk.insert(u, text);
            }
        }
    }

    fn read(path: &Path) -> Result<String, Diagnostic> {
        let mut sources = SourceMap::new();
        let id = crate::loader::read_file(&mut sources, path)?;
        Ok(sources.get(id).map(|f| f.text.clone()).unwrap_or_default())
    }

    fn root_of(&self, uri: &Url) -> Option<usize> {
        let path = uri.to_file_path().ok()?;
        self.projects
            .iter()
            .position(|p| p.root.as_ref().is_some_and(|r| path.starts_with(r)))
    }

    fn touch(&mut self, uri: &Url) {
        match self.root_of(uri) {
            Some(i) => self.projects[i].dirty = true,
            None => {
                if let Some(p) = self
                    .projects
                    .iter_mut()
                    .find(|p| p.lone.as_ref() == Some(uri))
                {
                    p.dirty = true;
                } else {
                    self.projects.push(Project {
                        root: None,
                        lone: Some(uri.clone()),
                        analysis: None,
                        dirty: true,
                    });
                }
            }
        }
    }

    pub fn open(&mut self, uri: Url, text: String) {
        self.open.insert(uri.clone(), text);
        self.touch(&uri);
    }

    pub fn change(&mut self, uri: &Url, text: String) {
        self.open.insert(uri.clone(), text);
        self.touch(uri);
    }

    /// A closed document is read from disk again (or leaves, outside the folders).
    pub fn close(&mut self, uri: &Url) {
        self.open.remove(uri);
        self.reload(uri);
        if self.root_of(uri).is_none() {
            self.projects.retain(|p| p.lone.as_ref() != Some(uri));
            self.published.remove(uri);
        }
    }

    /// A file changed on disk (saved, created, deleted).
    pub fn reload(&mut self, uri: &Url) {
        if self.root_of(uri).is_some()
            && let Ok(path) = uri.to_file_path()
        {
            if path.is_file() {
                self.disk.insert(uri.clone(), Self::read(&path));
            } else {
                self.disk.remove(uri);
            }
        }
        self.touch(uri);
    }

    pub fn is_dirty(&self) -> bool {
        self.projects.iter().any(|p| p.dirty)
    }

    /// Compiles the projects that changed; returns the diagnostics to publish (files whose
    /// diagnostics changed, an empty list for a file that has none any more).
    pub fn refresh(&mut self) -> Vec<(Url, Vec<lsp::Diagnostic>)> {
        let mut fresh: BTreeMap<Url, Vec<lsp::Diagnostic>> = BTreeMap::new();
        let mut gone: Vec<Url> = Vec::new();
        for i in 0..self.projects.len() {
            if !self.projects[i].dirty {
                continue;
            }
            let old: Vec<Url> = self.projects[i]
                .analysis
                .as_ref()
                .map(|a| a.uris.clone())
                .unwrap_or_default();
            let mut analysis = self.analyse(i);
            if analysis
                .compilation
                .diagnostics
                .iter()
                .any(|d| d.code == crate::diag::Code::E0101)
                && let Some(old) = &self.projects[i].analysis
            {
                analysis.names = old.names.clone();
            }
            fresh.extend(analysis.diagnostics());
            gone.extend(old.into_iter().filter(|u| !analysis.uris.contains(u)));
            self.projects[i].analysis = Some(analysis);
            self.projects[i].dirty = false;
        }
        for u in gone {
            fresh.entry(u).or_default();
        }
        let mut out = Vec::new();
        for (uri, diags) in fresh {
            if self.published.get(&uri) != Some(&diags) {
                self.published.insert(uri.clone(), diags.clone());
                out.push((uri, diags));
            }
        }
        out
    }

    fn analyse(&self, i: usize) -> Analysis {
        let p = &self.projects[i];
        let mut texts: BTreeMap<Url, Result<String, Diagnostic>> = BTreeMap::new();
        match (&p.root, &p.lone) {
            (Some(root), _) => {
                let under = |u: &Url| u.to_file_path().is_ok_and(|f| f.starts_with(root));
                for (u, t) in &self.disk {
                    if under(u) {
                        texts.insert(u.clone(), t.clone());
                    }
                }
                for (u, t) in &self.open {
                    if under(u) {
                        texts.insert(u.clone(), Ok(t.clone()));
                    }
                }
            }
            (None, Some(u)) => {
                if let Some(t) = self.open.get(u) {
                    texts.insert(u.clone(), Ok(t.clone()));
                }
            }
            (None, None) => {}
        }
        let mut sources = SourceMap::new();
        let mut uris = Vec::new();
        let mut unreadable = Vec::new();
        for (u, t) in texts {
            match t {
                Ok(text) => {
                    let name = match (&p.root, u.to_file_path()) {
                        (Some(root), Ok(path)) => path
                            .strip_prefix(root)
                            .map_or(path.clone(), Path::to_path_buf)
                            .display()
                            .to_string(),
                        (None, Ok(path)) => path.display().to_string(),
                        _ => u.to_string(),
                    };
                    sources.add(name, text);
                    uris.push(u);
                }
                Err(d) => unreadable.push((u, d)),
            }
        }
        let compilation = crate::compile_sources(sources);
        let index = Rc::new(Index::new(&compilation.files, |s| {
            compilation.sources.slice(s).to_string()
        }));
        let lines = compilation
            .sources
            .files()
            .map(|(_, f)| LineIndex::new(&f.text))
            .collect();
        Analysis {
            uris,
            compilation,
            names: index.clone(),
            index,
            lines,
            unreadable,
            marks: BTreeMap::new(),
        }
    }

    /// The analysis that holds `uri`, with its file.
    pub fn find(&self, uri: &Url) -> Option<(&Analysis, FileId)> {
        self.projects.iter().find_map(|p| {
            let a = p.analysis.as_ref()?;
            Some((a, a.file_of(uri)?))
        })
    }

    /// The analysis that holds `uri`, with its file, to record test outcomes on.
    pub fn find_mut(&mut self, uri: &Url) -> Option<(&mut Analysis, FileId)> {
        self.projects.iter_mut().find_map(|p| {
            let a = p.analysis.as_mut()?;
            let f = a.file_of(uri)?;
            Some((a, f))
        })
    }

    /// The text of an open document.
    pub fn text(&self, uri: &Url) -> Option<&str> {
        self.open.get(uri).map(String::as_str)
    }
}
