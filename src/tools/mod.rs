//! Review tools over policies: `fmt` (canonical layout), `graph` (the resolved role graph as
//! Graphviz or Mermaid), `diff` (the semantic difference between two versions).

pub mod diff;
pub mod fmt;
pub mod graph;
