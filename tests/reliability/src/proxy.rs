//! A TCP proxy between clients and the emulator that drops, stalls and resets connections at
//! random, and can be re-pointed at a restarted emulator.
//!
//! It runs on its own thread and runtime, so its tasks never count as the clients' tasks and a
//! slow client cannot slow the faults. TLS passes through untouched (the clients still verify
//! the emulator's certificate for `localhost`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How often and how hard each connection is hit.
#[derive(Clone, Copy, Debug)]
pub struct Chaos {
    /// Time between two faults on one connection: uniform in this range.
    pub interval: (Duration, Duration),
    /// How long a stall holds the bytes: uniform in this range.
    pub stall: (Duration, Duration),
}

/// Faults injected so far, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Connections accepted.
    pub connections: u64,
    /// Connections closed cleanly (FIN) on both sides.
    pub drops: u64,
    /// Connections whose bytes were held back for a while.
    pub stalls: u64,
    /// Connections reset (RST) on both sides.
    pub resets: u64,
}

impl FaultCounts {
    /// Drops, stalls and resets together.
    pub fn total(&self) -> u64 {
        self.drops + self.stalls + self.resets
    }
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    drops: AtomicU64,
    stalls: AtomicU64,
    resets: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    upstream: Mutex<SocketAddr>,
    chaos: Mutex<Option<Chaos>>,
    counters: Counters,
    seed: u64,
}

/// The proxy; stops (closing every connection) when dropped.
#[derive(Debug)]
pub struct ChaosProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ChaosProxy {
    /// Listens on a free loopback port and forwards to `upstream`, without faults until
    /// [`Self::set_chaos`]. Connection `n` draws its faults from `seed + n`.
    ///
    /// # Panics
    /// When no port or thread is available.
    pub fn start(upstream: SocketAddr, seed: u64) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("a local address");
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            chaos: Mutex::new(None),
            counters: Counters::default(),
            seed,
        });
        let (stop, stopped) = oneshot::channel();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("chaos-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    tokio::select! {
                        () = accept_loop(listener, thread_shared) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime drops every connection task, closing its sockets.
            })
            .expect("a proxy thread");
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where new connections go from now on (e.g. a restarted emulator's port).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Starts (`Some`) or stops (`None`) injecting faults; a stall under way runs out.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        *lock(&self.shared.chaos) = chaos;
    }

    /// Faults injected so far.
    pub fn counts(&self) -> FaultCounts {
        let c = &self.shared.counters;
        FaultCounts {
            connections: c.connections.load(Ordering::Relaxed),
            drops: c.drops.load(Ordering::Relaxed),
            stalls: c.stalls.load(Ordering::Relaxed),
            resets: c.resets.load(Ordering::Relaxed),
        }
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let number = shared.counters.connections.fetch_add(1, Ordering::Relaxed);
        let rng = StdRng::seed_from_u64(shared.seed.wrapping_add(number));
        tokio::spawn(relay(client, shared.clone(), rng));
    }
}

enum Fault {
    Drop,
    Reset,
}

/// Forwards both ways until either side closes or a drop/reset fault ends the connection.
async fn relay(mut client: TcpStream, shared: Arc<Shared>, mut rng: StdRng) {
    let upstream = *lock(&shared.upstream);
    let mut server =
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(upstream)).await {
            Ok(Ok(server)) => server,
            // The emulator is down (being restarted): the client sees its connection close.
            _ => return,
        };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    // Bytes already read are held until this instant: a stall.
    let stall_until = Mutex::new(Instant::now());
    let fault = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        tokio::select! {
            () = pump(client_read, server_write, &stall_until) => None,
            () = pump(server_read, client_write, &stall_until) => None,
            fault = chaos(&shared, &mut rng, &stall_until) => Some(fault),
        }
    };
    match fault {
        Some(Fault::Drop) => {
            let _ = client.shutdown().await;
            let _ = server.shutdown().await;
        }
        Some(Fault::Reset) => {
            // Zero linger: closing sends RST instead of FIN.
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
        }
        None => {}
    }
}

async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    stall_until: &Mutex<Instant>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        loop {
            let until = *lock(stall_until);
            if until <= Instant::now() {
                break;
            }
            tokio::time::sleep_until(until).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Waits out random intervals; stalls in place, returns a drop or reset to end the connection.
async fn chaos(shared: &Shared, rng: &mut StdRng, stall_until: &Mutex<Instant>) -> Fault {
    loop {
        let Some(plan) = *lock(&shared.chaos) else {
            // Faults are off: look again shortly (they may be switched on).
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        tokio::time::sleep(rng.random_range(plan.interval.0..=plan.interval.1)).await;
        if lock(&shared.chaos).is_none() {
            continue;
        }
        let counters = &shared.counters;
        match rng.random_range(0..3u8) {
            0 => {
                counters.drops.fetch_add(1, Ordering::Relaxed);
                return Fault::Drop;
            }
            1 => {
                counters.resets.fetch_add(1, Ordering::Relaxed);
                return Fault::Reset;
            }
            _ => {
                let hold = rng.random_range(plan.stall.0..=plan.stall.1);
                *lock(stall_until) = Instant::now() + hold;
                counters.stalls.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
