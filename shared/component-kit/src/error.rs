//! Why the harness stopped, when it did not stop cleanly.

use ggipc::IpcError;

/// A failure that ends the component process with a non-zero exit code (the nucleus restarts
/// it). A bad configuration is never one of these: the kit reports `ERRORED` and waits.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The nucleus environment variables are missing.
    #[error("not running under Greengrass: {0} is not set")]
    NotUnderGreengrass(&'static str),
    /// The IPC socket refused the connection or the handshake.
    #[error("could not connect to the Greengrass IPC socket: {0}")]
    Connect(#[source] IpcError),
    /// The subscription to configuration updates was refused.
    #[error("could not subscribe to configuration updates: {0}")]
    Subscribe(#[source] IpcError),
    /// `run` returned an error.
    #[error("the component failed: {0:#}")]
    Component(anyhow::Error),
    /// `run` panicked.
    #[error("the component panicked: {0}")]
    Panicked(String),
}

impl HarnessError {
    pub(crate) fn from_connect(e: IpcError) -> Self {
        match e {
            IpcError::MissingEnv(var) => Self::NotUnderGreengrass(var),
            other => Self::Connect(other),
        }
    }

    pub(crate) fn from_join(e: tokio::task::JoinError) -> Self {
        if !e.is_panic() {
            return Self::Panicked("the task was cancelled".to_owned());
        }
        let payload = e.into_panic();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-text panic payload".to_owned());
        Self::Panicked(text)
    }
}

/// How the harness ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Shutdown was requested (SIGTERM, SIGINT or the shutdown token) and `run` returned in time.
    Stopped,
    /// Shutdown was requested and `run` did not return within the grace period; it was
    /// abandoned.
    GraceExpired,
    /// `run` returned `Ok(())` on its own.
    Finished,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_env_reads_as_not_under_greengrass() {
        let var = "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT";
        let e = HarnessError::from_connect(IpcError::MissingEnv(var));
        assert_eq!(
            e.to_string(),
            "not running under Greengrass: AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is not set"
        );
    }

    #[test]
    fn component_errors_show_their_chain() {
        let inner = anyhow::anyhow!("socket closed").context("polling plc1");
        let e = HarnessError::Component(inner);
        assert_eq!(
            e.to_string(),
            "the component failed: polling plc1: socket closed"
        );
    }
}
