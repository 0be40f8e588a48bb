//! Our client against our server over a real socket, and raw frames against the server.

use crate::support::{self, TOKEN};
use bytes::Bytes;
use ggipc::frame::{encode, read_frame};
use ggipc::model::{PublishMessage, ReportedState};
use ggipc::rpc::{FLAG_TERMINATE_STREAM, MessageType, RpcMessage};
use ggipc::{ConnectOptions, ErrorKind, IpcClient, IpcError};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

const LIMIT: Duration = Duration::from_secs(5);

async fn client(path: &std::path::Path) -> IpcClient {
    let mut opts = ConnectOptions::new(path, TOKEN);
    opts.call_timeout = Duration::from_secs(3);
    opts.max_reconnect_backoff = Duration::from_millis(100);
    IpcClient::connect(opts).await.unwrap()
}

#[tokio::test]
async fn published_json_and_binary_messages_reach_a_subscriber() {
    let s = support::start();
    let c = client(&s.path).await;
    let mut sub = c
        .subscribe_to_topic("factory/raw/pump1", None)
        .await
        .unwrap();
    c.publish_json("factory/raw/pump1", serde_json::json!({"v": 1}))
        .await
        .unwrap();
    c.publish_to_topic(
        "factory/raw/pump1",
        PublishMessage::binary(b"\x00\xffhi".to_vec()),
    )
    .await
    .unwrap();
    let first = tokio::time::timeout(LIMIT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.json_message.unwrap().message["v"], 1);
    let second = tokio::time::timeout(LIMIT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second.topic(), Some("factory/raw/pump1"));
    assert_eq!(
        second.binary_message.unwrap().message,
        b"\x00\xffhi".to_vec()
    );
}

#[tokio::test]
async fn unknown_token_is_access_denied() {
    let s = support::start();
    let err = IpcClient::connect(ConnectOptions::new(&s.path, "WRONG"))
        .await
        .unwrap_err();
    assert!(matches!(err, IpcError::AccessDenied), "{err:?}");
}

#[tokio::test]
async fn modelled_errors_arrive_typed() {
    let s = support::start();
    let c = client(&s.path).await;
    let err = c.get_configuration(None, &["missing"]).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::ResourceNotFoundError));
    assert!(err.to_string().contains("Key not found"));
}

#[tokio::test]
async fn unsupported_operation_is_reported_as_such() {
    let s = support::start();
    let c = client(&s.path).await;
    let err = c.get_secret_value("x").await.unwrap_err();
    assert!(matches!(err, IpcError::UnsupportedOperation(_)), "{err:?}");
}

#[tokio::test]
async fn dropping_a_subscription_closes_it_on_the_server() {
    let s = support::start();
    let c = client(&s.path).await;
    let sub = c.subscribe_to_topic("a/b", None).await.unwrap();
    assert_eq!(s.handler.live_subscribers(), 1);
    drop(sub);
    for _ in 0..100 {
        if s.handler.live_subscribers() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.handler.live_subscribers(), 0);
    c.update_state(ReportedState::Running).await.unwrap();
}

#[tokio::test]
async fn client_reconnects_and_reopens_subscriptions_after_the_server_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipc.socket");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let first = std::sync::Arc::new(support::TestHandler::default());
    let old = support::start_stoppable(&path, first, async {
        let _ = stop_rx.await;
    });
    let c = client(&path).await;
    let mut sub = c.subscribe_to_topic("t", None).await.unwrap();
    // Stop the server: every connection closes, as when the nucleus restarts.
    stop_tx.send(()).unwrap();
    old.await.unwrap();
    let second = std::sync::Arc::new(support::TestHandler::default());
    let _new = support::start_at(&path, second.clone());
    // The client reconnects by itself and reopens the subscription on the new server.
    for _ in 0..100 {
        if second.live_subscribers() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        second.live_subscribers(),
        1,
        "subscription was not reopened"
    );
    assert_eq!(
        *c.reconnects().borrow(),
        1,
        "the reconnect is counted for watchers"
    );
    c.publish_json("t", serde_json::json!({"n": 3}))
        .await
        .unwrap();
    let event = tokio::time::timeout(LIMIT, sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(event.json_message.unwrap().message["n"], 3);
}

