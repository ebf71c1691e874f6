//! Conformance scenarios and backends (issue 7 builds it).
//!
//! This crate is a placeholder in the workspace layout of DESIGN.md §2; it has no code
//! yet and nothing depends on it.
#![forbid(unsafe_code)]
