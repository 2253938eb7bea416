//! polc: a policy-as-code engine. A policy written in Pol is compiled once into a resolved role
//! graph; requests are then decided against facts (role assignments, relations, attributes) in
//! tens of nanoseconds, and every decision can explain itself.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//!
//! `source text -> syntax (parse) -> AST -> resolve -> compiled Policy -> eval`
//!
//! # A walk through the library
//!
//! **1. Compile** a policy with [`compile_str`] (or [`compile_paths`] for files and folders).
//! Every stage reports all it finds in [`Compilation::diagnostics`]; the policy is there only
//! when none of them is an error.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let compilation = polc::compile_str("policy.pol", r#"
//!     actor user;
//!     resource organization {
//!       permissions manage;
//!       role admin { grants manage; }
//!     }
//!     resource workspace {
//!       relation organization: organization;
//!       permissions view, delete;
//!       role owner { includes viewer; grants delete; from admin on organization; }
//!       role viewer { grants view; }
//!     }
//! "#);
//! assert!(compilation.diagnostics.is_empty());
//! let policy = compilation.policy.ok_or("the policy has errors")?;
//!
//! // 2. Facts: from JSON (a `&str`, a reader or a `serde_json::Value`) or from Pol text,
//! //    checked against the policy. No source map is needed: a diagnostic's spans point into
//! //    the text given (file 0).
//! let mut facts = polc::facts::Facts::from_json(&policy, r#"{
//!     "assignments": [{"actor": "user:alice", "role": "admin", "on": "organization:acme"}],
//!     "relations": [{"from": "workspace:ml", "relation": "organization", "to": "organization:acme"}]
//! }"#).map_err(|d| d[0].clone())?;
//!
//! // 3. A request from names. A `Diagnostic` is a `std::error::Error`, so `?` carries it.
//! use polc::eval::{Context, Explainer, Request, decide, decide_with};
//! let request = Request::new(&policy, &facts, "user:alice", "delete", "workspace:ml")?;
//!
//! // 4. The decision; `decide_with(.., false)` skips the reasons (the fast path).
//! assert!(decide_with(&policy, &facts, &request, false).allowed);
//!
//! // 5. The explanation: `decide` keeps the reasons, the `Explainer` words them.
//! let decision = decide(&policy, &facts, &request);
//! let why = Explainer { policy: &policy, facts: &facts }.reason(&request, &decision.reasons[0]);
//! assert_eq!(
//!     why,
//!     "user:alice is admin on organization:acme -> owner on workspace:ml (from admin on organization) -> grants delete"
//! );
//!
//! // Many requests: resolve the names once, keep one `Request`, and point it at other ids;
//! // neither the clock nor the allocator is touched per decision.
//! let workspace = policy.type_id("workspace").ok_or("no type")?;
//! let view = policy.ty(workspace).permission("view").ok_or("no permission")?;
//! let alice = facts.lookup(policy.type_id("user").ok_or("no type")?, "alice").ok_or("unknown")?;
//! let ml = facts.lookup(workspace, "ml").ok_or("unknown")?;
//! let context = Context::from_facts(&policy, &facts);
//! let mut reused = Request::from_ids(&policy, &facts, alice, view, ml, context)?;
//! assert!(decide_with(&policy, &facts, &reused, false).allowed);
//! reused.set_names(&policy, &facts, "user:alice", "delete", "workspace:ml")?;
//! assert!(decide_with(&policy, &facts, &reused, false).allowed);
//!
//! // 6. Reverse queries: who can delete the workspace?
//! let query = polc::syntax::parse_query(polc::source::FileId(0), "who can delete workspace:ml")?;
//! let context = Context::from_facts(&policy, &facts);
//! let answer = polc::eval::query::run(&policy, &facts, &context, &query)?;
//! assert_eq!(answer.names(), ["user:alice"]);
//!
//! // 7. Incremental fact changes: add facts (checked, all or nothing) and retract them.
//! facts.add_pol(&policy, "user:bob is viewer on workspace:ml;").map_err(|d| d[0].clone())?;
//! let bob_views = Request::new(&policy, &facts, "user:bob", "view", "workspace:ml")?;
//! assert!(decide_with(&policy, &facts, &bob_views, false).allowed);
//! let viewer = policy.ty(workspace).role("viewer").ok_or("no role")?;
//! let bob = bob_views.principal.id.ok_or("unknown")?;
//! assert_eq!(facts.retract(polc::facts::Subject::Actor(bob), viewer, ml), 1);
//! assert!(!decide_with(&policy, &facts, &bob_views, false).allowed);
//! # Ok(())
//! # }
//! ```
//!
//! To show a diagnostic with its source, add the text to a [`source::SourceMap`] and render it
//! with [`diag::render::human`]; `Display` gives the one-line form (`E0203: ...`).
//!
//! # Modules
//!
//! Down the pipeline: [`source`] (texts and spans), [`syntax`] (parse, the AST and the token
//! stream), [`resolve`] (names, types, the role graph, policy lints), [`compiled`] (the
//! [`compiled::Policy`] and its artifact), [`facts`] (the data decisions read: load, check,
//! change, lint), [`eval`] (decisions, explanations, queries, searches). Beside it:
//! [`diag`] (diagnostics and their renderers), [`loader`] (reading files), [`incremental`]
//! (compiling again after an edit), [`testing`] (`polc test`), [`audit`], [`tools`] (`fmt`,
//! `graph`, `diff`), [`repl`], [`entity`], [`time`] and [`duration`] (the one reading of entity
//! references, times and durations). Adapters behind features: `serve` (the AuthZEN server),
//! `store` (fact stores), `lsp` (the language server).
//!
//! # Features
//!
//! All on by default:
//!
//! - `cli`: the `polc` binary and the REPL's line editor (clap, rustyline, terminal_size, and
//!   what only the binary reads: `polc.toml`, `fmt --diff`, `--watch`);
//! - `lsp`: the `lsp` module, the language server (`polc lsp`);
//! - `serve`: the `serve` module, the AuthZEN decision server (tokio, axum, rustls); implies
//!   `store`;
//! - `store`: the `store` module, fact stores; `sqlite`: its SQLite backend (bundled).
//!
//! With `default-features = false` the library has everything else (compile, facts, decisions,
//! queries, tests, audits, tools, the REPL's session logic) and depends on none of those
//! crates.

