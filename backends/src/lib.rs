//! The one place that drives a container engine: the [`Engine`] trait and its docker and podman CLI drivers.
