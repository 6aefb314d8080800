//! Growing a bottle's egress policy safely: what its proxy allowed and refused ([`usage`], and
//! each event as a line in [`audit`]), the
//! lock a learn run writes for review ([`lockfile`], [`learn`]), and changing a running
//! bottle's allowlist ([`live`]).

pub mod audit;
pub mod learn;
pub mod live;
pub mod lockfile;
pub mod usage;
