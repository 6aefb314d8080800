//! The git gate's contract with bot-bottle: the config file bot-bottle writes into the gate
//! container and where the gate finds its credentials. The server, the push hook and its
//! credential scanner are the `bot-bottle-gate` binary.

pub mod config;
