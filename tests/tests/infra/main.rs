//! The templates: their parameters, shapes, grants and dashboard metrics against the code, the
//! deploy rehearsal on moto, and the template scan (checkov).

mod metrics;
mod parameters;
mod rehearsal;
mod scan;
mod templates;
