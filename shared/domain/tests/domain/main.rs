//! The domain's rules, without any adapter: addresses as pasted, the invitation lifecycle,
//! tokens and cursors, privileges, and the emails.

mod addresses;
mod emails;
mod lifecycle;
mod privileges;
mod stored_forms;
