//! The Lambda functions: their handlers against moto, their binaries under an emulated Runtime
//! API, delivery through the send function, the ports their grants follow from, and the roots
//! their HTTPS client trusts.

mod binaries;
mod delivery;
mod handlers;
mod limits;
mod ports;
mod publish;
mod trust;
