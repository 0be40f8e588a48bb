//! What every listening part of the demo shares: binding a port with a clear message when it is
//! taken, an accept loop that stops on cancellation, and the stop signal (Ctrl-C, SIGTERM or a
//! time limit).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Binds `addr` for `what`; a taken port names the option that moves it.
pub async fn bind(addr: SocketAddr, what: &str, option: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "{what} port {addr} is already in use; stop whatever listens there or pick another with {option}"
        ),
        _ => anyhow::anyhow!("cannot listen for {what} on {addr}: {e}"),
    })
}

/// Accepts connections until `cancel`, each handled by `handle` in its own task (which also
/// ends on `cancel`). Accept errors are logged under `what` and retried.
pub async fn accept_until<F, Fut>(
    listener: TcpListener,
    cancel: CancellationToken,
    what: &'static str,
    handle: F,
) where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, _)) => {
                let work = handle(stream);
                let cancel = cancel.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        () = cancel.cancelled() => {}
                        () = work => {}
                    }
                });
            }
            Err(e) => {
                eprintln!("{what}: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Returns on Ctrl-C, SIGTERM, or after `seconds` (never, when 0).
pub async fn stop_requested(seconds: u64) {
    let limit = async {
        if seconds > 0 {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
        () = limit => {}
    }
}
