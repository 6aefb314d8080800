//! Ctrl-C, SIGTERM and SIGHUP during a launch: remember that they happened, unblock whatever
//! the launch is waiting on, and let the launch tear down and exit 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use crate::exit::Interrupted;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();
/// What to do on a signal besides setting the flag, e.g. remove the agent container so that
/// an attached `exec` returns.
static UNBLOCK: Mutex<Option<Box<dyn Fn() + Send>>> = Mutex::new(None);

/// Installs the handler (once per process). Child engine commands keep running to completion;
/// the launch checks [`check`] between steps.
pub fn install() -> anyhow::Result<()> {
    let mut result = Ok(());
    INSTALL.call_once(|| {
        result = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            if let Some(unblock) = UNBLOCK
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
            {
                unblock();
            }
        });
    });
    result.map_err(|e| anyhow::anyhow!("installing the Ctrl-C/SIGTERM handler: {e}"))
}

/// Has a signal arrived?
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a signal has arrived.
pub fn check() -> Result<(), Interrupted> {
    if interrupted() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Runs `f` with `unblock` armed: a signal during `f` calls it (from the signal thread).
pub fn while_unblockable<T>(unblock: Box<dyn Fn() + Send>, f: impl FnOnce() -> T) -> T {
    *UNBLOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(unblock);
    let result = f();
    *UNBLOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    result
}
