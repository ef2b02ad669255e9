//! The Lambda functions: their handlers against moto, their binaries under an emulated Runtime API, delivery through the send function, and the ports their grants follow from.

mod binaries;
mod delivery;
mod handlers;
mod limits;
mod ports;
mod publish;
