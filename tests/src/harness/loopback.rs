//! What the proxy and the relay have in common: a TCP server on 127.0.0.1 that serves each
//! connection on a thread of its own, counts them, and when dropped stops accepting and
//! shuts down the connections still open (so no thread outlives the test), plus the byte
//! pump that joins two sockets.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

pub(crate) struct LoopbackServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    accepted: AtomicU64,
    /// A handle on every accepted connection, to shut them down on drop.
    open: Mutex<Vec<TcpStream>>,
}

impl LoopbackServer {
    /// Listens on a free port of 127.0.0.1; `serve` gets each connection, on its own thread.
    pub(crate) fn start(
        name: &str,
        serve: impl Fn(TcpStream) + Send + Sync + 'static,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let serve = Arc::new(serve);
        let accepting = Arc::clone(&shared);
        let accept_loop = thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accepting.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    accepting.accepted.fetch_add(1, Ordering::SeqCst);
                    // Small writes must not wait for Nagle: the relay's delays are the point.
                    let _ = stream.set_nodelay(true);
                    if let Ok(handle) = stream.try_clone() {
                        accepting.open.lock().unwrap().push(handle);
                    }
                    let serve = Arc::clone(&serve);
                    thread::spawn(move || serve(stream));
                }
            })?;
        Ok(Self {
            addr,
            shared,
            accept_loop: Some(accept_loop),
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accept loop is blocked in accept(): one last connection wakes it up to stop.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept_loop) = self.accept_loop.take() {
            let _ = accept_loop.join();
        }
        for stream in self.shared.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Copies `from` to `to` until `from` ends, then passes the end on (half-close), so that
/// the other direction can still finish.
pub(crate) fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer) {
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Connects to `target` (`host:port`, a name allowed) without Nagle's delay.
pub(crate) fn connect(target: &str) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(target)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}
