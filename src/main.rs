//! bot-bottle: runs an AI coding agent in a container whose only way out is a pipelock sidecar.

fn main() {}