// ---- raw frames against the server ----

async fn raw() -> (support::Running, UnixStream) {
    let s = support::start();
    let sock = UnixStream::connect(&s.path).await.unwrap();
    (s, sock)
}

async fn send(sock: &mut UnixStream, msg: &RpcMessage) {
    sock.write_all(&encode(&msg.to_message()).unwrap())
        .await
        .unwrap();
}

async fn recv(sock: &mut UnixStream) -> Option<RpcMessage> {
    let frame = tokio::time::timeout(LIMIT, read_frame(sock, 1 << 20))
        .await
        .unwrap()
        .ok()??;
    Some(RpcMessage::from_message(&frame).unwrap())
}

async fn connected() -> (support::Running, UnixStream) {
    let (s, mut sock) = raw().await;
    send(&mut sock, &ggipc::client::connect_message(TOKEN)).await;
    let ack = recv(&mut sock).await.unwrap();
    assert_eq!((ack.message_type, ack.flags), (MessageType::ConnectAck, 1));
    (s, sock)
}

fn request(id: i32, op: Option<&str>, model: Option<&str>, body: &str) -> RpcMessage {
    RpcMessage {
        operation: op.map(str::to_owned),
        ..RpcMessage::json(
            MessageType::ApplicationMessage,
            0,
            id,
            model,
            Bytes::from(body.to_owned()),
        )
    }
}

async fn expect_protocol_error_then_close(sock: &mut UnixStream, needle: &str) {
    let err = recv(sock).await.unwrap();
    assert_eq!(err.message_type, MessageType::ProtocolError);
    let text = String::from_utf8_lossy(&err.payload);
    assert!(text.contains(needle), "{text}");
    assert!(
        recv(sock).await.is_none(),
        "connection must close after a protocol error"
    );
}

#[tokio::test]
async fn request_before_connect_gets_protocol_error_and_close() {
    let (_s, mut sock) = raw().await;
    send(
        &mut sock,
        &request(1, Some("aws.greengrass#UpdateState"), None, "{}"),
    )
    .await;
    expect_protocol_error_then_close(&mut sock, "A CONNECT message must be received").await;
}

#[tokio::test]
async fn wrong_version_gets_a_rejecting_ack_and_close() {
    let (_s, mut sock) = raw().await;
    let mut connect = ggipc::client::connect_message(TOKEN);
    connect.version = Some("0.2.0".into());
    send(&mut sock, &connect).await;
    let ack = recv(&mut sock).await.unwrap();
    assert_eq!((ack.message_type, ack.flags), (MessageType::ConnectAck, 0));
    assert!(recv(&mut sock).await.is_none());
}

#[tokio::test]
async fn stream_id_gap_gets_protocol_error() {
    let (_s, mut sock) = connected().await;
    send(
        &mut sock,
        &request(
            2,
            Some("aws.greengrass#UpdateState"),
            None,
            "{\"state\":\"RUNNING\"}",
        ),
    )
    .await;
    expect_protocol_error_then_close(&mut sock, "monotonically incrementing").await;
}

#[tokio::test]
async fn new_stream_without_operation_gets_protocol_error() {
    let (_s, mut sock) = connected().await;
    send(&mut sock, &request(1, None, None, "{}")).await;
    expect_protocol_error_then_close(&mut sock, "operation header").await;
}

#[tokio::test]
async fn second_connect_gets_protocol_error() {
    let (_s, mut sock) = connected().await;
    send(&mut sock, &ggipc::client::connect_message(TOKEN)).await;
    expect_protocol_error_then_close(&mut sock, "only one CONNECT").await;
}

#[tokio::test]
async fn corrupt_crc_gets_protocol_error_and_other_clients_are_unaffected() {
    let (s, mut sock) = connected().await;
    let healthy = client(&s.path).await;
    let mut frame =
        encode(&request(1, Some("aws.greengrass#UpdateState"), None, "{}").to_message())
            .unwrap()
            .to_vec();
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    sock.write_all(&frame).await.unwrap();
    expect_protocol_error_then_close(&mut sock, "malformed frame").await;
    healthy.update_state(ReportedState::Running).await.unwrap();
}

