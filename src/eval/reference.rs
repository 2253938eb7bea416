//! The reference evaluator (filled in below).
