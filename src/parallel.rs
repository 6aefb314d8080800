//! Independent engine calls run side by side: each engine command is a process that spends
//! most of its life waiting on the engine, so two at once take about as long as one.

/// One piece of work for [`all`].
pub type Job<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs every job on a thread of its own and returns their results in order.
pub fn all<T: Send>(jobs: Vec<Job<'_, T>>) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs.into_iter().map(|job| scope.spawn(job)).collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Runs `a` on this thread and `b` on another; both results.
pub fn both<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let a = a();
        match b.join() {
            Ok(b) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::{all, both, Job};

    #[test]
    fn jobs_run_at_the_same_time_and_results_keep_their_order() {
        // Each job waits for all the others: this only finishes if they run concurrently.
        let barrier = Barrier::new(3);
        let jobs: Vec<Job<'_, usize>> = (0..3usize)
            .map(|i| {
                let barrier = &barrier;
                Box::new(move || {
                    barrier.wait();
                    i
                }) as Box<dyn FnOnce() -> usize + Send>
            })
            .collect();
        assert_eq!(all(jobs), vec![0, 1, 2]);
        let pair = Barrier::new(2);
        let (a, b) = both(|| pair.wait().is_leader(), || pair.wait().is_leader());
        assert!(a != b, "exactly one of the two is the barrier's leader");
    }
}
