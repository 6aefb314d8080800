//! The git gate's contract with bot-bottle: the config file bot-bottle writes into the gate
//! container, where the gate finds its credentials, and the credential scanner its push check
//! uses. The server and the push hook are the `bot-bottle-gate` binary.

pub mod config;
pub mod dlp;
