//! The web view's HTTP server on its own, fed a state directly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use factory_demo::view::feed::Shared;
use factory_demo::view::web;
use tokio_util::sync::CancellationToken;

fn get(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_page_and_the_state_and_refuses_the_rest() {
    let shared = Shared::default();
    shared.lock().raw_readings = 42;
    let listener = web::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cancel = CancellationToken::new();
    let server = tokio::spawn(web::serve(listener, shared.clone(), cancel.clone()));
    let replies = tokio::task::spawn_blocking(move || {
        [
            get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            get(addr, "GET /api/state HTTP/1.1\r\nHost: x\r\n\r\n"),
            get(addr, "GET /nope HTTP/1.1\r\n\r\n"),
            get(addr, "POST /api/state HTTP/1.1\r\n\r\n"),
        ]
    })
    .await
    .unwrap();
    assert!(replies[0].starts_with("HTTP/1.1 200 OK"), "{}", replies[0]);
    assert!(replies[0].contains("<title>Smart factory demo</title>"));
    let body = replies[1].split("\r\n\r\n").nth(1).unwrap();
    let state: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(state["rawReadings"], 42);
    assert_eq!(state["pipeline"][2]["state"], "not deployed");
    assert!(replies[2].starts_with("HTTP/1.1 404"));
    assert!(replies[3].starts_with("HTTP/1.1 405"));
    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn a_taken_web_port_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = web::bind(addr).await.err().unwrap().to_string();
    assert!(
        err.contains(&format!("web view port {addr} is already in use")),
        "{err}"
    );
}
