//! A small HTTP CONNECT proxy for the proxy tests: basic auth (or none), one tunnel per
//! connection, counting the tunnels it opened. Hand-written because it is ~60 lines and must
//! answer exactly as the tests need (a 407 for wrong credentials); Debian's tinyproxy would
//! need root to install and a config file per case.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};

pub(crate) struct ConnectProxy {
    pub(crate) port: u16,
    tunnels: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl ConnectProxy {
    /// Starts on 127.0.0.1, a free port; `credentials` (`user:password`) required when given.
    pub(crate) async fn start(credentials: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let expected = credentials.map(|c| {
            format!(
                "proxy-authorization: basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let tunnels = Arc::new(AtomicUsize::new(0));
        let counted = tunnels.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (expected, counted) = (expected.clone(), counted.clone());
                tokio::spawn(async move {
                    let _ = tunnel(client, expected, counted).await;
                });
            }
        });
        Self {
            port,
            tunnels,
            task,
        }
    }

    /// Tunnels opened so far.
    pub(crate) fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn tunnel(
    mut client: TcpStream,
    expected: Option<String>,
    tunnels: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte up to the blank line, so no tunnelled byte is read into the head.
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_owned();
    let authorized =
        expected.is_none_or(|line| head.lines().any(|l| l.trim().eq_ignore_ascii_case(&line)));
    if !authorized {
        client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    let mut upstream = TcpStream::connect(&target).await?;
    tunnels.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