#[tokio::test]
async fn oversize_frame_gets_protocol_error_naming_the_cap() {
    let (_s, mut sock) = connected().await;
    let big = "x".repeat(70 * 1024);
    send(
        &mut sock,
        &request(1, Some("aws.greengrass#PublishToTopic"), None, &big),
    )
    .await;
    expect_protocol_error_then_close(&mut sock, "exceeds the cap").await;
}

#[tokio::test]
async fn silent_client_is_dropped_after_the_handshake_timeout() {
    let (_s, mut sock) = raw().await;
    // Nothing sent: the server closes by itself (limit 300 ms in support::limits).
    assert!(recv(&mut sock).await.is_none());
}

#[tokio::test]
async fn client_vanishing_mid_frame_leaves_the_server_serving() {
    let (s, mut sock) = connected().await;
    let frame =
        encode(&request(1, Some("aws.greengrass#UpdateState"), None, "{}").to_message()).unwrap();
    sock.write_all(&frame[..frame.len() / 2]).await.unwrap();
    drop(sock);
    let c = client(&s.path).await;
    c.update_state(ReportedState::Running).await.unwrap();
}

#[tokio::test]
async fn ping_is_echoed_with_its_payload() {
    let (_s, mut sock) = connected().await;
    let mut ping = RpcMessage::new(MessageType::Ping, 0, 0);
    ping.payload = Bytes::from_static(b"hi");
    send(&mut sock, &ping).await;
    let pong = recv(&mut sock).await.unwrap();
    assert_eq!(pong.message_type, MessageType::PingResponse);
    assert_eq!(pong.payload.as_ref(), b"hi");
}

#[tokio::test]
async fn unknown_operation_gets_the_nucleus_unsupported_error() {
    let (_s, mut sock) = connected().await;
    send(
        &mut sock,
        &request(1, Some("aws.greengrass#NoSuchOperation"), None, "{}"),
    )
    .await;
    let err = recv(&mut sock).await.unwrap();
    assert_eq!(err.message_type, MessageType::ApplicationError);
    assert_eq!(err.flags & FLAG_TERMINATE_STREAM, FLAG_TERMINATE_STREAM);
    assert!(err.model_type.is_none());
    let body: serde_json::Value = serde_json::from_slice(&err.payload).unwrap();
    assert_eq!(body["error"], "Unsupported Operation");
}

#[tokio::test]
async fn wrong_service_model_type_gets_invalid_arguments() {
    let (_s, mut sock) = connected().await;
    send(
        &mut sock,
        &request(
            1,
            Some("aws.greengrass#UpdateState"),
            Some("aws.greengrass#PublishToTopicRequest"),
            "{}",
        ),
    )
    .await;
    let err = recv(&mut sock).await.unwrap();
    assert_eq!(err.message_type, MessageType::ApplicationError);
    assert_eq!(
        err.model_type.as_deref(),
        Some("aws.greengrass#InvalidArgumentsError")
    );
    let body: serde_json::Value = serde_json::from_slice(&err.payload).unwrap();
    assert_eq!(body["_errorCode"], "InvalidArgumentsError");
    assert!(body["message"].as_str().unwrap().contains("does not match"));
}

#[tokio::test]
async fn unary_response_carries_terminate_and_its_response_shape() {
    let (_s, mut sock) = connected().await;
    send(
        &mut sock,
        &request(
            1,
            Some("aws.greengrass#UpdateState"),
            Some("aws.greengrass#UpdateStateRequest"),
            "{\"state\":\"RUNNING\"}",
        ),
    )
    .await;
    let resp = recv(&mut sock).await.unwrap();
    assert_eq!(resp.message_type, MessageType::ApplicationMessage);
    assert_eq!(resp.flags, FLAG_TERMINATE_STREAM);
    assert_eq!(
        resp.model_type.as_deref(),
        Some("aws.greengrass#UpdateStateResponse")
    );
    assert_eq!(resp.content_type.as_deref(), Some("application/json"));
}
