//! How often a Ctrl-C that reaches bot-bottle's process group kills an engine call that is
//! just starting, with and without the process chokepoint's fork-and-exec start.
//!
//! Starts `true` again and again as a child in a process group of its own, while a thread keeps
//! sending SIGINT to this program's group, and counts the children that died. Run it as the
//! leader of its own group, with the Ctrl-C handler bot-bottle installs:
//!
//! ```sh
//! cargo build --release -p bot-bottle-engine --example signal_race
//! setsid target/release/examples/signal_race
//! ```

use std::os::unix::process::CommandExt as _;
use std::sync::atomic::{AtomicBool, Ordering};

const ROUNDS: usize = 2000;

/// Tells the signal thread to stop.
static DONE: AtomicBool = AtomicBool::new(false);

fn main() {
    ctrlc::set_handler(|| {}).expect("installing the Ctrl-C handler");
    let me = std::process::id();
    if own_group() != Some(me) {
        eprintln!(
            "signal_race: run me as a process group leader: setsid {}",
            arg0()
        );
        std::process::exit(2);
    }
    let sender = std::thread::spawn(move || {
        while !DONE.load(Ordering::Relaxed) {
            let _ = std::process::Command::new("kill")
                .args(["-INT", "--", &format!("-{me}")])
                .process_group(0)
                .status();
        }
    });
    let spawned = (0..ROUNDS)
        .filter(|_| {
            !std::process::Command::new("true")
                .process_group(0)
                .status()
                .expect("starting true")
                .success()
        })
        .count();
    let chokepoint = (0..ROUNDS)
        .filter(|_| {
            engine::process::Command::new("true")
                .run_unchecked()
                .expect("starting true")
                .status
                != 0
        })
        .count();
    DONE.store(true, Ordering::Relaxed);
    sender.join().expect("the signal thread");
    println!("children killed by the group's SIGINT, of {ROUNDS} each:");
    println!("  std's default start (posix_spawn), own process group: {spawned}");
    println!("  engine::process::Command (fork and exec, own group): {chokepoint}");
}

/// This process's process group, field 5 of `/proc/self/stat` (after the command's `(…)`).
fn own_group() -> Option<u32> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

fn arg0() -> String {
    std::env::args().next().unwrap_or_default()
}
