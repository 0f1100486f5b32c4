//! What one client can hold: a connection that makes no progress (it stopped reading our
//! answer, or sends nothing more) is closed after the idle timeout; connections beyond the
//! limit get a fast 503 and are closed; the open-file limit is raised to what the system
//! allows; and accept errors back off instead of spinning and flooding the log.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::gate::warnings::now_ms;
pub use crate::gate::warnings::{REFUSALS_PER_INTERVAL, Throttled, Warnings};

/// A connection's socket that records when bytes last moved, in either direction.
pub struct Watched {
    stream: TcpStream,
    progress: Arc<AtomicU64>,
}

impl Watched {
    /// `stream`, and the clock its watchdog reads.
    pub fn new(stream: TcpStream) -> (Self, Arc<AtomicU64>) {
        let progress = Arc::new(AtomicU64::new(now_ms()));
        (
            Watched {
                stream,
                progress: Arc::clone(&progress),
            },
            progress,
        )
    }

    fn moved(&self) {
        self.progress.store(now_ms(), Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.moved();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Completes once no byte has moved for `idle`: the caller then drops the connection. One
/// coarse timer per connection, not one per read or write.
pub async fn idle_watchdog(progress: Arc<AtomicU64>, idle: Duration) {
    let idle_ms = idle.as_millis() as u64;
    let tick = idle.min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        if now_ms().saturating_sub(progress.load(Ordering::Relaxed)) >= idle_ms {
            return;
        }
    }
}

/// Connections open now, against the limit.
pub struct Limit {
    open: AtomicUsize,
    most: usize,
}

/// One open connection; dropping it frees its place.
pub struct Slot(Arc<Limit>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Limit {
    /// At most `most` connections at once.
    pub fn new(most: usize) -> Arc<Self> {
        Arc::new(Limit {
            open: AtomicUsize::new(0),
            most: most.max(1),
        })
    }

    /// A place for one more connection, unless all are taken.
    pub fn take(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.open.load(Ordering::Relaxed);
        loop {
            if open >= self.most {
                return None;
            }
            match self.open.compare_exchange_weak(
                open,
                open + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(Slot(Arc::clone(self))),
                Err(now) => open = now,
            }
        }
    }
}

/// The answer to a connection beyond the limit: written at once (or not at all, within a
/// second), then the connection is closed.
pub async fn refuse(mut stream: TcpStream) {
    const BODY: &str =
        "{\"success\": false, \"errors\": \"Service temporarily unavailable, please try again.\"}";
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         cache-control: no-store\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// The open-file limit after raising the soft limit to the hard one: `(before, now)`.
#[cfg(target_os = "linux")]
pub fn raise_open_files_limit() -> Option<(u64, u64)> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let before = limit.current?;
    if limit.maximum.is_some_and(|hard| hard > before) {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return Some((before, limit.maximum.unwrap_or(before)));
        }
    }
    Some((before, before))
}

/// The open-file limit: unknown here.
#[cfg(not(target_os = "linux"))]
pub fn raise_open_files_limit() -> Option<(u64, u64)> {
    None
}

/// Accept errors (out of file descriptors, mostly): a growing pause, and one log line per
/// interval with how many there were, instead of one line per failure.
pub struct AcceptErrors {
    pause: Duration,
    since_logged: u64,
    last_log: Option<Instant>,
}

impl Default for AcceptErrors {
    fn default() -> Self {
        AcceptErrors {
            pause: Duration::from_millis(10),
            since_logged: 0,
            last_log: None,
        }
    }
}

impl AcceptErrors {
    /// How long to pause after this error (and log it, at most every 10 s).
    pub fn failed(&mut self, e: &io::Error) -> Duration {
        self.since_logged += 1;
        if self
            .last_log
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(10))
        {
            tracing::warn!(error = %e, failures = self.since_logged, "accept failed; pausing");
            self.since_logged = 0;
            self.last_log = Some(Instant::now());
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(Duration::from_secs(1));
        pause
    }

    /// An accept worked: the next error pauses briefly again.
    pub fn succeeded(&mut self) {
        self.pause = Duration::from_millis(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_frees_a_place_when_a_connection_ends() {
        let limit = Limit::new(2);
        let a = limit.take().expect("one");
        let _b = limit.take().expect("two");
        assert!(limit.take().is_none());
        drop(a);
        assert!(limit.take().is_some());
    }

    #[test]
    fn accept_errors_back_off_up_to_a_second() {
        let mut errors = AcceptErrors::default();
        let e = io::Error::other("EMFILE");
        let pauses: Vec<Duration> = (0..10).map(|_| errors.failed(&e)).collect();
        assert_eq!(pauses[0], Duration::from_millis(10));
        assert!(pauses.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*pauses.last().expect("ten"), Duration::from_secs(1));
        errors.succeeded();
        assert_eq!(errors.failed(&e), Duration::from_millis(10));
    }
}
