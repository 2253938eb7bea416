//! The documents of a session and their analysis. The workspace of a folder is its `.pol`
//! files (recursively), compiled as `polc check` compiles the folder: one policy, or one per
//! subfolder of a folder of policies ([`crate::loader::policy_groups`]); an open file outside
//! every folder is compiled alone. Open documents take the place of their text on disk.
//!
//! Each policy is compiled again only when one of its files changed, through
//! [`crate::incremental`]: only the changed files are parsed again, and an edit of the layout
//! alone (whitespace, plain comments) skips the later stages.

use super::index::Index;
use super::position::LineIndex;
use crate::Compilation;
use crate::diag::{Diagnostic, Severity};
use crate::incremental::{Incremental, Reuse};
use crate::source::{FileId, SourceMap, Span};
use lsp_types::{self as lsp, Url};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

/// One compiled group of files.
pub struct Analysis {
    /// The group's files, numbered as [`FileId`]s in the compilation's source map.
    pub uris: Vec<Url>,
    inc: Incremental,
    /// The symbols of this analysis: declarations and their references.
    pub index: Rc<Index>,
    /// The names completion offers: this index, or while the text has syntax errors (a broken
    /// item is missing from the AST) the names of the last analysis without them.
    pub names: Rc<Index>,
    /// Per file: its line index, to convert spans to LSP positions.
    pub lines: Vec<LineIndex>,
    /// Diagnostics the loader reported per file (not UTF-8, too large): no span to point at.
    pub unreadable: Vec<(Url, Diagnostic)>,
    /// The outcome of each test last run on this analysis, by file and test name. A new
    /// analysis (any edit) starts without marks: they belong to the text they ran on.
    pub marks: BTreeMap<(FileId, String), TestMark>,
    /// The levels of the project's `polc.toml` (the nearest at or above the policy's folder),
    /// applied with the inline allows to what is published, as `polc check` applies them.
    pub severities: crate::diag::config::Severities,
}

/// What the code lens of a test shows after it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct TestMark {
    /// Whether every assertion passed.
    pub passed: bool,
    /// How many assertions ran.
    pub assertions: usize,
    /// Each failed step: where it is written and a one-line account.
    pub failures: Vec<(Span, String)>,
}

impl Analysis {
    /// The compilation of the group's files.
    pub fn compilation(&self) -> &Compilation {
        self.inc.compilation()
    }

    /// Compiles the later stages again if a layout-only edit carried them over, so that the
    /// policy's locations (in test explanations) are the current text's.
    pub fn make_exact(&mut self) {
        if !self.inc.is_exact() {
            let inc = std::mem::replace(&mut self.inc, Incremental::new(SourceMap::new()));
            self.inc = inc.recheck();
        }
    }

    /// The number of the file `uri` in this group.
    pub fn file_of(&self, uri: &Url) -> Option<FileId> {
        self.uris
            .iter()
            .position(|u| u == uri)
            .map(|i| FileId(i as u32))
    }

    /// The text of `file` as compiled.
    pub fn text(&self, file: FileId) -> &str {
        self.compilation()
            .sources
            .get(file)
            .map_or("", |f| f.text.as_str())
    }

    /// The URI of `file`.
    pub fn uri(&self, file: FileId) -> Option<&Url> {
        self.uris.get(file.0 as usize)
    }

    /// The LSP range (UTF-16 columns) of `span`.
    pub fn range(&self, span: Span) -> lsp::Range {
        match self.lines.get(span.file.0 as usize) {
            Some(ix) => ix.range(self.text(span.file), span.start as usize, span.end as usize),
            None => lsp::Range::default(),
        }
    }

    /// The LSP location of `span` (`None` when its file is not in the group).
    pub fn location(&self, span: Span) -> Option<lsp::Location> {
        Some(lsp::Location::new(
            self.uri(span.file)?.clone(),
            self.range(span),
        ))
    }

