//! `polc graph`: the resolved role graph as Graphviz `dot` or Mermaid text.
//!
//! A cluster per resource type with its roles; an edge per `includes` and per `from` (labelled
//! by its relation path, dashed and labelled `default` for `default from`). Every edge points
//! from the role held to the role it gives. A role's label lists its effective permissions
//! (after includes), abbreviated when long.

use crate::compiled::{Policy, RoleId, TypeId};

/// The output format of `polc graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Permissions shown in a role's label before `+N more`.
const SHOWN_PERMISSIONS: usize = 6;

/// One role of the drawing.
struct RoleNode<'p> {
    ty: TypeId,
    role: RoleId,
    name: &'p str,
    permissions: Vec<&'p str>,
}

enum EdgeKind {
    Includes,
    From { path: String, default: bool },
}

struct Edge {
    from: (TypeId, RoleId),
    to: (TypeId, RoleId),
    kind: EdgeKind,
}

/// The graph of `policy`, restricted to the resource type `resource` and the roles linked to
/// its roles when given. `Err` names an unknown type.
pub fn render(
    policy: &Policy,
    format: GraphFormat,
    resource: Option<&str>,
) -> Result<String, String> {
    let focus = match resource {
        None => None,
        Some(name) => Some(policy.type_id(name).ok_or_else(|| {
            let names: Vec<&str> = policy.types.iter().map(|t| t.name.as_str()).collect();
            format!(
                "the policy has no type `{name}` (its types: {})",
                names.join(", ")
            )
        })?),
    };
    let mut edges = Vec::new();
    for (ti, t) in policy.types.iter().enumerate() {
        let ty = TypeId(ti as u32);
        for (ri, r) in t.roles.iter().enumerate() {
            let role = RoleId(ri as u32);
            for inc in &r.includes {
                edges.push(Edge {
                    from: (ty, role),
                    to: (ty, *inc),
                    kind: EdgeKind::Includes,
                });
            }
            for f in &r.from {
                edges.push(Edge {
                    from: (f.target, f.role),
                    to: (ty, role),
                    kind: EdgeKind::From {
                        path: f.path_text.clone(),
                        default: f.default,
                    },
                });
            }
        }
    }
    let shown = |n: (TypeId, RoleId)| -> bool {
        match focus {
            None => true,
            Some(f) => {
                n.0 == f
                    || edges
                        .iter()
                        .any(|e| (e.from == n && e.to.0 == f) || (e.to == n && e.from.0 == f))
            }
        }
    };
    let mut clusters: Vec<(&str, Vec<RoleNode<'_>>)> = Vec::new();
    for (ti, t) in policy.types.iter().enumerate() {
        let ty = TypeId(ti as u32);
        let roles: Vec<RoleNode<'_>> = t
            .roles
            .iter()
            .enumerate()
            .filter(|(ri, _)| shown((ty, RoleId(*ri as u32))))
            .map(|(ri, r)| RoleNode {
                ty,
                role: RoleId(ri as u32),
                name: &r.name,
                permissions: r
                    .effective
                    .iter()
                    .map(|p| t.permissions[p.index()].name.as_str())
                    .collect(),
            })
            .collect();
        if !roles.is_empty() {
            clusters.push((&t.name, roles));
        }
    }
    let keep: Vec<bool> = edges
        .iter()
        .map(|e| match focus {
            None => true,
            Some(f) => (e.from.0 == f || e.to.0 == f) && shown(e.from) && shown(e.to),
        })
        .collect();
    let edges: Vec<Edge> = edges
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect();
    Ok(match format {
        GraphFormat::Dot => dot(policy, &clusters, &edges),
        GraphFormat::Mermaid => mermaid(policy, &clusters, &edges),
    })
}

/// The effective permissions of a role, a few per line, `+N more` past [`SHOWN_PERMISSIONS`].
fn permission_lines(perms: &[&str]) -> Vec<String> {
    if perms.is_empty() {
        return vec!["(no permissions)".into()];
    }
    let mut lines = Vec::new();
    for chunk in perms
        .iter()
        .take(SHOWN_PERMISSIONS)
        .collect::<Vec<_>>()
        .chunks(2)
    {
        let names: Vec<&str> = chunk.iter().map(|s| **s).collect();
        lines.push(names.join(", "));
    }
    if perms.len() > SHOWN_PERMISSIONS {
        lines.push(format!("+{} more", perms.len() - SHOWN_PERMISSIONS));
    }
    lines
}

fn node_id(policy: &Policy, n: (TypeId, RoleId)) -> String {
    let t = policy.ty(n.0);
    format!("{}__{}", t.name, t.roles[n.1.index()].name)
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(policy: &Policy, clusters: &[(&str, Vec<RoleNode<'_>>)], edges: &[Edge]) -> String {
    let mut out = String::from("digraph roles {\n");
    // Bottom-to-top ranks: roles that give others sit below them. Under `BT`, Graphviz puts a
    // cluster label with `labelloc=b` at the top.
    out.push_str("  rankdir=BT;\n  newrank=true;\n  nodesep=0.4;\n  ranksep=0.7;\n");
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f7f7f7\", fontname=\"Helvetica\", fontsize=10];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (name, roles) in clusters {
        out.push_str(&format!("  subgraph \"cluster_{}\" {{\n", dot_escape(name)));
        out.push_str(&format!(
            "    label=\"{}\";\n    labelloc=b;\n    fontname=\"Helvetica-Bold\";\n    style=rounded;\n    color=\"#888888\";\n",
            dot_escape(name)
        ));
        for r in roles {
            let mut label = format!("<b>{}</b>", html_escape(r.name));
            for l in permission_lines(&r.permissions) {
                label.push_str(&format!(
                    "<br/><font point-size=\"8\">{}</font>",
                    html_escape(&l)
                ));
            }
            out.push_str(&format!(
                "    \"{}\" [label=<{label}>];\n",
                node_id(policy, (r.ty, r.role))
            ));
        }
        out.push_str("  }\n");
    }
    for e in edges {
        let attrs = match &e.kind {
            EdgeKind::Includes => "label=\"includes\", color=\"#555555\"".to_string(),
            EdgeKind::From {
                path,
                default: false,
            } => format!(
                "label=\"from {}\", color=\"#1f5fa8\", fontcolor=\"#1f5fa8\"",
                dot_escape(path)
            ),
            EdgeKind::From {
                path,
                default: true,
            } => format!(
                "label=\"default from {}\", style=dashed, color=\"#b35900\", fontcolor=\"#b35900\"",
                dot_escape(path)
            ),
        };
        out.push_str(&format!(
            "  \"{}\" -> \"{}\" [{attrs}];\n",
            node_id(policy, e.from),
            node_id(policy, e.to)
        ));
    }
    out.push_str("}\n");
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn mermaid(policy: &Policy, clusters: &[(&str, Vec<RoleNode<'_>>)], edges: &[Edge]) -> String {
    let mut out = String::from("flowchart BT\n");
    for (name, roles) in clusters {
        out.push_str(&format!("  subgraph {name}\n"));
        for r in roles {
            let mut label = format!("<b>{}</b>", r.name);
            for l in permission_lines(&r.permissions) {
                label.push_str(&format!("<br/><small>{l}</small>"));
            }
            out.push_str(&format!(
                "    {}[\"{}\"]\n",
                node_id(policy, (r.ty, r.role)),
                label.replace('"', "#quot;")
            ));
        }
        out.push_str("  end\n");
    }
    for e in edges {
        let arrow = match &e.kind {
            EdgeKind::Includes => "-->|includes|".to_string(),
            EdgeKind::From {
                path,
                default: false,
            } => format!("-->|from {path}|"),
            EdgeKind::From {
                path,
                default: true,
            } => format!("-.->|default from {path}|"),
        };
        out.push_str(&format!(
            "  {} {arrow} {}\n",
            node_id(policy, e.from),
            node_id(policy, e.to)
        ));
    }
    out
}
