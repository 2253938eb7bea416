//! Stage 2, resolve: AST -> compiled [`Policy`]. Names, types, the role graph, and the checks and
//! lints of docs/language.md, "Diagnostics". Every problem is reported; the policy is built only when there
//! is no error.

mod collect;
mod graph;
mod lints;
mod members;
mod roles;
mod rules;
mod sealed;
mod typeck;

pub use graph::{IncludeCycle, RoleEdge, RoleGraph, RoleNode};
pub use rules::pattern_matches;

use crate::compiled::{self, ContextField, Kind, Location, Policy, Rule, TypeDef, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Ident, Item};
use rustc_hash::FxHashMap;

/// What resolving a set of files produced.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The compiled policy, when there was no error.
    pub policy: Option<Policy>,
    /// The role graph, partial when there were errors.
    pub graph: RoleGraph,
    /// Every error and warning of resolving, type-checking and the policy lints.
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves parsed files (one policy) into a compiled policy.
pub fn resolve(files: &[ast::File], sources: &SourceMap) -> Resolved {
    let mut r = Resolver::new(sources);
    r.collect(files);
    r.resolve_members();
    r.resolve_roles();
    r.resolve_assigns();
    r.resolve_context();
    r.resolve_rules();
    r.check_sealed_permits();
    r.check_blocks(files);
    // Lints on a policy with errors mostly repeat the errors (a grant that failed to resolve
    // leaves its role granting nothing): they wait until the errors are fixed.
    if !r.diags.iter().any(Diagnostic::is_error) {
        lints::run(&mut r, files);
    }
    r.finish()
}

/// A direct grant as written: the permission, where, and whether it was an exact name.
pub(crate) type GrantSpan = (compiled::PermId, Span, bool);

/// A role being built: its first declaration, and every item from it and from `extend` blocks.
pub(crate) struct RoleBuild<'a> {
    pub decl: &'a ast::RoleDecl,
    /// Items with whether they came from an `extend` block.
    pub items: Vec<(&'a ast::RoleItem, bool)>,
    /// Where `sealed` was written, if it was.
    pub sealed: Option<Span>,
    /// The patterns of `sealed except ...`: what an `extend` may still grant.
    pub except: Vec<String>,
}

/// A type being built.
pub(crate) struct TypeBuild<'a> {
    pub name: &'a Ident,
    pub kind: Kind,
    pub doc: Option<String>,
    pub relations: Vec<&'a ast::RelationDecl>,
    pub attributes: Vec<&'a ast::AttributeDecl>,
    pub permissions: Vec<(&'a Ident, Option<String>)>,
    /// `permissions P, ... assigns R, ...;`: each permission with the roles it assigns.
    pub assigns: Vec<(&'a Ident, &'a [Ident])>,
    pub roles: Vec<RoleBuild<'a>>,
    pub rules: Vec<&'a ast::RuleDecl>,
    pub separations: Vec<&'a ast::SeparateDecl>,
}

pub(crate) struct Resolver<'a> {
    pub sources: &'a SourceMap,
    pub diags: Vec<Diagnostic>,
    pub builds: Vec<TypeBuild<'a>>,
    pub type_index: FxHashMap<&'a str, TypeId>,
    pub context_decls: Vec<&'a ast::AttributeDecl>,
    /// The fields of every `action { ... }` block.
    pub action_decls: Vec<&'a ast::AttributeDecl>,
    /// The compiled types, filled in step by step.
    pub types: Vec<TypeDef>,
    pub context: Vec<ContextField>,
    /// The declared action properties (`action { ... }`).
    pub action: Vec<ContextField>,
    pub rules: Vec<Rule>,
    /// AST of each compiled rule, for lints.
    pub rule_decls: Vec<&'a ast::RuleDecl>,
    pub graph: RoleGraph,
    /// Roles named in conditions (`principal is R on ...`), for the unused-role lint.
    pub roles_used_in_rules: Vec<(TypeId, compiled::RoleId)>,
    /// Spans of each role's direct grants and includes, for lints.
    pub grant_spans: FxHashMap<(TypeId, compiled::RoleId), Vec<GrantSpan>>,
    /// Relations whose target type is unknown (already reported): what walks them is not
    /// reported again.
    pub broken_relations: Vec<(TypeId, compiled::RelId)>,
    /// The actor types, once computed (see `typeck`).
    pub actor_types: Option<Vec<TypeId>>,
    /// Attributes whose type is unknown (already reported).
    pub broken_attributes: Vec<(TypeId, compiled::AttrId)>,
    /// Permissions declared in `extend` blocks, by type and name, with where.
    pub extended_permissions: FxHashMap<(TypeId, String), Span>,
    /// Spans of the grant patterns and include names written in `extend` blocks.
    pub extend_spans: rustc_hash::FxHashSet<Span>,
    /// Includes written in `extend` blocks: (type, role, included role, span).
    pub extend_includes: Vec<(TypeId, compiled::RoleId, compiled::RoleId, Span)>,
    /// Warnings found while type-checking conditions, reported with the lints (only when the
    /// policy has no errors).
    pub condition_warnings: Vec<Diagnostic>,
    /// Each role's number by type and name (its place in `builds[ty].roles`, which is its
    /// `RoleId`): a lookup by name is one hash probe, not a scan of the type's roles (a type
    /// of 10,000 roles once took seconds to resolve).
    pub role_index: FxHashMap<(TypeId, &'a str), compiled::RoleId>,
}

