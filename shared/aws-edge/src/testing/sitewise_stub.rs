//! A SiteWise stub for BatchPutAssetPropertyValue, following the API's documented shapes (no
//! peer implements SiteWise; moto 5.2.5 does not have this call): the `data.` host prefix,
//! POST /properties, 1 to 10 entries, per-entry errors in `errorEntries`. Entries whose alias
//! contains the `missing` marker are refused for good (ResourceNotFoundException); the first
//! entry whose alias contains the `throttle_once` marker is throttled (ThrottlingException), and
//! every later one is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::stub_http::Stub;

/// A running SiteWise stub; stops when dropped.
#[derive(Debug)]
pub struct SiteWiseStub {
    stub: Stub,
    throttled: Arc<AtomicBool>,
}

impl SiteWiseStub {
    /// Starts the stub with its two alias markers.
    pub async fn start(missing: &str, throttle_once: &str) -> Self {
        let throttled = Arc::new(AtomicBool::new(false));
        let (missing, throttle_once) = (missing.to_owned(), throttle_once.to_owned());
        let stub = {
            let throttled = throttled.clone();
            Stub::start(move |r| answer(&r.body, &missing, &throttle_once, &throttled)).await
        };
        Self { stub, throttled }
    }

    /// `http://127.0.0.1:<port>`: the SiteWise endpoint URL.
    pub fn url(&self) -> &str {
        &self.stub.url
    }

    /// Whether an entry was throttled.
    pub fn throttled(&self) -> bool {
        self.throttled.load(Ordering::SeqCst)
    }

    /// The entries of each call answered so far, in order.
    ///
    /// # Panics
    /// When a call was not a BatchPutAssetPropertyValue as the SDK sends it (POST /properties to
    /// the `data.` host prefix, a JSON body with `entries`).
    pub fn calls(&self) -> Vec<Vec<Value>> {
        let requests = self
            .stub
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        requests
            .iter()
            .map(|r| {
                assert_eq!(
                    (r.method.as_str(), r.path.as_str()),
                    ("POST", "/properties")
                );
                assert!(
                    r.host.starts_with("data.127.0.0.1"),
                    "the SDK's data. host prefix: {}",
                    r.host
                );
                let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
                body["entries"].as_array().expect("entries").clone()
            })
            .collect()
    }
}

fn answer(
    body: &[u8],
    missing: &str,
    throttle_once: &str,
    throttled: &AtomicBool,
) -> (u16, String) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, json!({"message": "body is not JSON"}).to_string());
    };
    let entries = request["entries"].as_array().cloned().unwrap_or_default();
    if entries.is_empty() || entries.len() > 10 {
        return (400, json!({"message": "1 to 10 entries"}).to_string());
    }
    let mut errors = Vec::new();
    for e in &entries {
        let alias = e["propertyAlias"].as_str().unwrap_or_default();
        let error = |code: &str, message: &str| {
            json!({"entryId": e["entryId"], "errors": [{"errorCode": code,
                "errorMessage": message, "timestamps": [e["propertyValues"][0]["timestamp"]]}]})
        };
        if alias.contains(missing) {
            errors.push(error(
                "ResourceNotFoundException",
                "no property with this alias",
            ));
        } else if alias.contains(throttle_once) && !throttled.swap(true, Ordering::SeqCst) {
            errors.push(error("ThrottlingException", "slow down"));
        }
    }
    (200, json!({"errorEntries": errors}).to_string())
}
