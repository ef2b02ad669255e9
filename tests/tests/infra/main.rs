//! The templates: their parameters, shapes and grants against the code, and the deploy rehearsal on moto.

mod parameters;
mod rehearsal;
mod templates;
