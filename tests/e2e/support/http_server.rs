//! A tiny HTTP server on 127.0.0.1, served from threads of the test: `/health` (JSON), `/text`, `/missing` (404),
//! `/flaky` (503, counted), `/slow` (3 s), `/echo` (what it was sent). The query string is ignored.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

/// Serves forever on a free port; returns the base URL and a count of requests to `/flaky`.
pub fn serve() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let flaky = Arc::new(AtomicUsize::new(0));
    let counter = flaky.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || handle(stream, &counter));
        }
    });
    (base, flaky)
}

pub fn handle(mut stream: TcpStream, flaky: &AtomicUsize) {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut buffer).unwrap_or(0);
        if n == 0 {
            return;
        }
        raw.extend_from_slice(&buffer[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..header_end]).to_string();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while raw.len() < header_end + length {
        let n = stream.read(&mut buffer).unwrap_or(0);
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..n]);
    }
    let body = String::from_utf8_lossy(&raw[header_end..]).to_string();

    let (status, content_type, text) = match path.split('?').next().unwrap_or_default() {
        "/health" => (
            "200 OK",
            "application/json",
            r#"{"status":"ok","checks":{"dynamodb":"ok"}}"#.to_string(),
        ),
        "/text" => ("200 OK", "text/plain", "hello".to_string()),
        "/missing" => ("404 Not Found", "text/plain", "no such page".to_string()),
        "/flaky" => {
            flaky.fetch_add(1, Ordering::SeqCst);
            (
                "503 Service Unavailable",
                "text/plain",
                "try later".to_string(),
            )
        }
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            ("200 OK", "text/plain", "late".to_string())
        }
        "/echo" => (
            "200 OK",
            "application/json",
            json!({
                "method": method,
                "body": body,
                "content_type": header("content-type"),
                "token": header("x-token"),
            })
            .to_string(),
        ),
        _ => ("404 Not Found", "text/plain", String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-request-id: req-1\r\n\
         set-cookie: a=1\r\nset-cookie: b=2\r\nconnection: close\r\n\r\n{}",
        text.len(),
        if method == "HEAD" { "" } else { text.as_str() }
    );
    let _ = stream.write_all(response.as_bytes());
}
