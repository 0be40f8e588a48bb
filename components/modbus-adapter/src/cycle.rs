//! One poll cycle of one group: run the group's requests and turn the answers into readings.
//!
//! A Modbus exception marks exactly that request's points BAD with the exception code; a link
//! error (I/O, timeout) marks the rest of the cycle BAD and is returned so the poller reconnects.

use crate::decode::{decode_bits, decode_words};
use crate::device::Device;
use crate::plan::Request;
use crate::point::{Point, PollGroup, Table};
use edge_model::{Quality, Reading, Source};
use std::time::Duration;
use tokio_modbus::client::{Context, Reader};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{ExceptionCode, Slave};

/// What one cycle produced.
#[derive(Debug, Default)]
pub struct CycleOutcome {
    /// One reading per point of the group, in plan order.
    pub readings: Vec<Reading>,
    /// Requests sent.
    pub requests: u64,
    /// Requests answered with a Modbus exception.
    pub exceptions: u64,
    /// The link error that ended the cycle early, if any.
    pub link_error: Option<String>,
}

/// The answer to one request.
enum Answer {
    Bits(Vec<bool>),
    Words(Vec<u16>),
}

/// Runs the requests of `group` in `plan` (`items` index `device.points`).
pub async fn run_cycle(
    ctx: &mut Context,
    device: &Device,
    plan: &[Request],
    group: PollGroup,
    timeout: Duration,
) -> CycleOutcome {
    let mut out = CycleOutcome::default();
    let quirks = &device.quirks;
    for (n, req) in plan.iter().filter(|r| r.group == group).enumerate() {
        if n > 0 && !quirks.inter_request_delay.is_zero() && out.link_error.is_none() {
            tokio::time::sleep(quirks.inter_request_delay).await;
        }
        let now = edge_model::time::now_ms() as i64;
        let points = req.items.iter().filter_map(|&i| device.points.get(i));
        if let Some(reason) = &out.link_error {
            out.readings
                .extend(points.map(|p| bad(device, p, format!("link down: {reason}"), now)));
            continue;
        }
        ctx.set_slave(Slave(req.unit));
        let mut busy_retries_left = quirks.busy_retries;
        let answer = loop {
            out.requests += 1;
            let answer = tokio::time::timeout(timeout, send(ctx, req)).await;
            let busy = matches!(
                answer,
                Ok(Ok(Err(
                    ExceptionCode::ServerDeviceBusy | ExceptionCode::Acknowledge
                )))
            );
            if !busy || busy_retries_left == 0 {
                break answer;
            }
            busy_retries_left -= 1;
            tokio::time::sleep(quirks.busy_retry_delay).await;
        };
        match answer {
            Err(_) => {
                let reason = format!("no answer within {} ms", timeout.as_millis());
                out.readings
                    .extend(points.map(|p| bad(device, p, format!("link down: {reason}"), now)));
                out.link_error = Some(reason);
            }
            Ok(Err(e)) => {
                let reason = e.to_string();
                out.readings
                    .extend(points.map(|p| bad(device, p, format!("link down: {reason}"), now)));
                out.link_error = Some(reason);
            }
            Ok(Ok(Err(code))) => {
                out.exceptions += 1;
                let detail = exception_detail(code);
                out.readings
                    .extend(points.map(|p| bad(device, p, detail.clone(), now)));
            }
            Ok(Ok(Ok(answer))) => {
                out.readings
                    .extend(points.map(|p| decode(device, req, p, &answer, now)));
            }
        }
    }
    out
}

async fn send(ctx: &mut Context, req: &Request) -> tokio_modbus::Result<Answer> {
    let (start, count) = (req.start, req.count);
    Ok(match req.table {
        Table::Coil => ctx.read_coils(start, count).await?.map(Answer::Bits),
        Table::DiscreteInput => ctx
            .read_discrete_inputs(start, count)
            .await?
            .map(Answer::Bits),
        Table::Holding => ctx
            .read_holding_registers(start, count)
            .await?
            .map(Answer::Words),
        Table::Input => ctx
            .read_input_registers(start, count)
            .await?
            .map(Answer::Words),
    })
}

/// `modbus exception 2 (Illegal data address)`: the code first, so consumers can parse it.
pub fn exception_detail(code: ExceptionCode) -> String {
    format!("modbus exception {} ({code})", u8::from(code))
}

fn decode(device: &Device, req: &Request, point: &Point, answer: &Answer, now: i64) -> Reading {
    let from = usize::from(point.address - req.start);
    let to = from + usize::from(point.data_type.width());
    let value = match answer {
        // Coil answers are padded to whole bytes: slice by the point's own range.
        Answer::Bits(bits) => bits.get(from..to).map(|b| decode_bits(point, b)),
        Answer::Words(words) => words.get(from..to).map(|w| decode_words(point, w)),
    };
    let source = Source::new(device.id.clone(), &point.id);
    let reading = match value {
        Some(Ok(v)) => Reading::new(source, v, Quality::Good, now),
        Some(Err(e)) => Reading::failed(source, format!("decode: {e}"), now),
        None => Reading::failed(source, "short response", now),
    };
    with_unit(reading, point)
}

fn bad(device: &Device, point: &Point, detail: String, now: i64) -> Reading {
    with_unit(
        Reading::failed(Source::new(device.id.clone(), &point.id), detail, now),
        point,
    )
}

fn with_unit(reading: Reading, point: &Point) -> Reading {
    match &point.unit {
        Some(u) => reading.with_unit(u),
        None => reading,
    }
}
