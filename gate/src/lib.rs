//! The git gate's and the key holder's contracts with bot-bottle: the config files bot-bottle
//! writes into the gate container, where the gate finds its credentials, and the key holder's
//! credential file. The servers, the push hook and its credential scanner are the
//! `bot-bottle-gate` binary.

pub mod config;
pub mod keys;