#![deny(missing_docs)]

pub mod audit;
pub mod compiled;
pub mod diag;
pub mod duration;
pub mod entity;
pub mod eval;
pub mod facts;
pub mod incremental;
pub mod lang;
pub mod lints;
pub mod loader;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod repl;
pub mod resolve;
#[cfg(feature = "serve")]
pub mod serve;
pub mod source;
mod stack;
#[cfg(feature = "store")]
pub mod store;
pub mod syntax;
pub mod testing;
pub mod time;
pub mod tools;

use diag::{Code, Diagnostic};
use source::SourceMap;
use std::path::PathBuf;
use syntax::ast;

/// The result of compiling a set of sources: the ASTs, the policy when there were no errors, and
/// every diagnostic of every stage.
#[derive(Debug)]
pub struct Compilation {
    /// The source texts compiled; every diagnostic's spans point into it.
    pub sources: SourceMap,
    /// The parsed files, one per source file, in the order of `sources` (partial ASTs for files
    /// with syntax errors).
    pub files: Vec<ast::File>,
    /// The compiled policy, when no stage reported an error.
    pub policy: Option<compiled::Policy>,
    /// The resolved role graph (partial when there were errors).
    pub graph: resolve::RoleGraph,
    /// Every error, warning and note of every stage (parse, resolve, static checks of facts
    /// blocks and tests), in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    /// Whether any diagnostic is an error (then [`Compilation::policy`] is `None`).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses every file of `sources` and resolves them together into one policy.
pub fn compile_sources(sources: SourceMap) -> Compilation {
    let ids: Vec<source::FileId> = sources.files().map(|(id, _)| id).collect();
    let unit = compile_unit(&sources, &ids);
    Compilation {
        sources,
        files: unit.files,
        policy: unit.policy,
        graph: unit.graph,
        diagnostics: unit.diagnostics,
    }
}

/// One policy of a folder of policies: its files' ASTs, the policy when it has no error, its
/// role graph and its diagnostics. Its spans point into the collection's shared source map.
#[derive(Debug)]
pub struct Unit {
    /// The paths that make up the policy, as given (`policies/deeploy`).
    pub name: String,
    /// The parsed files of this policy.
    pub files: Vec<ast::File>,
    /// The compiled policy, when none of its diagnostics is an error.
    pub policy: Option<compiled::Policy>,
    /// The resolved role graph (partial when there were errors).
    pub graph: resolve::RoleGraph,
    /// This policy's diagnostics, every stage's.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles the policies `paths` stand for ([`loader::policy_groups`]: each subfolder of a
/// folder of policies alone), every file in one source map. I/O problems stop everything.
pub fn compile_collection(paths: &[PathBuf]) -> Result<(SourceMap, Vec<Unit>), Vec<Diagnostic>> {
    compile_collection_excluding(paths, &[])
}

/// Like [`compile_collection`], leaving out the files the `exclude` globs match
/// ([`loader::pol_files_excluding`]).
pub fn compile_collection_excluding(
    paths: &[PathBuf],
    exclude: &[String],
) -> Result<(SourceMap, Vec<Unit>), Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    for group in loader::policy_groups(paths, exclude) {
        let name = group
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let files = loader::pol_files_excluding(&group, exclude).map_err(|d| vec![d])?;
        let mut ids = Vec::new();
        for f in files {
            match loader::read_file(&mut sources, &f) {
                Ok(id) => ids.push(id),
                Err(d) => errors.push(d),
            }
        }
        groups.push((name, ids));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let units = groups
        .into_iter()
        .map(|(name, ids)| {
            let mut u = compile_unit(&sources, &ids);
            u.name = name;
            u
        })
        .collect();
    Ok((sources, units))
}

/// Parses the files `ids` of `sources` and resolves them together into one policy.
fn compile_unit(sources: &SourceMap, ids: &[source::FileId]) -> Unit {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.files().filter(|(id, _)| ids.contains(id)) {
        let (ast, diags) = syntax::parse_file(id, &file.text);
        files.push(ast);
        diagnostics.extend(diags);
    }
    check_unit(sources, files, diagnostics)
}

/// The stages after parsing: resolves the parsed `files` together (their parse diagnostics in
/// `diagnostics`) and checks facts and tests against the policy. The second half of
/// [`compile_unit`], on its own so that [`incremental`] can reuse the parse of unchanged files.
fn check_unit(
    sources: &SourceMap,
    files: Vec<ast::File>,
    mut diagnostics: Vec<Diagnostic>,
) -> Unit {
    let syntax_ok = !diagnostics.iter().any(Diagnostic::is_error);
    // Resolving type-checks conditions recursively: a deep one gets a large stack, so that a
    // library caller on a small thread stack (a server's worker) compiles it as the CLI does.
    let depth = files
        .iter()
        .map(ast::File::condition_depth)
        .max()
        .unwrap_or(0);
    let resolved = syntax::with_stack(depth / 16, || resolve::resolve(&files, sources))
        .unwrap_or_else(|| resolve::resolve(&files, sources));
    // A broken item is missing from its file: names it declared look unknown elsewhere. While
    // there are syntax errors, "unknown name" errors are held back so they do not pile up on
    // the real problem; they show once the syntax is fixed.
    let unknown_names = [
        Code::E0201,
        Code::E0202,
        Code::E0203,
        Code::E0204,
        Code::E0205,
        Code::E0207,
        Code::E0208,
        Code::E0209,
    ];
    diagnostics.extend(
        resolved
            .diagnostics
            .into_iter()
            .filter(|d| syntax_ok || !unknown_names.contains(&d.code)),
    );
    // A file with syntax errors is missing items: resolving what remains is still worth
    // reporting, but the policy is not built from half a file.
    let policy = if syntax_ok { resolved.policy } else { None };
    // Facts blocks and tests are checked against the policy too: a typo in a test is an error
    // of `polc check`, not a surprise in `polc test`.
    let policy = match policy {
        Some(p) => {
            let problems = testing::check_static(&p, &files);
            let ok = problems.is_empty();
            diagnostics.extend(problems);
            ok.then_some(p)
        }
        None => None,
    };
    Unit {
        name: String::new(),
        files,
        policy,
        graph: resolved.graph,
        diagnostics,
    }
}

/// Compiles one policy given as text (named `name` in diagnostics).
///
/// A policy with errors compiles to no policy, and the diagnostics say why; `Display` gives
/// each in one line:
///
/// ```
/// let c = polc::compile_str("doc.pol", r#"
///     actor user;
///     resource document { permissions view; role reader { grants veiw; } }
/// "#);
/// assert!(c.has_errors() && c.policy.is_none());
/// let error = c.diagnostics.iter().find(|d| d.is_error()).unwrap();
/// assert!(error.to_string().contains("veiw"), "{error}");
/// ```
pub fn compile_str(name: &str, text: &str) -> Compilation {
    let mut sources = SourceMap::new();
    sources.add(name, text);
    compile_sources(sources)
}

/// Reads `.pol` files (folders recursively) and compiles them. I/O errors come back as `Err`.
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compilation, Vec<Diagnostic>> {
    loader::load_paths(paths).map(compile_sources)
}

/// Like [`compile_paths`], leaving out the files the `exclude` globs match
/// ([`loader::pol_files_excluding`]).
pub fn compile_paths_excluding(
    paths: &[PathBuf],
    exclude: &[String],
) -> Result<Compilation, Vec<Diagnostic>> {
    loader::load_paths_excluding(paths, exclude).map(compile_sources)
}

/// A policy ready to answer requests: compiled from sources, or loaded from a compiled artifact
/// (then `files` is empty: tests and facts blocks live in the sources).
#[derive(Debug)]
pub struct Loaded {
    /// The policy, compiled or read from the artifact.
    pub policy: compiled::Policy,
    /// The sources read (the `.pol` files, or the artifact's JSON text).
    pub sources: SourceMap,
    /// The parsed `.pol` files; empty for an artifact.
    pub files: Vec<ast::File>,
    /// Warnings of the compilation.
    pub warnings: Vec<Diagnostic>,
}

/// Loads a policy for evaluation: one `.json` path is a compiled artifact (`polc compile`);
/// anything else is compiled from `.pol` sources. On failure, the diagnostics and the sources
/// they point into.
pub fn load_policy(paths: &[PathBuf]) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    load_policy_verified(paths, None)
}

/// Like [`load_policy`]; with `key`, only a compiled artifact whose signature verifies with the
/// key is accepted (sources carry no signature, so they are refused).
pub fn load_policy_verified(
    paths: &[PathBuf],
    key: Option<&compiled::VerifyingKey>,
) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    let is_artifact = matches!(paths, [path] if path.is_file()
        && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")));
    if let ([path], true) = (paths, is_artifact) {
        let mut sources = SourceMap::new();
        let file = loader::read_file_as(&mut sources, path, loader::Kind::Artifact)
            .map_err(|d| (SourceMap::new(), vec![d]))?;
        let text = sources.get(file).map(|f| f.text.as_str()).unwrap_or("");
        return match compiled::Policy::from_artifact(text, key) {
            Ok(policy) => Ok(Loaded {
                policy,
                sources,
                files: Vec::new(),
                warnings: Vec::new(),
            }),
            Err(e) => {
                let d = Diagnostic::new(e.code(), format!("`{}` is not a usable compiled policy: {e}", path.display()))
                        .help("write artifacts with `polc compile POLICY -o FILE.json` (and `--sign-key`), or pass the `.pol` sources");
                Err((sources, vec![d]))
            }
        };
    }
    if key.is_some() {
        let d = Diagnostic::new(
            diag::Code::E0013,
            "a verifying key was given, but the policy is not one compiled artifact",
        )
        .help("sign an artifact with `polc compile POLICY -o FILE.json --sign-key KEY.pem` and pass `FILE.json`");
        return Err((SourceMap::new(), vec![d]));
    }
    let c = compile_paths(paths).map_err(|d| (SourceMap::new(), d))?;
    match c.policy {
        Some(policy) => Ok(Loaded {
            policy,
            sources: c.sources,
            files: c.files,
            warnings: c.diagnostics,
        }),
        None => Err((c.sources, c.diagnostics)),
    }
}

/// Reads a key file through the loader (size limit, UTF-8) and decodes it with `decode`.
fn read_key<K>(
    path: &std::path::Path,
    decode: fn(&str) -> Result<K, String>,
) -> Result<K, Diagnostic> {
    let mut sources = SourceMap::new();
    let file = loader::read_file(&mut sources, path)?;
    let text = sources.get(file).map(|f| f.text.as_str()).unwrap_or("");
    decode(text).map_err(|e| {
        Diagnostic::new(
            diag::Code::E0018,
            format!("`{}` is not an ed25519 key in PEM: {e}", path.display()),
        )
        .help("make a key pair with `openssl genpkey -algorithm ed25519 -out key.pem` and `openssl pkey -in key.pem -pubout -out key.pub.pem`; sign with `key.pem`, verify with `key.pub.pem`")
    })
}

/// Reads a signing key file: an ed25519 private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
pub fn read_signing_key(path: &std::path::Path) -> Result<compiled::SigningKey, Diagnostic> {
    read_key(path, compiled::artifact::signing_key_from_pem)
}

/// Reads a verifying key file: an ed25519 public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn read_verifying_key(path: &std::path::Path) -> Result<compiled::VerifyingKey, Diagnostic> {
    read_key(path, compiled::artifact::verifying_key_from_pem)
}
