//! Password hashing with a bounded capacity, shared by every request of a process.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::metrics::Metrics;
use crate::auth::{HashRunner, Overloaded};

/// Runs password hashes on the blocking pool: a bounded number at once, within a bounded
/// amount of memory (a planted Argon2 or scrypt hash asks for a lot).
pub struct ServerRunner {
    slots: Arc<Semaphore>,
    /// The memory budget, one permit per KiB.
    memory: Arc<Semaphore>,
    memory_kib: u32,
    wait: Duration,
    metrics: Arc<Metrics>,
}

impl ServerRunner {
    /// `slots` hashes at once, together taking at most `memory` bytes, waiting at most `wait`
    /// for a slot and the memory.
    pub fn new(slots: usize, memory: u64, wait: Duration, metrics: Arc<Metrics>) -> Self {
        let memory_kib = u32::try_from(memory / 1024).unwrap_or(u32::MAX).max(1);
        ServerRunner {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            memory: Arc::new(Semaphore::new(memory_kib as usize)),
            memory_kib,
            wait,
            metrics,
        }
    }
}

impl HashRunner for ServerRunner {
    async fn run<T, F>(&self, memory: u64, work: F) -> Result<T, Overloaded>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        // A hash larger than the whole budget runs alone.
        let kib = u32::try_from(memory.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.memory_kib);
        let acquire = async {
            let memory = Arc::clone(&self.memory).acquire_many_owned(kib).await?;
            let slot = Arc::clone(&self.slots).acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>((memory, slot))
        };
        let Ok(Ok(slot)) = tokio::time::timeout(self.wait, acquire).await else {
            self.metrics.hash_rejected();
            return Err(Overloaded);
        };
        let metrics = Arc::clone(&self.metrics);
        tokio::task::spawn_blocking(move || {
            let _timer = metrics.hash_started();
            let result = work();
            drop(slot);
            result
        })
        .await
        .map_err(|_| Overloaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_in_flight_stay_within_the_memory_budget() {
        let metrics = Arc::new(Metrics::default());
        // Four slots, but memory for one 80 MiB hash at a time.
        let runner = Arc::new(ServerRunner::new(
            4,
            100 << 20,
            Duration::from_millis(200),
            Arc::clone(&metrics),
        ));
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let first = {
            let (runner, started, release) = (
                Arc::clone(&runner),
                Arc::clone(&started),
                Arc::clone(&release),
            );
            tokio::spawn(async move {
                runner
                    .run(80 << 20, move || {
                        started.notify_one();
                        release.wait();
                    })
                    .await
            })
        };
        started.notified().await;
        // A second big hash finds no memory within the wait; a small one still runs.
        assert_eq!(runner.run(80 << 20, || ()).await, Err(Overloaded));
        assert_eq!(runner.run(64 << 10, || 7).await, Ok(7));
        release.wait();
        assert_eq!(first.await.expect("joins"), Ok(()));
        assert_eq!(runner.run(80 << 20, || 8).await, Ok(8));
        // Larger than the whole budget: runs alone rather than never.
        assert_eq!(runner.run(10 << 30, || 9).await, Ok(9));
    }
}
