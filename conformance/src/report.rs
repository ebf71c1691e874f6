//! The conformance matrix (`reports/conformance.md`) and its JSON form.
