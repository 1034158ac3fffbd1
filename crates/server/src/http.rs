//! The HTTP/1.1 accept loop, with the limits a trusted server needs: a cap on open connections, a deadline for
//! reading request headers (slowloris), header count and size caps, and graceful shutdown that lets requests in
//! flight finish. (axum's own `serve` exposes none of these knobs.)
//!
//! The header deadline is kept by one sweeper per server ([`Deadlines`]), not by hyper's `header_read_timeout`:
//! hyper arms a tokio timer for every request of a keep-alive connection, and with a timer pending each parking
//! worker sleeps in `epoll_wait` with a timeout, which cost ~2.7 µs of the ~11 µs of server CPU of a GET by id
//! (BENCHMARKS.md, issue 16).
//!
//! Each worker thread answers with its own copy of the service ([`Copies`]). The service is a tree of `Arc`s
//! (axum's router, its routes, the state), and every request clones several of them: with one copy, those
//! reference counts lived on cache lines that every worker wrote on every request, and the lines moved between
//! the cores each time.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt as _;

/// Connection-level limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive connection stays
    /// (zero: no limit).
    pub header_read_timeout: Duration,
    /// Headers per request at most (more: 431).
    pub max_headers: usize,
    /// Bytes of request line and headers at most (more: 431).
    pub max_header_bytes: usize,
    /// How long requests in flight get to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            max_headers: 64,
            max_header_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves the service `make` builds (an axum `Router`, [`api::App`], or any such service) on `listener` until
/// `shutdown` completes, then lets the requests in flight finish (for at most `limits.shutdown_grace`). `make` is
/// called once per copy ([`Copies`]): each call should build the service anew, sharing only what must be shared.
pub async fn serve_with<S>(
    listener: TcpListener,
    make: impl Fn() -> S,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    let copies = Copies::new(make);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let deadlines = Deadlines::start(limits.header_read_timeout);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        // The deadline is the sweeper's (above); without a timer hyper keeps none.
        .header_read_timeout(None)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let copies = copies.clone();
        let watched = deadlines.watch();
        let state = Arc::clone(&watched.state);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            // Its headers are in: no deadline until the answer is written.
            state.busy();
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            let router = copies.here();
            let connection = Arc::clone(&state);
            async move {
                let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
                Ok::<_, Infallible>(response.map(|body| Answer { body, connection }))
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::pin!(connection);
            loop {
                tokio::select! {
                    ended = &mut connection => {
                        if let Err(error) = ended {
                            tracing::debug!(%error, %remote, "connection ended with an error");
                        }
                        break;
                    }
                    () = watched.state.cut.notified() => {
                        // Late when the sweeper looked; a request may have come in since.
                        if watched.state.is_late() {
                            tracing::debug!(%remote, "headers not received in time: connection closed");
                            break;
                        }
                    }
                }
            }
            drop(watched);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
    }
    Ok(())
}

/// The copies of a server's service, one per worker thread as far as they go (threads beyond them share).
struct Copies<S>(Arc<[S]>);

impl<S> Clone for Copies<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S: Clone> Copies<S> {
    /// As many copies as the runtime has workers, and a few more for the threads that take a worker's place
    /// while it blocks (`block_in_place`).
    fn new(make: impl Fn() -> S) -> Self {
        let workers = tokio::runtime::Handle::try_current().map_or(1, |runtime| runtime.metrics().num_workers());
        Self((0..workers.clamp(1, 64) * 2).map(|_| make()).collect())
    }

    /// This thread's copy.
    fn here(&self) -> S {
        static THREADS: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            /// This thread's place among those that ever served a request, in the order they first did.
            static INDEX: usize = THREADS.fetch_add(1, Ordering::Relaxed);
        }
        self.0[INDEX.with(|index| *index) % self.0.len()].clone()
    }
}

/// The header deadlines of a server's connections, kept by one sweeper task: every `tick` (a quarter of the limit,
/// between 10 ms and 1 s) it closes the connections that have been waiting for a request's headers for longer
/// than the limit (since they were opened, or since their last answer). A connection notes when a request starts
/// and when its answer is ready with two atomic stores of the sweeper's clock, instead of arming a timer per
/// request. The clock is a tick behind at most, so a connection is closed between one and three ticks past the
/// limit, never before it.
struct Deadlines {
    /// Milliseconds since `epoch`, as of the sweeper's last tick: the clock connections read.
    now: AtomicU64,
    epoch: Instant,
    /// The limit plus a tick, in milliseconds.
    allowed: u64,
    connections: Mutex<HashMap<u64, Arc<Deadline>>>,
    next: AtomicU64,
}

