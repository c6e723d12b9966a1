//! A small HTTPS server of fixed documents, with a certificate from a [`TestCa`]: what an
//! MCP client publishes its Client ID Metadata Document on. It counts the requests it
//! answers, so a test can see whether the server fetched a document again or used its
//! cache.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::emulator::TestCa;

pub struct HttpsDocuments {
    address: SocketAddr,
    fetches: Arc<AtomicUsize>,
}

impl HttpsDocuments {
    /// Serves on 127.0.0.1, until the process ends, the documents (path, JSON text) that
    /// `documents` makes from the server's base URL (a metadata document names its own URL).
    pub fn serve(
        ca: &TestCa,
        documents: impl FnOnce(&str) -> Vec<(&'static str, String)>,
    ) -> HttpsDocuments {
        // HTTP/1.1 only: this server speaks nothing else.
        let mut config = (*ca.server_config().expect("a TLS configuration")).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let documents: HashMap<String, String> = documents(&base_url(address))
            .into_iter()
            .map(|(path, text)| (path.to_string(), text))
            .collect();
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = fetches.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or_default();
                counted.fetch_add(1, Ordering::SeqCst);
                let (status, body) = match documents.get(path) {
                    Some(text) => ("200 OK", text.as_str()),
                    None => ("404 Not Found", "{}"),
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        HttpsDocuments { address, fetches }
    }

    /// The URL of `path` (`/client.json`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", base_url(self.address))
    }

    /// Requests answered so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn base_url(address: SocketAddr) -> String {
    format!("https://127.0.0.1:{}", address.port())
}
