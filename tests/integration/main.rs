//! Integration tests: the library against the in-process fake PVE (`fake-pve`), in one
//! binary.

mod client;
mod config;
mod errors;
mod failover;
mod manager;
mod secrets;
mod stdio;
mod support;
mod tasks;
mod tls;
