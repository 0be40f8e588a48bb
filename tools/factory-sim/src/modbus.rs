//! The PLC's Modbus TCP server: answers reads from the latest register image, accepts writes of
//! the speed setpoint and the run command, and stays silent (requests time out) while the
//! device-offline fault acts.

use std::future;
use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

use crate::plant::SharedPlant;
use crate::registers::{RUN_COMMAND_ADDR, SPEED_SETPOINT_ADDR, Table, f32_from_words};

/// Answers one unit id's requests from the shared plant.
#[derive(Debug, Clone)]
pub struct PlcService {
    plant: SharedPlant,
    unit_id: u8,
}

impl PlcService {
    /// Serves `plant` as unit `unit_id` (0 and 255 are accepted too, as gateways send them).
    pub fn new(plant: SharedPlant, unit_id: u8) -> Self {
        Self { plant, unit_id }
    }

    fn answer(&self, req: &Request<'_>) -> Result<Option<Response>, ExceptionCode> {
        let mut plant = self.plant.lock();
        if !plant.snapshot().online {
            return Ok(None);
        }
        plant.count_request();
        let img = plant.image();
        let resp = match req {
            Request::ReadInputRegisters(a, n) => {
                Response::ReadInputRegisters(slice(img.registers(Table::Input), *a, *n)?)
            }
            Request::ReadHoldingRegisters(a, n) => {
                Response::ReadHoldingRegisters(slice(img.registers(Table::Holding), *a, *n)?)
            }
            Request::ReadCoils(a, n) => Response::ReadCoils(slice(img.bits(Table::Coil), *a, *n)?),
            Request::ReadDiscreteInputs(a, n) => {
                Response::ReadDiscreteInputs(slice(img.bits(Table::DiscreteInput), *a, *n)?)
            }
            Request::WriteSingleCoil(a, v) if *a == RUN_COMMAND_ADDR => {
                plant.line_mut().set_run(*v);
                Response::WriteSingleCoil(*a, *v)
            }
            Request::WriteMultipleRegisters(a, words)
                if *a == SPEED_SETPOINT_ADDR && words.len() == 2 =>
            {
                let rpm = f32_from_words(words[0], words[1]);
                plant.line_mut().set_speed_setpoint(f64::from(rpm));
                Response::WriteMultipleRegisters(*a, 2)
            }
            Request::WriteSingleCoil(..)
            | Request::WriteMultipleCoils(..)
            | Request::WriteSingleRegister(..)
            | Request::WriteMultipleRegisters(..)
            | Request::MaskWriteRegister(..) => return Err(ExceptionCode::IllegalDataAddress),
            _ => return Err(ExceptionCode::IllegalFunction),
        };
        Ok(Some(resp))
    }
}

/// `n` values from address `a`, or exception 2 when any lies outside the table.
fn slice<T: Clone>(table: &[T], a: u16, n: u16) -> Result<Vec<T>, ExceptionCode> {
    let (a, n) = (usize::from(a), usize::from(n));
    if n == 0 {
        return Err(ExceptionCode::IllegalDataValue);
    }
    table
        .get(a..a + n)
        .map(<[T]>::to_vec)
        .ok_or(ExceptionCode::IllegalDataAddress)
}

impl Service for PlcService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = future::Ready<Result<Self::Response, Self::Exception>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        if req.slave != self.unit_id && req.slave != 0 && req.slave != 255 {
            // Another unit behind the same gateway address: a real gateway would not answer.
            return future::ready(Ok(None));
        }
        future::ready(self.answer(&req.request))
    }
}

/// Binds the Modbus listener, naming the address when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    crate::listen::bind(addr, "Modbus", "--modbus-port").await
}

/// Serves Modbus TCP on `listener` until `cancel`.
pub async fn serve(
    listener: TcpListener,
    service: PlcService,
    cancel: CancellationToken,
) -> io::Result<()> {
    let server = Server::new(listener);
    let on_connected = move |stream, addr| {
        let service = service.clone();
        async move { accept_tcp_connection(stream, addr, move |_| Ok(Some(service.clone()))) }
    };
    let on_error = |e: io::Error| eprintln!("factory-sim: Modbus connection error: {e}");
    server
        .serve_until(&on_connected, on_error, async move {
            cancel.cancelled().await;
        })
        .await
        .map(|_| ())
}
