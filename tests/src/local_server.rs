//! The local server as a process, for the tests that drive it over HTTP: started on a free
//! loopback port, its address read from what it prints, killed when dropped. [`raw_exchange`]
//! talks to it over plain TCP, for what an HTTP client would not send.

use std::{
    io::{BufRead, BufReader, ErrorKind, Read, Write},
    net::{SocketAddr, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct LocalServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl LocalServer {
    /// Starts `bin` (the `local` binary) on `127.0.0.1:0` with `args` and `env`.
    pub fn start(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(bin)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().expect("its stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(base) = line.strip_prefix("listening on ") {
                    let _ = tx.send(base.trim().to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server prints its address");
        Self { child, base }
    }
}

impl LocalServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        socket_addr(&self.base)
    }
}

/// The socket address of a base URL such as `http://127.0.0.1:3000`.
pub fn socket_addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .expect("a base URL of the form http://<ip>:<port>")
}

/// What came back on a raw connection: the bytes, and whether the server closed it.
#[derive(Debug)]
pub struct RawReply {
    pub text: String,
    /// The server closed the connection (end of stream, or a reset) within the wait.
    pub closed: bool,
}

impl RawReply {
    /// The status code of the first answer, if one came.
    pub fn status(&self) -> Option<u16> {
        let line = self.text.lines().next()?;
        line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }

    /// A header of the first answer (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.text.split("\r\n\r\n").next()?;
        head.lines().skip(1).find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field
                .trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The first answer's body (everything after its head).
    pub fn body(&self) -> &str {
        self.text
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
    }
}

/// Writes `request` as is on a new connection to `addr`, then reads until the server closes
/// the connection or `wait` has passed.
pub fn raw_exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> RawReply {
    let mut stream = TcpStream::connect(addr).expect("the server accepts a connection");
    stream.write_all(request).expect("the request is sent");
    let deadline = Instant::now() + wait;
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let closed = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break false;
        }
        stream.set_read_timeout(Some(left)).expect("a timeout");
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break true,
        }
    };
    RawReply {
        text: String::from_utf8_lossy(&received).into_owned(),
        closed,
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
