//! Arbitrary bytes through the frame decoder, the streaming reader and the RPC layer: any input
//! must give a frame or a typed error, never a panic or an allocation past the cap.
//!
//! Raw input rarely passes the prelude CRC, so each input is also wrapped into a frame with valid
//! CRCs (first two bytes pick the header-block length): that drives the header and RPC parsers.
#![no_main]

use ggipc::frame::{decode, read_frame};
use ggipc::rpc::RpcMessage;
use libfuzzer_sys::fuzz_target;

const CAP: usize = 64 * 1024;

thread_local! {
    static RT: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().build().expect("runtime");
}

fn with_valid_crcs(data: &[u8]) -> Option<Vec<u8>> {
    let (head, body) = data.split_at_checked(2)?;
    let total = u32::try_from(body.len() + 16).ok()?;
    let headers = u32::from(u16::from_be_bytes([head[0], head[1]])) % (body.len() as u32 + 1);
    let mut frame = Vec::with_capacity(body.len() + 16);
    frame.extend_from_slice(&total.to_be_bytes());
    frame.extend_from_slice(&headers.to_be_bytes());
    let prelude_crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&prelude_crc.to_be_bytes());
    frame.extend_from_slice(body);
    let crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&crc.to_be_bytes());
    Some(frame)
}

fn parse(bytes: &[u8]) {
    if let Ok(message) = decode(bytes, CAP) {
        let _ = RpcMessage::from_message(&message);
    }
}

fuzz_target!(|data: &[u8]| {
    parse(data);
    if let Some(frame) = with_valid_crcs(data) {
        parse(&frame);
    }
    RT.with(|rt| {
        rt.block_on(async {
            let mut reader = data;
            // Read frames until the input is used up or broken, as a connection would.
            while let Ok(Some(message)) = read_frame(&mut reader, CAP).await {
                let _ = RpcMessage::from_message(&message);
            }
        })
    });
});
