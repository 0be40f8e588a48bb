//! The one place that listens for process signals: SIGTERM (the nucleus stopping the
//! component) and SIGINT (Ctrl-C during development).

/// Resolves on the first SIGTERM or SIGINT. If a handler cannot be installed, that signal is
/// logged and ignored (the other one still works).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};

    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "Could not listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    let int = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "Could not listen for SIGINT.");
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = term => tracing::info!(signal = %"SIGTERM", "Shutting down."),
        () = int => tracing::info!(signal = %"SIGINT", "Shutting down."),
    }
}
