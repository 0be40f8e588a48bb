//! Arbitrary bytes through the frame decoder, the streaming reader and the RPC layer: any input
//! must give a frame or a typed error, never a panic or an allocation past the cap.
#![no_main]

use ggipc::frame::{decode, read_frame};
use ggipc::rpc::RpcMessage;
use libfuzzer_sys::fuzz_target;

const CAP: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = decode(data, CAP) {
        let _ = RpcMessage::from_message(&message);
    }
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        let mut reader = data;
        // Read frames until the input is used up or broken, as a connection would.
        while let Ok(Some(message)) = read_frame(&mut reader, CAP).await {
            let _ = RpcMessage::from_message(&message);
        }
    });
});