    /// The byte offset of the LSP position `pos` in `file` (clamped to the text).
    pub fn offset(&self, file: FileId, pos: lsp::Position) -> usize {
        self.lines
            .get(file.0 as usize)
            .map_or(0, |ix| ix.offset(self.text(file), pos))
    }

    /// The LSP diagnostics of every file of the group: those `polc check` reports, after the
    /// project's levels and the inline allows (`// polc: allow W0107`).
    pub fn diagnostics(&self) -> BTreeMap<Url, Vec<lsp::Diagnostic>> {
        let mut out: BTreeMap<Url, Vec<lsp::Diagnostic>> =
            self.uris.iter().map(|u| (u.clone(), Vec::new())).collect();
        let c = self.compilation();
        let shown = crate::diag::config::apply(c.diagnostics.clone(), &self.severities, &c.sources);
        for d in &shown {
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

/// One policy of the workspace: a folder's files (or a subfolder's, in a folder of
/// policies), or a lone file.
struct Project {
    /// The workspace folder (names in diagnostics are relative to it); none for a lone file.
    root: Option<PathBuf>,
    /// The folders whose files make up the policy: the root, or one subfolder of it.
    paths: Vec<PathBuf>,
    /// The lone file of a project without a root.
    lone: Option<Url>,
    analysis: Option<Analysis>,
    dirty: bool,
}

impl Project {
    fn holds(&self, path: &Path) -> bool {
        self.paths.iter().any(|p| path.starts_with(p))
    }
}

/// The editor's workspace: its folders, the open documents and the policies they make up,
/// each compiled again when one of its files changes.
#[derive(Default)]
pub struct Workspace {
    projects: Vec<Project>,
    /// The workspace folders.
    roots: Vec<PathBuf>,
    /// Open documents: their text as the editor has it.
    open: BTreeMap<Url, String>,
    /// The `.pol` files of the folders as read from disk (or why they could not be read).
    disk: BTreeMap<Url, Result<String, Diagnostic>>,
    /// What was last published, so that an unchanged file is not sent again.
    published: BTreeMap<Url, Vec<lsp::Diagnostic>>,
    /// The client accepts `workspace/codeLens/refresh` (sent after tests ran).
    pub lens_refresh: bool,
    /// What the last refresh did, per policy compiled: its first file's name and the reuse.
    pub last: Vec<(String, Reuse, std::time::Duration)>,
}

/// The levels of the `polc.toml` nearest the project's folder (for a file outside the
/// workspace folders, the file's own folder); none when there is no file, and none (with a
/// line in the server's log) when it cannot be read.
fn project_severities(p: &Project) -> crate::diag::config::Severities {
    use crate::diag::config::{find_project_file, parse_project_file};
    let dir = match (&p.root, &p.lone) {
        (Some(root), _) => Some(root.clone()),
        (None, Some(u)) => u
            .to_file_path()
            .ok()
            .and_then(|f| f.parent().map(Path::to_path_buf)),
        (None, None) => None,
    };
    let Some(file) = dir.as_deref().and_then(find_project_file) else {
        return crate::diag::config::Severities::default();
    };
    let name = file.display().to_string();
    let parsed = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read `{name}`: {e}"))
        .and_then(|text| parse_project_file(&text, &name));
    match parsed {
        Ok(config) => config.severities,
        Err(e) => {
            eprintln!("polc lsp: {e}; its levels are not applied");
            crate::diag::config::Severities::default()
        }
    }
}

fn url_of(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

impl Workspace {
    /// A workspace over the folders `roots`, their `.pol` files read from disk.
    pub fn new(roots: Vec<PathBuf>) -> Workspace {
        let mut w = Workspace::default();
        for root in roots {
            w.scan(&root);
            w.roots.push(root.clone());
            w.group(&root);
        }
        w
    }

    /// Splits a folder into its policies (the rule of `polc check`), as it is on disk.
    fn group(&mut self, root: &Path) {
        self.projects.retain(|p| p.root.as_deref() != Some(root));
        for paths in crate::loader::policy_groups(&[root.to_path_buf()], &[]) {
            self.projects.push(Project {
                root: Some(root.to_path_buf()),
                paths,
                lone: None,
                analysis: None,
                dirty: true,
            });
        }
    }

    /// Splits a folder again when its split changed; lone projects of files that a policy of
    /// the folder now holds go.
    fn regroup(&mut self, root: &Path) {
        let before: Vec<&Vec<PathBuf>> = self
            .projects
            .iter()
            .filter(|p| p.root.as_deref() == Some(root))
            .map(|p| &p.paths)
            .collect();
        let after = crate::loader::policy_groups(&[root.to_path_buf()], &[]);
        if before.len() == after.len() && before.iter().zip(&after).all(|(b, a)| *b == a) {
            return;
        }
        self.group(root);
        let held: Vec<bool> = self
            .projects
            .iter()
            .map(|p| p.lone.as_ref().is_some_and(|u| self.root_of(u).is_some()))
            .collect();
        let mut k = 0;
        self.projects.retain(|_| {
            k += 1;
            !held[k - 1]
        });
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

    /// The workspace folder `uri` is in.
    fn folder_of(&self, uri: &Url) -> Option<&PathBuf> {
        let path = uri.to_file_path().ok()?;
        self.roots.iter().find(|r| path.starts_with(r))
    }

    /// The policy of a workspace folder that holds `uri`.
    fn root_of(&self, uri: &Url) -> Option<usize> {
        let path = uri.to_file_path().ok()?;
        self.projects
            .iter()
            .position(|p| p.root.is_some() && p.holds(&path))
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
                        paths: Vec::new(),
                        lone: Some(uri.clone()),
                        analysis: None,
                        dirty: true,
                    });
                }
            }
        }
    }

