//! Frames captured from AWS's own client and server (protocol reference §2.3): our encoder must
//! produce them byte for byte and our decoder must read them.

use ggipc::frame::{decode, encode};
use ggipc::rpc::{FLAG_CONNECTION_ACCEPTED, FLAG_TERMINATE_STREAM, MessageType, RpcMessage};

fn hex(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..clean.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
        .collect()
}

const CONNECT: &str = "00000078 00000048 d487bdc5
    08 3a76657273696f6e 07 0005 302e312e30
    0d 3a6d6573736167652d74797065 04 00000004
    0e 3a6d6573736167652d666c616773 04 00000000
    0a 3a73747265616d2d6964 04 00000000
    7b2261757468546f6b656e223a2022544553545356435549443132333435227d
    0673eb65";

const ACK_ACCEPTED: &str = "00000047 00000037 374cfe3f
    0d 3a6d6573736167652d74797065 04 00000005
    0e 3a6d6573736167652d666c616773 04 00000001
    0a 3a73747265616d2d6964 04 00000000
    e237e27d";

const TERMINATE_STREAM_2: &str = "00000047 00000037 374cfe3f
    0d 3a6d6573736167652d74797065 04 00000000
    0e 3a6d6573736167652d666c616773 04 00000002
    0a 3a73747265616d2d6964 04 00000002
    b1009975";

#[test]
fn connect_frame_matches_the_python_sdk_byte_for_byte() {
    let msg = ggipc::client::connect_message("TESTSVCUID12345");
    let bytes = encode(&msg.to_message()).unwrap();
    assert_eq!(bytes.as_ref(), hex(CONNECT).as_slice());
}

#[test]
fn accepted_connect_ack_matches_the_aws_c_server_byte_for_byte() {
    let msg = RpcMessage::new(MessageType::ConnectAck, FLAG_CONNECTION_ACCEPTED, 0);
    assert_eq!(
        encode(&msg.to_message()).unwrap().as_ref(),
        hex(ACK_ACCEPTED).as_slice()
    );
}

#[test]
fn stream_close_matches_the_python_sdk_byte_for_byte() {
    let msg = RpcMessage::new(MessageType::ApplicationMessage, FLAG_TERMINATE_STREAM, 2);
    let bytes = encode(&msg.to_message()).unwrap();
    assert_eq!(bytes.as_ref(), hex(TERMINATE_STREAM_2).as_slice());
}

#[test]
fn captured_connect_decodes_into_its_rpc_fields() {
    let message = decode(&hex(CONNECT), 1 << 20).unwrap();
    let rpc = RpcMessage::from_message(&message).unwrap();
    assert_eq!(rpc.message_type, MessageType::Connect);
    assert_eq!(rpc.stream_id, 0);
    assert_eq!(rpc.flags, 0);
    assert_eq!(rpc.version.as_deref(), Some("0.1.0"));
    let payload: serde_json::Value = serde_json::from_slice(&rpc.payload).unwrap();
    assert_eq!(payload["authToken"], "TESTSVCUID12345");
}

#[test]
fn captured_ack_decodes_as_accepted() {
    let message = decode(&hex(ACK_ACCEPTED), 1 << 20).unwrap();
    let rpc = RpcMessage::from_message(&message).unwrap();
    assert_eq!(rpc.message_type, MessageType::ConnectAck);
    assert_eq!(
        rpc.flags & FLAG_CONNECTION_ACCEPTED,
        FLAG_CONNECTION_ACCEPTED
    );
}
