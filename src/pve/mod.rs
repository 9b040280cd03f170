//! The PVE client.
