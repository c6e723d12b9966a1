//! A line with latency, on loopback: a TCP relay in front of a local server (the emulator)
//! that makes every exchange cost a chosen round-trip time, so the bench can measure calls
//! as they behave on a real line rather than on a loopback that forgives every extra
//! handshake.
//!
//! The model: every chunk of bytes, in either direction, arrives half a round trip after it
//! was sent (chunks keep their order, and a burst is not delayed once per chunk), so one
//! request and its answer cost one round trip. TCP's own handshake is completed by the kernel
//! at once, so the relay stands for it by holding the first bytes a client sends for one
//! extra round trip: on a new connection, as on a real line, the request (or the TLS
//! handshake) can only start after the SYN and SYN-ACK went back and forth. A new TLS 1.3
//! connection then costs three round trips before its first answer (TCP, TLS, the request),
//! a reused one costs one.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::loopback::{self, LoopbackServer};
use crate::emulator::Emulator;

/// A running relay on 127.0.0.1; dropping it stops it and closes its connections.
pub struct Relay {
    server: LoopbackServer,
}

impl Relay {
    /// Relays each connection made to [`Relay::port`] to `127.0.0.1:target_port`, adding
    /// `round_trip` to every request-answer exchange (see the module's doc).
    pub fn start(target_port: u16, round_trip: Duration) -> io::Result<Relay> {
        let target = format!("127.0.0.1:{target_port}");
        let server = LoopbackServer::start("latency-relay", move |client| {
            let connected_at = Instant::now();
            let Ok(upstream) = loopback::connect(&target) else {
                let _ = client.shutdown(Shutdown::Both);
                return;
            };
            let (Ok(client_reader), Ok(upstream_writer)) =
                (client.try_clone(), upstream.try_clone())
            else {
                return;
            };
            let first_bytes_not_before = connected_at + round_trip;
            let outward = thread::spawn(move || {
                delayed_pump(
                    client_reader,
                    upstream_writer,
                    round_trip / 2,
                    first_bytes_not_before,
                )
            });
            delayed_pump(upstream, client, round_trip / 2, connected_at);
            let _ = outward.join();
        })?;
        Ok(Relay { server })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `emulator`'s base URL with the relay's port: the same scheme and host name, so the
    /// emulator's certificate still matches.
    pub fn base_url_for(&self, emulator: &Emulator) -> String {
        let direct = emulator.base_url();
        let without_port = direct
            .rsplit_once(':')
            .map_or(direct.as_str(), |(scheme_and_host, _)| scheme_and_host);
        format!("{without_port}:{}", self.port())
    }

    /// Connections clients opened through the relay.
    pub fn connections(&self) -> u64 {
        self.server.connections()
    }
}

/// Copies `from` to `to`, delivering each chunk `one_way` after it was read, and never
/// before `not_before`. A reader thread stamps the chunks so that waiting to deliver one
/// does not hold up reading the next (the line carries many bytes at once).
fn delayed_pump(mut from: TcpStream, mut to: TcpStream, one_way: Duration, not_before: Instant) {
    let (sender, chunks) = mpsc::channel::<(Instant, Vec<u8>)>();
    let source = from.try_clone();
    let reader = thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buffer) {
            let due = (Instant::now() + one_way).max(not_before + one_way);
            if sender.send((due, buffer[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    for (due, chunk) in chunks {
        thread::sleep(due.saturating_duration_since(Instant::now()));
        if to.write_all(&chunk).is_err() {
            // Nobody to deliver to: stop reading too, so the reader thread ends.
            if let Ok(source) = &source {
                let _ = source.shutdown(Shutdown::Read);
            }
            break;
        }
    }
    // The end is passed on too, after the last chunk.
    let _ = to.shutdown(Shutdown::Write);
    let _ = reader.join();
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::Relay;
    use crate::emulator::{Emulator, EmulatorConfig, TestCa};
    use crate::harness::raw_http;

    #[test]
    fn exchanges_go_through_and_cost_the_round_trip() {
        let api = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
        let round_trip = Duration::from_millis(40);
        let relay = Relay::start(api.port(), round_trip).unwrap();

        let started = Instant::now();
        let mut socket = TcpStream::connect(("127.0.0.1", relay.port())).unwrap();
        let (status, body) = raw_http::get(&mut socket, "/account.json");
        assert_eq!(status, 200, "{body}");
        // Lower bounds only, which sleeping guarantees: the first exchange pays for TCP's
        // handshake too, the next one only its own round trip.
        assert!(
            started.elapsed() >= 2 * round_trip,
            "{:?}",
            started.elapsed()
        );
        let again = Instant::now();
        assert_eq!(raw_http::get(&mut socket, "/account.json").0, 200);
        assert!(again.elapsed() >= round_trip, "{:?}", again.elapsed());

        assert_eq!(relay.connections(), 1);
        assert_eq!(api.connection_stats().connections, 1);
        assert_eq!(api.requests().len(), 2);
    }

    #[test]
    fn the_base_url_keeps_the_emulators_scheme_and_host_name() {
        let plain = Emulator::start(EmulatorConfig::without_demo_data()).unwrap();
        let relay = Relay::start(plain.port(), Duration::ZERO).unwrap();
        assert_eq!(
            relay.base_url_for(&plain),
            format!("http://127.0.0.1:{}", relay.port())
        );
        let tls = Emulator::start(EmulatorConfig {
            tls: Some(TestCa::new().unwrap()),
            ..EmulatorConfig::without_demo_data()
        })
        .unwrap();
        let relay = Relay::start(tls.port(), Duration::ZERO).unwrap();
        assert_eq!(
            relay.base_url_for(&tls),
            format!("https://localhost:{}", relay.port())
        );
    }
}
