//! A health endpoint on 127.0.0.1 answering `{"status": "healthy"}`, for smoke-test's section 4.1 check.

use std::io::{Read, Write};
use std::net::TcpListener;

/// Starts the endpoint on a thread (it lives as long as the test process) and returns its URL.
pub fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let body = r#"{"status":"healthy"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}/health")
}
