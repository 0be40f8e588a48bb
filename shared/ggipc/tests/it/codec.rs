//! Codec edge cases: every malformed frame is a typed error, never a panic.

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use ggipc::frame::{FrameError, decode, encode, read_frame};
use ggipc::rpc::{MessageType, RpcError, RpcMessage};
use proptest::prelude::*;

fn valid_frame() -> Vec<u8> {
    let msg = RpcMessage::json(
        MessageType::ApplicationMessage,
        0,
        1,
        Some("aws.greengrass#PublishToTopicRequest"),
        bytes::Bytes::from_static(b"{\"topic\":\"a\"}"),
    );
    encode(&msg.to_message()).unwrap().to_vec()
}

fn with_prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&headers.to_be_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[test]
fn bad_prelude_crc_is_rejected() {
    let mut frame = valid_frame();
    frame[9] ^= 0xff;
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::PreludeCrc { .. })
    ));
}

#[test]
fn bad_message_crc_is_rejected() {
    let mut frame = valid_frame();
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn flipped_payload_byte_fails_the_message_crc() {
    let mut frame = valid_frame();
    let i = frame.len() - 6;
    frame[i] ^= 0x01;
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn total_length_below_sixteen_is_rejected() {
    let frame = with_prelude(15, 0);
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::InvalidLengths { .. })
    ));
}

#[test]
fn headers_length_of_one_is_rejected() {
    let frame = with_prelude(32, 1);
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::InvalidLengths { .. })
    ));
}

#[test]
fn headers_longer_than_the_frame_are_rejected() {
    let frame = with_prelude(32, 17);
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::InvalidLengths { .. })
    ));
}

#[test]
fn oversize_frame_is_rejected_from_the_prelude_alone() {
    // Only the 12-byte prelude exists: the cap must fire before anything is buffered.
    let frame = with_prelude(64 * 1024 * 1024, 0);
    let err = decode(&frame, 16 * 1024 * 1024).unwrap_err();
    assert!(
        matches!(err, FrameError::TooLarge { total, cap } if total == 64 << 20 && cap == 16 << 20)
    );
}

#[tokio::test]
async fn reader_rejects_oversize_frame_without_waiting_for_its_body() {
    let frame = with_prelude(100_000, 0);
    let mut reader = frame.as_slice();
    let err = read_frame(&mut reader, 10_000).await.unwrap_err();
    assert!(matches!(err, FrameError::TooLarge { .. }));
}

#[tokio::test]
async fn reader_reports_truncation_inside_a_frame() {
    let frame = valid_frame();
    let mut reader = &frame[..frame.len() - 3];
    assert!(matches!(
        read_frame(&mut reader, 1 << 20).await,
        Err(FrameError::Truncated)
    ));
    let mut empty: &[u8] = &[];
    assert!(read_frame(&mut empty, 1 << 20).await.unwrap().is_none());
}

#[test]
fn unknown_header_type_is_rejected() {
    let mut frame = valid_frame();
    // First header is ":content-type" (name length 13); its type byte sits right after the name.
    let type_at = 12 + 1 + 13;
    assert_eq!(frame[type_at], 7);
    frame[type_at] = 10;
    // Fix the message CRC so only the type byte is wrong.
    let body = frame.len() - 4;
    let crc = crc32fast::hash(&frame[..body]);
    frame[body..].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        decode(&frame, 1 << 20),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn message_without_reserved_headers_is_an_rpc_error() {
    let msg = Message::new_from_parts(
        vec![Header::new(":message-type", HeaderValue::Int32(0))],
        bytes::Bytes::new(),
    );
    assert_eq!(
        RpcMessage::from_message(&msg),
        Err(RpcError::MissingHeader(":message-flags"))
    );
}

#[test]
fn reserved_header_with_a_non_int32_type_counts_as_missing() {
    let msg = Message::new_from_parts(
        vec![
            Header::new(":message-type", HeaderValue::Int64(0)),
            Header::new(":message-flags", HeaderValue::Int32(0)),
            Header::new(":stream-id", HeaderValue::Int32(1)),
        ],
        bytes::Bytes::new(),
    );
    assert_eq!(
        RpcMessage::from_message(&msg),
        Err(RpcError::MissingHeader(":message-type"))
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, 4096);
    }

    #[test]
    fn rpc_messages_round_trip(
        stream_id in 0i32..i32::MAX,
        flags in 0i32..4,
        payload in proptest::collection::vec(any::<u8>(), 0..2048),
        operation in proptest::option::of("[a-zA-Z#.]{1,40}"),
    ) {
        let msg = RpcMessage {
            operation,
            ..RpcMessage::json(MessageType::ApplicationMessage, flags, stream_id, Some("aws.greengrass#X"), payload.into())
        };
        let bytes = encode(&msg.to_message()).unwrap();
        let back = RpcMessage::from_message(&decode(&bytes, 1 << 20).unwrap()).unwrap();
        prop_assert_eq!(back, msg);
    }
}
