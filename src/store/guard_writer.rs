//! The rollback guard's generation file written on a thread of its own, so that a command does
//! not wait for the guard's two fsyncs (file and directory) before its radio request.
//!
//! The order that makes the guard safe is kept: a record is handed over only after the store's
//! flush of that generation returned, so the guard is never ahead of the store. It may be
//! behind by the records still being written, as it already was between a flush and the
//! guard's write after it; `docs/STORE.md` ("Rollback") says what that leaves open. Only the
//! newest record handed over is written: an older one still waiting is dropped, since a guard
//! only has to remember the newest generation.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::guard::{GuardRecord, RollbackGuard};

/// A thread that writes the newest [`GuardRecord`] handed to it; dropping it writes what is
/// still waiting and joins the thread.
#[derive(Debug)]
pub struct GuardWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// The newest record not yet being written.
    waiting: Option<GuardRecord>,
    /// The newest generation handed over so far.
    newest: Option<u64>,
    /// A record is being written now.
    writing: bool,
    /// The owner is gone: write what waits, then end.
    stop: bool,
}

impl Shared {
    /// The state; a panic on the writer thread (none is expected: errors are logged) leaves
    /// it consistent, since every change is a single assignment.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl GuardWriter {
    /// Starts the thread that writes `guard`.
    pub fn spawn(guard: RollbackGuard) -> std::io::Result<GuardWriter> {
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("sealhub-guard".into())
            .spawn(move || write_until_stopped(&guard, &theirs))?;
        Ok(GuardWriter {
            shared,
            thread: Some(thread),
        })
    }

    /// Hands `record` over to be written; returns at once. A record no newer than one already
    /// handed over is ignored, so the guard never goes back.
    pub fn submit(&self, record: GuardRecord) {
        let mut state = self.shared.lock();
        if state.newest.is_none_or(|n| record.generation > n) {
            state.newest = Some(record.generation);
            state.waiting = Some(record);
            self.shared.changed.notify_all();
        }
    }

    /// Waits until every record handed over is written (or failed and was logged): before a
    /// write of the guard from another path, so an older record cannot land after it.
    pub fn settle(&self) {
        let mut state = self.shared.lock();
        while state.waiting.is_some() || state.writing {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for GuardWriter {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the rollback guard's writer thread panicked");
        }
    }
}

fn write_until_stopped(guard: &RollbackGuard, shared: &Shared) {
    loop {
        let record = {
            let mut state = shared.lock();
            loop {
                if let Some(record) = state.waiting.take() {
                    state.writing = true;
                    break record;
                }
                if state.stop {
                    return;
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        if let Err(e) = guard.record(record) {
            tracing::error!(
                guard = %guard.dir().display(),
                generation = record.generation,
                "could not update the rollback guard: {e}"
            );
        }
        shared.lock().writing = false;
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(generation: u64) -> GuardRecord {
        GuardRecord {
            generation,
            epoch: 3,
        }
    }

    #[test]
    fn settle_returns_once_the_newest_record_is_on_disk() {
        let dir = crate::store::private_tempdir();
        let guard = RollbackGuard::in_dir(dir.path());
        let writer = GuardWriter::spawn(guard.clone()).expect("spawn");
        for generation in 1..=50 {
            writer.submit(record(generation));
        }
        writer.settle();
        assert_eq!(guard.read().expect("read"), Some(record(50)));
    }

    #[test]
    fn an_older_record_never_replaces_a_newer_one() {
        let dir = crate::store::private_tempdir();
        let guard = RollbackGuard::in_dir(dir.path());
        let writer = GuardWriter::spawn(guard.clone()).expect("spawn");
        writer.submit(record(9));
        writer.settle();
        writer.submit(record(4));
        writer.settle();
        assert_eq!(guard.read().expect("read"), Some(record(9)));
    }

    #[test]
    fn dropping_the_writer_writes_what_is_still_waiting() {
        let dir = crate::store::private_tempdir();
        let guard = RollbackGuard::in_dir(dir.path());
        let writer = GuardWriter::spawn(guard.clone()).expect("spawn");
        writer.submit(record(7));
        drop(writer);
        assert_eq!(guard.read().expect("read"), Some(record(7)));
    }
}
