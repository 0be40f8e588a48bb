//! Bad credentials against moto with its IAM authentication switched on: the export with a key
//! moto does not know dead-letters its records with the refusal as the reason (a permanent
//! error, not an endless retry), while an export with a valid key on the same moto delivers
//! every record exactly once.

use crate::moto::{Moto, python};
use crate::{bounded, counter, drain_env, export, open_store, records, until_empty};
use serde_json::json;
use std::time::Duration;
use stream_uploader::drain;
use stream_uploader::export::kinesis::KinesisExporter;
use stream_uploader::validate::PartitionKey;
use tokio_util::sync::CancellationToken;

/// Creates the stream and an IAM user allowed to use Kinesis, prints its key, then switches
/// moto's authentication on (every later request must be signed with a key IAM knows).
const SETUP: &str = r#"
import json, sys, urllib.request, boto3
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
boto3.client("kinesis", **kw).create_stream(StreamName="creds", ShardCount=1)
iam = boto3.client("iam", **kw)
iam.create_user(UserName="uploader")
iam.put_user_policy(UserName="uploader", PolicyName="kinesis", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="uploader")["AccessKey"]
urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=b"0",
                                              headers={"Content-Type": "text/plain"}))
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;

/// Switches moto's authentication off again (to read the stream back).
fn auth_off(url: &str) {
    let status = std::process::Command::new(python())
        .args(["-c", "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/moto-api/reset-auth', data=b'inf', headers={'Content-Type': 'text/plain'}))", url])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_moto_refuses_dead_letters_while_a_valid_key_delivers() {
    bounded(async {
        let moto = Moto::start();
        let out = std::process::Command::new(python())
            .args(["-c", SETUP, &moto.url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let (key, secret) = text.trim().split_once(' ').unwrap();

        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"type": "kinesis", "streamName": "creds", "batchIntervalMs": 0,
            "batchMaxRecords": 50, "retryInitialMs": 20, "retryMaxMs": 200});
        let good = export("good", cfg.clone());
        let bad = export("bad", cfg);
        let store = open_store(dir.path(), &[&good, &bad]);
        store.append(records("good", 0, 120)).await.unwrap();
        store.append(records("bad", 0, 120)).await.unwrap();
        let good_sdk = crate::moto::sdk_with_key(&moto.url, key, secret).await;
        let bad_sdk = crate::moto::sdk_with_key(&moto.url, "AKIAUNKNOWN000000000", "wrong").await;

        let stop = CancellationToken::new();
        let good_env = drain_env(&store, "good");
        let mut bad_env = drain_env(&store, "bad");
        let good_task = tokio::spawn(drain::run(
            good,
            KinesisExporter::new(&good_sdk, "creds", PartitionKey::Device, "gw1"),
            good_env.env.clone(),
            stop.clone(),
        ));
        let bad_task = tokio::spawn(drain::run(
            bad,
            KinesisExporter::new(&bad_sdk, "creds", PartitionKey::Device, "gw1"),
            bad_env.env.clone(),
            stop.clone(),
        ));
        until_empty(&store, "bad", Duration::from_secs(60)).await;
        until_empty(&store, "good", Duration::from_secs(60)).await;
        stop.cancel();
        good_task.await.unwrap();
        bad_task.await.unwrap();

        // Every refused record is a dead letter naming moto's refusal; none was sent.
        let mut letters = Vec::new();
        while let Ok(l) = bad_env.dead.try_recv() {
            letters.push(l);
        }
        assert_eq!(letters.len(), 120);
        let reason = letters[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("refused for good") && reason.contains("InvalidClientTokenId"),
            "{reason}"
        );
        assert_eq!(
            counter(&bad_env.metrics, "dropped_total", Some("rejected")),
            120.0
        );
        assert_eq!(bad_env.env.metrics.sent.get(), 0);
        assert_eq!(good_env.env.metrics.sent.get(), 120);

        auth_off(&moto.url);
        let (ids, _) = crate::kinesis::read_stream(&moto.url, "creds").await;
        assert_eq!(
            ids.len(),
            120,
            "only the valid key's records are in the stream"
        );
        assert!(ids.values().all(|n| *n == 1));
    })
    .await;
}