    /// A document opened in the editor: its text replaces the disk's until it is closed.
    pub fn open(&mut self, uri: Url, text: String) {
        self.open.insert(uri.clone(), text);
        self.touch(&uri);
    }

    /// An edit: the document's whole new text (full sync).
    pub fn change(&mut self, uri: &Url, text: String) {
        self.open.insert(uri.clone(), text);
        self.touch(uri);
    }

    /// A closed document is read from disk again (or leaves, outside the folders' policies).
    pub fn close(&mut self, uri: &Url) {
        self.open.remove(uri);
        self.reload(uri);
        if self.root_of(uri).is_none() {
            self.projects.retain(|p| p.lone.as_ref() != Some(uri));
            self.published.remove(uri);
        }
    }

    /// A file changed on disk (saved, created, deleted). A file that comes or goes may change
    /// how its folder splits into policies: the folder is split again.
    pub fn reload(&mut self, uri: &Url) {
        if let Some(root) = self.folder_of(uri).cloned()
            && let Ok(path) = uri.to_file_path()
        {
            let was = self.disk.contains_key(uri);
            if path.is_file() {
                self.disk.insert(uri.clone(), Self::read(&path));
            } else {
                self.disk.remove(uri);
            }
            if was != self.disk.contains_key(uri) {
                self.regroup(&root);
            }
        }
        self.touch(uri);
    }
    /// Whether some policy must be compiled again before it is asked about.
    pub fn is_dirty(&self) -> bool {
        self.projects.iter().any(|p| p.dirty)
    }

    /// The text of `uri` as the editor or the disk has it now.
    fn current(&self, uri: &Url) -> Option<&str> {
        match self.open.get(uri) {
            Some(t) => Some(t),
            None => self.disk.get(uri)?.as_ref().ok().map(String::as_str),
        }
    }

    /// The last analysis of `uri` was made on its current text: a request about it can be
    /// answered without compiling first (other files may have pending edits).
    pub fn is_current(&self, uri: &Url) -> bool {
        self.find(uri)
            .is_some_and(|(a, f)| self.current(uri) == Some(a.text(f)))
    }

