//! Review tools over policies: `fmt` (canonical layout), `graph` (the resolved role graph as
//! Graphviz or Mermaid), `diff` (the semantic difference between two versions).

pub mod diff;
// TODO(issue 13): document; src/tools/fmt.rs is being split by another branch.
#[allow(missing_docs)]
pub mod fmt;
pub mod graph;
