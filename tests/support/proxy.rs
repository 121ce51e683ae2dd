//! A loopback TCP proxy between Kafka clients and the test broker, for faults the broker
//! itself cannot produce: [`Proxy::cut`] makes the broker unreachable (every open connection
//! is reset and new ones are reset at once) until [`Proxy::restore`]; [`Proxy::reset`] resets
//! every open connection once (a request in flight, e.g. mid-transaction, fails) and lets
//! clients reconnect.
//!
//! The broker advertises the proxy's address (see [`crate::support::TestBroker::start_behind_proxy`]),
//! so every connection a client opens after bootstrap goes through the proxy as well. Each
//! connection is two copying threads; a reset closes both sockets with `SO_LINGER` 0, so the
//! client sees a TCP reset, as when a broker or a network path goes away.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running proxy; stops accepting and resets every connection when dropped.
pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    /// While set, the broker is unreachable: new connections are reset on accept.
    cut: AtomicBool,
    stopping: AtomicBool,
    /// Both sockets of every live connection (client side, broker side), by connection id.
    live: Mutex<Vec<(u64, TcpStream, TcpStream)>>,
    next_id: AtomicU64,
    accepted: AtomicU64,
    resets: AtomicU64,
}

impl Proxy {
    /// Listens on `listener` (bound by the caller, so the broker can be told the address
    /// first) and forwards every connection to `upstream`.
    pub fn start(listener: TcpListener, upstream: SocketAddr) -> Proxy {
        let address = listener.local_addr().expect("proxy listener address");
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("proxy-{}", address.port()))
                .spawn(move || accept_loop(&listener, upstream, &shared))
                .expect("spawning the proxy's accept thread")
        };
        Proxy {
            address,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// A loopback listener on a free port, for [`Proxy::start`].
    pub fn bind() -> TcpListener {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding the proxy's port")
    }

    /// `host:port` clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Makes the broker unreachable until [`Proxy::restore`]: resets every connection, and
    /// every new one as soon as it is accepted.
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        self.reset();
    }

    /// Makes the broker reachable again.
    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }

    /// Whether the broker is cut off right now.
    pub fn is_cut(&self) -> bool {
        self.shared.cut.load(Ordering::SeqCst)
    }

    /// Resets every open connection once; clients reconnect.
    pub fn reset(&self) {
        let live = std::mem::take(&mut *lock(&self.shared.live));
        for (_, client, broker) in live {
            abort(&client);
            abort(&broker);
            self.shared.resets.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Connections accepted so far (a probe that clients really go through the proxy).
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// Connections reset so far.
    pub fn resets(&self) -> u64 {
        self.shared.resets.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.reset();
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Closes a socket with a TCP reset (linger 0) rather than an orderly FIN.
fn abort(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    let _ = stream.shutdown(Shutdown::Both);
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    for incoming in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = incoming else { continue };
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        if shared.cut.load(Ordering::SeqCst) {
            abort(&client);
            continue;
        }
        let Ok(broker) = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) else {
            abort(&client);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = broker.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (Ok(client_copy), Ok(broker_copy)) = (client.try_clone(), broker.try_clone()) else {
            abort(&client);
            abort(&broker);
            continue;
        };
        lock(&shared.live).push((id, client_copy, broker_copy));
        let (Ok(client_read), Ok(broker_read)) = (client.try_clone(), broker.try_clone()) else {
            continue;
        };
        for (from, to) in [(client_read, broker), (broker_read, client)] {
            let shared = shared.clone();
            let _ = std::thread::Builder::new()
                .name(format!("proxy-conn-{id}"))
                .spawn(move || {
                    pump(from, to);
                    // One direction ended: end the other, and forget the connection.
                    lock(&shared.live).retain(|(live, client, broker)| {
                        if *live == id {
                            let _ = client.shutdown(Shutdown::Both);
                            let _ = broker.shutdown(Shutdown::Both);
                        }
                        *live != id
                    });
                });
        }
    }
}

/// Copies bytes from `from` to `to` until either side closes or fails.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
