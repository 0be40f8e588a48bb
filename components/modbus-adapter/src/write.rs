//! Writing one point on a connected device, on behalf of a command.

use crate::cycle::exception_detail;
use crate::device::Device;
use crate::encode::{WriteData, encode};
use edge_model::Value;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_modbus::Slave;
use tokio_modbus::client::{Context, Writer};
use tokio_modbus::prelude::SlaveContext;

/// A write routed to a device's poller; the reply says success or why not.
#[derive(Debug)]
pub struct WriteRequest {
    /// Point id.
    pub point: String,
    /// The engineering value (scaling is inverted).
    pub value: Value,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Result<(), WriteError>>,
}

/// Why a write did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// Refused before anything was sent (unknown or read-only point, bad value, disabled).
    #[error("refused: {0}")]
    Refused(String),
    /// The device answered with an exception.
    #[error("{0}")]
    Exception(String),
    /// The link failed (the poller reconnects).
    #[error("link down: {0}")]
    Link(String),
}

/// Writes `value` to `point_id` of `device`.
pub async fn write_point(
    ctx: &mut Context,
    device: &Device,
    point_id: &str,
    value: &Value,
    timeout: Duration,
) -> Result<(), WriteError> {
    let point = device
        .points
        .iter()
        .find(|p| p.id == point_id)
        .ok_or_else(|| WriteError::Refused(format!("unknown point {point_id:?}")))?;
    if !point.writable {
        return Err(WriteError::Refused(format!(
            "point {point_id:?} is not writable"
        )));
    }
    let data = encode(point, value).map_err(|e| WriteError::Refused(e.to_string()))?;
    let address = point.address;
    ctx.set_slave(Slave(point.unit_id));
    let sent = tokio::time::timeout(timeout, async {
        match &data {
            WriteData::Coil(b) => ctx.write_single_coil(address, *b).await,
            WriteData::Mask { and, or } => ctx.masked_write_register(address, *and, *or).await,
            WriteData::Registers(words) if words.len() == 1 => {
                ctx.write_single_register(address, words[0]).await
            }
            WriteData::Registers(words) => ctx.write_multiple_registers(address, words).await,
        }
    })
    .await;
    match sent {
        Err(_) => Err(WriteError::Link(format!(
            "no answer within {} ms",
            timeout.as_millis()
        ))),
        Ok(Err(e)) => Err(WriteError::Link(e.to_string())),
        Ok(Ok(Err(code))) => Err(WriteError::Exception(exception_detail(code))),
        Ok(Ok(Ok(()))) => Ok(()),
    }
}
