//! Real network peers on loopback for what the product sends out: an SMTP server that keeps
//! every message it accepts, and an HTTP server that answers webhook posts with the statuses
//! it is told to and keeps every body.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body, CRLF line ends, dot-stuffing undone).
    pub data: String,
}

/// A small SMTP server (RFC 5321's commands a client needs to send a message, no TLS, no
/// auth) on 127.0.0.1. Recipients listed in `refuse` are answered 550.
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    pub refuse: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(Mutex::new(Vec::<String>::new()));
        let (m, r) = (mails.clone(), refuse.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (m, r) = (m.clone(), r.clone());
                tokio::spawn(async move {
                    let _ = session(socket, m, r).await;
                });
            }
        });
        SmtpSink {
            port,
            mails,
            refuse,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let who = command[8..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>')
                .to_owned();
            if refuse.lock().unwrap().contains(&who) {
                b"550 No such mailbox\r\n"
            } else {
                to.push(who);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// An HTTP server that answers each POST with the next status of `statuses` (200 once they run
/// out) and keeps what was posted.
pub struct WebhookReceiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

#[derive(Clone)]
struct Receiver {
    statuses: Arc<Mutex<VecDeque<u16>>>,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

async fn receive(State(r): State<Receiver>, body: String) -> StatusCode {
    r.bodies
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)));
    let status = r.statuses.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl WebhookReceiver {
    pub async fn start(statuses: &[u16]) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
        let port = listener.local_addr().unwrap().port();
        let r = Receiver {
            statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())),
            bodies: Arc::new(Mutex::new(Vec::new())),
        };
        let bodies = r.bodies.clone();
        let app = Router::new()
            .route("/hooks/{*rest}", post(receive))
            .with_state(r);
        tokio::spawn(async move { axum::serve(listener, app).await });
        WebhookReceiver {
            url: format!("http://127.0.0.1:{port}/hooks/T0001/B0001/secretpart"),
            bodies,
        }
    }

    pub fn received(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}
