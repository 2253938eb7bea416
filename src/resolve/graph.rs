//! The role graph: a node per (type, role), `includes` edges within a type and `from` edges
//! across relations. A generic piece: it knows nothing of diagnostics; it finds `includes`
//! cycles and renders itself.

use crate::compiled::{RoleId, TypeId};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::{FxHashMap, FxHashSet};

/// A node of the role graph: one role of one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleNode {
    /// The resource type that declares the role.
    pub ty: TypeId,
    /// The role, numbered within `ty`.
    pub role: RoleId,
}

/// An edge of the role graph, from the role held to the role it gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleEdge {
    /// The source role includes the target role.
    Includes,
    /// Holders of the source role (on the entity at `path`) hold the target role.
    From {
        /// The relation path as written (`organization`, `folder.parent`).
        path: String,
        /// A `default from` edge (only for actors without an assignment of their own).
        default: bool,
    },
}

/// An `includes` cycle: the roles on it, in order (each includes the next, the last the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeCycle(pub Vec<RoleNode>);

/// The role graph of a policy (`polc graph` draws it; `includes` cycles are found on it).
#[derive(Clone, Debug, Default)]
pub struct RoleGraph {
    /// The graph itself: one node per (type, role) that an edge touches or that was added.
    pub graph: DiGraph<RoleNode, RoleEdge>,
    index: FxHashMap<(TypeId, RoleId), NodeIndex>,
}

impl RoleGraph {
    /// The node of `role` on `ty`, added on first use.
    pub fn node(&mut self, ty: TypeId, role: RoleId) -> NodeIndex {
        *self
            .index
            .entry((ty, role))
            .or_insert_with(|| self.graph.add_node(RoleNode { ty, role }))
    }

    /// `from` (on `ty`) includes `to` (on `ty`).
    pub fn add_include(&mut self, ty: TypeId, from: RoleId, to: RoleId) {
        let (a, b) = (self.node(ty, from), self.node(ty, to));
        self.graph.add_edge(a, b, RoleEdge::Includes);
    }

    /// `source` (on `source_ty`) gives `role` (on `ty`).
    pub fn add_from(
        &mut self,
        source_ty: TypeId,
        source: RoleId,
        ty: TypeId,
        role: RoleId,
        path: String,
        default: bool,
    ) {
        let (a, b) = (self.node(source_ty, source), self.node(ty, role));
        self.graph.add_edge(a, b, RoleEdge::From { path, default });
    }

    /// Every cycle of `includes` edges, each once, in a stable order.
    pub fn include_cycles(&self) -> Vec<IncludeCycle> {
        // Without recursion: an include chain may be as deep as the policy is long.
        let (comp, order) = crate::compiled::scc::components(self.graph.node_count(), |i| {
            self.graph
                .edges(NodeIndex::new(i))
                .filter(|e| *e.weight() == RoleEdge::Includes)
                .map(|e| e.target().index())
                .collect()
        });
        let mut sccs: Vec<Vec<NodeIndex>> = vec![Vec::new(); order.len()];
        for (i, &c) in comp.iter().enumerate() {
            sccs[c].push(NodeIndex::new(i));
        }
        let mut cycles = Vec::new();
        for scc in sccs {
            let self_loop = scc.len() == 1
                && self
                    .graph
                    .edges_connecting(scc[0], scc[0])
                    .any(|e| *e.weight() == RoleEdge::Includes);
            if scc.len() > 1 || self_loop {
                cycles.push(IncludeCycle(self.order_cycle(&scc)));
            }
        }
        cycles.sort_by_key(|c| c.0.first().map(|n| (n.ty, n.role)));
        cycles
    }

    /// Orders the members of a strongly connected component along include edges, starting at the
    /// lowest role, so the message reads `a includes b includes c includes a`.
    fn order_cycle(&self, scc: &[NodeIndex]) -> Vec<RoleNode> {
        let Some(&start) = scc
            .iter()
            .min_by_key(|n| (self.graph[**n].ty, self.graph[**n].role))
        else {
            return Vec::new();
        };
        // Sets rather than scans of `scc` and `order`: a cycle may be thousands of roles long.
        let members: FxHashSet<NodeIndex> = scc.iter().copied().collect();
        let mut placed: FxHashSet<NodeIndex> = FxHashSet::default();
        placed.insert(start);
        let mut order = vec![start];
        let mut cur = start;
        while order.len() < scc.len() {
            let next = self
                .graph
                .edges_directed(cur, petgraph::Direction::Outgoing)
                .filter(|e| *e.weight() == RoleEdge::Includes)
                .map(|e| e.target())
                .filter(|t| members.contains(t) && !placed.contains(t))
                .min_by_key(|n| self.graph[*n].role);
            match next {
                Some(n) => {
                    order.push(n);
                    placed.insert(n);
                    cur = n;
                }
                None => break,
            }
        }
        // Members the walk did not reach (a component with several cycles) still belong in it.
        let mut rest: Vec<_> = scc
            .iter()
            .filter(|n| !placed.contains(n))
            .copied()
            .collect();
        rest.sort_by_key(|n| self.graph[*n].role);
        order.extend(rest);
        order.into_iter().map(|n| self.graph[n].clone()).collect()
    }
}