impl<'a> Resolver<'a> {
    fn new(sources: &'a SourceMap) -> Resolver<'a> {
        Resolver {
            sources,
            diags: Vec::new(),
            builds: Vec::new(),
            type_index: FxHashMap::default(),
            context_decls: Vec::new(),
            action_decls: Vec::new(),
            types: Vec::new(),
            context: Vec::new(),
            action: Vec::new(),
            rules: Vec::new(),
            rule_decls: Vec::new(),
            graph: RoleGraph::default(),
            roles_used_in_rules: Vec::new(),
            grant_spans: FxHashMap::default(),
            broken_relations: Vec::new(),
            broken_attributes: Vec::new(),
            actor_types: None,
            extended_permissions: FxHashMap::default(),
            extend_spans: rustc_hash::FxHashSet::default(),
            extend_includes: Vec::new(),
            condition_warnings: Vec::new(),
            role_index: FxHashMap::default(),
        }
    }

    pub fn location(&self, span: Span) -> Location {
        let lc = self.sources.line_col(span);
        Location {
            file: self.sources.name(span.file).to_string(),
            line: lc.line,
            column: lc.column,
        }
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Looks a type up, reporting `E0201` with a suggestion when it is unknown.
    pub fn lookup_type(&mut self, name: &Ident) -> Option<TypeId> {
        if let Some(id) = self.type_index.get(name.name.as_str()) {
            return Some(*id);
        }
        let mut d = Diagnostic::new(Code::E0201, format!("unknown type `{}`", name.name))
            .primary(name.span, "no actor or resource has this name");
        let names: Vec<&str> = self.builds.iter().map(|b| b.name.name.as_str()).collect();
        d = match did_you_mean(&name.name, names.iter().copied()) {
            Some(h) => d.help(h),
            None => d.help("declare it with `resource NAME { ... }` or `actor NAME;`"),
        };
        self.error(d);
        None
    }

    // --- facts blocks and tests ----------------------------------------------------------------

    /// Names of `facts` blocks and tests: duplicates, and `use` of unknown blocks.
    fn check_blocks(&mut self, files: &[ast::File]) {
        let mut facts: FxHashMap<&str, Span> = FxHashMap::default();
        let mut tests: FxHashMap<&str, Span> = FxHashMap::default();
        for item in files.iter().flat_map(|f| &f.items) {
            match item {
                Item::Facts(b) => {
                    if let Some(prev) = facts.insert(&b.name.name, b.name.span) {
                        let d = Diagnostic::new(
                            Code::E0206,
                            format!("facts block `{}` is declared twice", b.name.name),
                        )
                        .primary(b.name.span, "declared again here")
                        .secondary(prev, "first declared here");
                        self.error(d);
                    }
                }
                Item::Test(t) => {
                    if let Some(prev) = tests.insert(&t.name.value, t.name.span) {
                        let d = Diagnostic::new(
                            Code::E0206,
                            format!("test \"{}\" is declared twice", t.name.value),
                        )
                        .primary(t.name.span, "declared again here")
                        .secondary(prev, "first declared here")
                        .help("test names identify failures: give each test its own name");
                        self.error(d);
                    }
                }
                _ => {}
            }
        }
        for item in files.iter().flat_map(|f| &f.items) {
            let Item::Test(t) = item else { continue };
            for step in &t.steps {
                let ast::TestStep::Use(name) = step else {
                    continue;
                };
                if !facts.contains_key(name.name.as_str()) {
                    let mut d = Diagnostic::new(
                        Code::E0207,
                        format!("no facts block is named `{}`", name.name),
                    )
                    .primary(name.span, "unknown facts block");
                    d = match did_you_mean(&name.name, facts.keys().copied()) {
                        Some(h) => d.help(h),
                        None => d.help(format!("declare it with `facts {} {{ ... }}`", name.name)),
                    };
                    self.error(d);
                }
            }
        }
    }

    fn finish(mut self) -> Resolved {
        let has_errors = self.diags.iter().any(Diagnostic::is_error);
        self.diags
            .sort_by_key(|d| (d.span().map(|s| (s.file, s.start)), d.code));
        let policy = if has_errors {
            None
        } else {
            let mut types = std::mem::take(&mut self.types);
            let plans = compiled::plan::build(&mut types);
            Some(
                Policy::new(
                    types,
                    std::mem::take(&mut self.context),
                    std::mem::take(&mut self.rules),
                    plans,
                )
                .with_action(std::mem::take(&mut self.action)),
            )
        };
        Resolved {
            policy,
            graph: self.graph,
            diagnostics: self.diags,
        }
    }
}
