//! bot-bottle: runs an AI coding agent in a container whose only way out is a pipelock sidecar.
//!
//! The library holds everything; the binary (`main.rs`) only parses the command line, runs it
//! and maps the error chain to an exit code. Where things live:
//! - [`manifest`] reads `bottle.toml`; [`plan`] turns it into a [`plan::Plan`] with no side
//!   effect (what `start --dry-run` prints);
//! - [`bottle`] owns a bottle's identity (slug, resource names, labels), its local state
//!   (stage, lock, launch record), finding bottles on an engine, and removing them;
//! - [`login`] keeps the user's Anthropic credentials on the host, for the key holder;
//! - [`launch`] carries out a plan; [`usecase`] holds what each command does, with its rules
//!   (approval, missing images, launch), apart from the terminal; [`cli`] holds one thin
//!   adapter per command (its arguments, the terminal's questions, the output);
//! - the `engine` crate drives docker or podman.

pub mod agents;
pub mod allowlist;
pub mod approval;
pub mod atomic_file;
pub mod bottle;
pub mod ca;
pub mod cli;
pub mod defaults;
pub mod doctor;
pub mod exit;
pub mod gitwatch;
pub mod hostfile;
pub mod images;
pub mod kube;
pub mod launch;
pub mod login;
pub mod manifest;
pub mod parallel;
pub mod plan;
pub mod policy;
pub mod provision;
pub mod proxy_config;
pub mod record;
pub mod signals;
pub mod timing;
pub mod usecase;
pub mod userconfig;
pub mod userdirs;