    /// Compiles the projects that changed; returns the diagnostics to publish (files whose
    /// diagnostics changed, an empty list for a file that has none any more or that no policy
    /// holds any more).
    pub fn refresh(&mut self) -> Vec<(Url, Vec<lsp::Diagnostic>)> {
        self.last.clear();
        let mut fresh: BTreeMap<Url, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for i in 0..self.projects.len() {
            if !self.projects[i].dirty {
                continue;
            }
            let started = Instant::now();
            let prev = self.projects[i].analysis.take();
            let (analysis, reuse) = self.analyse(i, prev);
            fresh.extend(analysis.diagnostics());
            let name = analysis
                .compilation()
                .sources
                .files()
                .next()
                .map(|(_, f)| f.name.clone())
                .unwrap_or_default();
            self.projects[i].analysis = Some(analysis);
            self.projects[i].dirty = false;
            self.last.push((name, reuse, started.elapsed()));
        }
        let held: BTreeSet<&Url> = self
            .projects
            .iter()
            .filter_map(|p| p.analysis.as_ref())
            .flat_map(|a| a.uris.iter().chain(a.unreadable.iter().map(|(u, _)| u)))
            .collect();
        let orphans: Vec<Url> = self
            .published
            .keys()
            .filter(|u| !held.contains(u) && !fresh.contains_key(*u))
            .cloned()
            .collect();
        for u in orphans {
            fresh.insert(u, Vec::new());
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

    /// Compiles project `i` again, from its last analysis `prev`.
    fn analyse(&self, i: usize, prev: Option<Analysis>) -> (Analysis, Reuse) {
        let p = &self.projects[i];
        let mut texts: BTreeMap<Url, Result<String, Diagnostic>> = BTreeMap::new();
        match (&p.root, &p.lone) {
            (Some(_), _) => {
                let under = |u: &Url| u.to_file_path().is_ok_and(|f| p.holds(&f));
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
        // The line tables of unchanged files are kept.
        let mut kept: BTreeMap<&Url, LineIndex> = BTreeMap::new();
        let (inc, reuse, names) = match prev {
            Some(prev) => {
                let Analysis {
                    uris: old_uris,
                    inc,
                    names,
                    lines,
                    ..
                } = prev;
                for (k, (u, ix)) in old_uris.iter().zip(lines).enumerate() {
                    let old_text = inc.compilation().sources.get(FileId(k as u32));
                    let new_at = uris.iter().position(|n| n == u);
                    if let (Some(o), Some(n)) = (old_text, new_at)
                        && sources
                            .get(FileId(n as u32))
                            .is_some_and(|f| f.text == o.text)
                    {
                        kept.insert(&uris[n], ix);
                    }
                }
                let (inc, reuse) = inc.update(sources);
                (inc, reuse, Some(names))
            }
            None => {
                let n = sources.files().count();
                let reuse = Reuse {
                    parsed: n,
                    kept: 0,
                    checked: true,
                };
                (Incremental::new(sources), reuse, None)
            }
        };
        let compilation = inc.compilation();
        let index = Rc::new(Index::new(&compilation.files, |s| {
            compilation.sources.slice(s).to_string()
        }));
        let lines = compilation
            .sources
            .files()
            .zip(&uris)
            .map(|((_, f), u)| kept.remove(u).unwrap_or_else(|| LineIndex::new(&f.text)))
            .collect();
        // While the text has syntax errors, completion offers the names of the last analysis.
        let broken = compilation
            .diagnostics
            .iter()
            .any(|d| d.code == crate::diag::Code::E0101);
        let names = match names {
            Some(old) if broken => old,
            _ => index.clone(),
        };
        let analysis = Analysis {
            uris,
            inc,
            names,
            index,
            lines,
            unreadable,
            marks: BTreeMap::new(),
            severities: project_severities(p),
        };
        (analysis, reuse)
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