/// One connection's deadline.
struct Deadline {
    /// The sweeper's clock when the connection began waiting for headers; [`BUSY`] while a request runs.
    since: AtomicU64,
    /// Told by the sweeper when `since` is past the limit.
    cut: Notify,
    server: Arc<Deadlines>,
}

const BUSY: u64 = u64::MAX;

/// A connection's registration; dropping it removes the connection from the sweeper's list.
struct Watched {
    id: u64,
    state: Arc<Deadline>,
}

impl Deadlines {
    /// The deadlines of one server, and its sweeper (none when `limit` is zero: connections then wait for ever).
    fn start(limit: Duration) -> Arc<Self> {
        let tick = (limit / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let deadlines = Arc::new(Self {
            now: AtomicU64::new(0),
            epoch: Instant::now(),
            allowed: u64::try_from((limit + tick).as_millis()).unwrap_or(u64::MAX),
            connections: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        });
        if !limit.is_zero() {
            let weak = Arc::downgrade(&deadlines);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(tick);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    let Some(deadlines) = weak.upgrade() else { break };
                    deadlines.sweep();
                }
            });
        }
        deadlines
    }

    fn sweep(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.now.store(now, Ordering::Relaxed);
        let connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        for connection in connections.values() {
            if connection.is_late() {
                connection.cut.notify_one();
            }
        }
    }

    fn watch(self: &Arc<Self>) -> Watched {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(Deadline {
            since: AtomicU64::new(self.now.load(Ordering::Relaxed)),
            cut: Notify::new(),
            server: Arc::clone(self),
        });
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&state));
        Watched { id, state }
    }
}

impl Deadline {
    fn busy(&self) {
        self.since.store(BUSY, Ordering::Relaxed);
    }

    fn waiting(&self) {
        self.since
            .store(self.server.now.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    #[cfg(test)]
    fn is_waiting(&self) -> bool {
        self.since.load(Ordering::Relaxed) != BUSY
    }

    /// Waiting for headers for longer than allowed.
    fn is_late(&self) -> bool {
        let since = self.since.load(Ordering::Relaxed);
        since != BUSY && self.server.now.load(Ordering::Relaxed).saturating_sub(since) > self.server.allowed
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.state
            .server
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// An answer's body that, once hyper drops it (after its last frame is written, or with the connection), starts
/// the connection's wait for the next request's headers: a large answer to a slow reader is not cut off by the
/// header deadline while it is being written.
struct Answer {
    body: axum::body::Body,
    connection: Arc<Deadline>,
}

impl hyper::body::Body for Answer {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.connection.waiting();
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[test]
    fn each_thread_keeps_to_one_copy_and_threads_are_spread_over_the_copies() {
        let made = AtomicUsize::new(0);
        // Outside a runtime: one worker, so two copies.
        let copies = Copies::new(|| Arc::new(made.fetch_add(1, Ordering::Relaxed)));
        assert_eq!(made.load(Ordering::Relaxed), 2);
        let seen: Vec<usize> = (0..8)
            .map(|_| {
                std::thread::scope(|scope| {
                    scope
                        .spawn(|| {
                            let first = copies.here();
                            assert!(Arc::ptr_eq(&first, &copies.here()), "a thread keeps its copy");
                            *first
                        })
                        .join()
                        .unwrap()
                })
            })
            .collect();
        assert!(seen.contains(&0) && seen.contains(&1), "threads got copies {seen:?}");
    }

    #[tokio::test]
    async fn the_wait_for_the_next_headers_starts_when_the_answer_is_dropped_not_when_it_is_made() {
        // A zero limit starts no sweeper: the clock stays where it is, and only the states change.
        let deadlines = Deadlines::start(Duration::ZERO);
        let watched = deadlines.watch();
        let connection = Arc::clone(&watched.state);
        assert!(connection.is_waiting(), "a new connection waits for its first headers");
        connection.busy();
        let mut answer = Answer {
            body: axum::body::Body::from("a large answer"),
            connection: Arc::clone(&connection),
        };
        assert!(!connection.is_waiting());
        // Every byte read, the body still held (by hyper, writing it): still busy.
        let frame = answer.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "a large answer");
        assert!(answer.frame().await.is_none());
        assert!(!connection.is_waiting());
        drop(answer);
        assert!(connection.is_waiting());
        drop(watched);
        assert!(
            deadlines.connections.lock().unwrap().is_empty(),
            "a closed connection is forgotten"
        );
    }
}
