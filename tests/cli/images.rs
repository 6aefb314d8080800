//! `image build` from the attacker's side: the directory the user runs bot-bottle in (the
//! workspace, usually) is the agent's and a cloned repository's to write, and nothing planted
//! there may steer the host tools an image build runs.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::support::{bot_bottle, stderr_of, Scratch};

/// What the stand-in engine says when asked to build: the build got that far.
const ENGINE_REFUSAL: &str = "stand-in engine: no image builds here";

/// Writes an executable shell script.
fn script(dir: &Scratch, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.write(name, &format!("#!/bin/sh\n{body}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A checkout of the workspace as `image build gate --source` checks it (`Cargo.toml` and
/// `gate/Cargo.toml`), whose gate is a crate with no dependencies: it builds in seconds, where
/// the real gate takes minutes, and goes through the same rustc and cargo calls.
fn stand_in_checkout(dir: &Scratch) {
    dir.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"gate\"]\nresolver = \"2\"\n",
    );
    dir.write(
        "gate/Cargo.toml",
        "[package]\nname = \"bot-bottle-gate\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
    );
    dir.write("gate/src/main.rs", "fn main() {}\n");
}

/// `image build gate --source CHECKOUT` run in `cwd`, with an engine that answers as podman
/// and refuses every build.
fn build_gate_in(
    cwd: &Path,
    checkout: &Path,
    engine: &Path,
    runtime: &Path,
) -> std::process::Output {
    bot_bottle(cwd)
        .env("BOT_BOTTLE_ENGINE", engine)
        .env("BOT_BOTTLE_RUNTIME_DIR", runtime)
        // What the test's own cargo and rustup set would override what is planted.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC")
        .args(["image", "build", "gate", "--source"])
        .arg(checkout)
        .output()
        .unwrap()
}

/// A `.cargo/config.toml` naming a `rustc-wrapper` and a `rust-toolchain.toml` naming a
/// toolchain that does not exist, planted where the user runs `image build gate`: neither
/// reaches cargo or rustc. The wrapper would leave a marker and fail; the toolchain would fail
/// `rustc -vV`. The build runs to the engine, whose refusal is the only error.
#[test]
fn config_planted_in_the_current_directory_steers_no_host_tool() {
    let checkout = Scratch::new("image-checkout");
    stand_in_checkout(&checkout);
    let tools = Scratch::new("image-tools");
    let engine = script(
        &tools,
        "engine",
        &format!(
            "case \"$1\" in --version) echo 'podman version 5.0.0' ;; *) echo '{ENGINE_REFUSAL}' >&2; exit 1 ;; esac\n"
        ),
    );
    let runtime = tools.path().join("runtime");
    for plant in ["wrapper", "toolchain", "both"] {
        let cwd = Scratch::new(&format!("image-cwd-{plant}"));
        let marker = cwd.path().join("wrapper-ran");
        if plant != "toolchain" {
            let wrapper = script(
                &cwd,
                "wrapper",
                &format!("touch '{}'\nexit 1\n", marker.display()),
            );
            cwd.write(
                ".cargo/config.toml",
                &format!("[build]\nrustc-wrapper = {:?}\n", wrapper.to_str().unwrap()),
            );
        }
        if plant != "wrapper" {
            cwd.write(
                "rust-toolchain.toml",
                "[toolchain]\nchannel = \"bb-planted-no-such-toolchain\"\n",
            );
        }
        let out = build_gate_in(cwd.path(), checkout.path(), &engine, &runtime);
        let err = stderr_of(&out);
        assert!(
            !marker.exists(),
            "{plant}: the planted rustc-wrapper ran: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{plant}: {err}");
        assert!(
            err.contains(ENGINE_REFUSAL) && err.contains("bot-bottle-gate (release, static"),
            "{plant}: the build did not get to the engine: {err}"
        );
        assert!(
            !err.contains("bb-planted-no-such-toolchain") && !err.contains("rustc-wrapper"),
            "{plant}: {err}"
        );
    }
}
