//! Test-only stand-in for pipelock v2.3.0 (see tests/pipelock-double/README.md).

fn main() {}
