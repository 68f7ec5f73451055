//! A health endpoint on 127.0.0.1 answering `{"status": "healthy"}`, for smoke-test's section 4.1 check; or
//! answering as told, keeping the headers of every request it was sent.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Starts the endpoint on a thread (it lives as long as the test process) and returns its URL.
pub fn server() -> String {
    answering("200 OK", r#"{"status":"healthy"}"#).url
}

/// A request's headers, names lower-cased.
type Headers = Vec<(String, String)>;

/// An endpoint that answers every request with `status` (`503 Service Unavailable`) and the JSON `body`.
pub struct Endpoint {
    pub url: String,
    /// Each request's headers, in the order they came.
    seen: Arc<Mutex<Vec<Headers>>>,
}

impl Endpoint {
    /// The values a request was sent for header `name` (lower case), over every request so far.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .filter(|(header, _)| header == name)
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// Starts an endpoint answering `status` with `body` on a thread (it lives as long as the test process).
pub fn answering(status: &'static str, body: &'static str) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buffer = [0u8; 8192];
            let read = stream.read(&mut buffer).unwrap_or(0);
            let head = String::from_utf8_lossy(&buffer[..read]).to_string();
            let headers: Headers = head
                .lines()
                .skip(1)
                .take_while(|line| !line.is_empty())
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
                .collect();
            keep.lock().unwrap().push(headers);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Endpoint {
        url: format!("http://{address}/health"),
        seen,
    }
}
