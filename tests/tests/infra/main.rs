//! The templates: their parameters, shapes and grants against the code, the deploy rehearsal on
//! moto, and the template scan (checkov).

mod parameters;
mod rehearsal;
mod scan;
mod templates;
