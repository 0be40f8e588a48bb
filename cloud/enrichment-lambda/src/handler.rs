//! One invocation, start to end: decode → de-duplicate → look devices up → enrich → SiteWise →
//! dead letters and readings to S3 → remember processed ids → report the records to retry.
//!
//! Only an output that failed (SiteWise throttled or down, S3 or DynamoDB unreachable) fails a
//! record; anything wrong with the data is dead-lettered and the record succeeds, so a bad
//! record never blocks its shard.

use crate::dead_letter::DeadLetterLine;
use crate::dedup::DedupTable;
use crate::directory::{Directory, Lookup};
use crate::enrich::enrich;
use crate::envelope::{self, Content, Envelope, Malformed};
use crate::event::{
    BatchItemFailure, BatchResponse, Invocation, KinesisData, KinesisEvent, KinesisEventRecord,
};
use crate::output::{LakeWriter, json_lines, object_key};
use crate::row::{ReadingRow, dt_of};
use crate::settings::Settings;
use crate::sitewise::{Sent, SiteWise};
use crate::summary::Summary;
use crate::work::Work;
use base64::Engine;
use std::collections::{BTreeMap, HashMap};

/// The enrichment handler; one per process, shared by all invocations (its device cache
/// survives between them).
#[derive(Debug)]
pub struct Handler {
    settings: Settings,
    directory: Directory,
    dedup: Option<DedupTable>,
    lake: LakeWriter,
    sitewise: Option<SiteWise>,
}

/// The AWS clients the handler uses.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Device metadata and dedup tables.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The processed bucket.
    pub s3: aws_sdk_s3::Client,
    /// SiteWise; used only when the settings name an alias template.
    pub sitewise: aws_sdk_iotsitewise::Client,
}

impl Handler {
    /// A handler for `settings` using `clients`.
    pub fn new(settings: Settings, clients: Clients) -> Self {
        Self {
            directory: Directory::new(
                clients.dynamodb.clone(),
                &settings.device_table,
                settings.metadata_ttl,
            ),
            dedup: settings
                .dedup_table
                .as_deref()
                .map(|t| DedupTable::new(clients.dynamodb.clone(), t, settings.dedup_ttl)),
            lake: LakeWriter::new(clients.s3, &settings.processed_bucket),
            sitewise: settings
                .sitewise_alias_template
                .as_deref()
                .map(|t| SiteWise::new(clients.sitewise, t)),
            settings,
        }
    }

    /// Handles any payload the function is invoked with. For a Kinesis event, the answer is the
    /// batch response. For the IoT alarm rule's direct call, an error when part of it must be
    /// retried (Lambda retries asynchronous calls that fail).
    ///
    /// # Errors
    ///
    /// Why a direct IoT rule invocation could not be completed.
    pub async fn handle(
        &self,
        payload: serde_json::Value,
        request_id: &str,
    ) -> Result<serde_json::Value, String> {
        match Invocation::classify(payload) {
            Invocation::Kinesis(event) => {
                let (response, _) = self.handle_kinesis(&event).await;
                Ok(serde_json::to_value(response).unwrap_or_default())
            }
            Invocation::IotRule(message) => {
                let record = KinesisEventRecord {
                    event_id: format!("iot-rule:{request_id}"),
                    kinesis: KinesisData {
                        data: base64::engine::general_purpose::STANDARD.encode(message.to_string()),
                        sequence_number: request_id.to_owned(),
                        ..KinesisData::default()
                    },
                    ..KinesisEventRecord::default()
                };
                let event = KinesisEvent {
                    records: vec![record],
                };
                let (response, _) = self.handle_kinesis(&event).await;
                if response.batch_item_failures.is_empty() {
                    Ok(serde_json::Value::Null)
                } else {
                    Err("the IoT rule message could not be stored; retry".into())
                }
            }
            Invocation::Unknown(why) => {
                tracing::error!(reason = %why, "ignoring an invocation of unknown shape");
                Ok(serde_json::Value::Null)
            }
        }
    }

    /// Handles a Kinesis batch: the records to retry, and what was done.
    pub async fn handle_kinesis(&self, event: &KinesisEvent) -> (BatchResponse, Summary) {
        let now = i64::try_from(edge_model::time::now_ms()).unwrap_or(i64::MAX);
        let mut summary = Summary {
            records: event.records.len() as u64,
            ..Summary::default()
        };
        let mut work: Vec<Work> = event
            .records
            .iter()
            .map(|r| Work {
                sequence: r.kinesis.sequence_number.clone(),
                shard: r.shard_id().to_owned(),
                ..Work::default()
            })
            .collect();

        let envelopes = self.decode_all(event, &mut work, &mut summary, now);
        let fresh = self
            .drop_duplicates(envelopes, &mut work, &mut summary, now)
            .await;
        self.enrich_all(fresh, &mut work, &mut summary, now).await;
        self.send_states(&mut work, &mut summary, now).await;
        self.write_letters(&mut work, now).await;
        self.write_rows(&mut work, &mut summary).await;
        self.remember(&work, &mut summary, now).await;

        let mut response = BatchResponse::default();
        for w in &work {
            if let Some(reason) = &w.retry {
                tracing::warn!(sequence = %w.sequence, %reason, "record will be retried");
                summary.failed_records += 1;
                response.batch_item_failures.push(BatchItemFailure {
                    item_identifier: w.sequence.clone(),
                });
            }
        }
        println!("{}", summary.emf_line(u64::try_from(now).unwrap_or(0)));
        (response, summary)
    }

    fn decode_all(
        &self,
        event: &KinesisEvent,
        work: &mut [Work],
        summary: &mut Summary,
        now: i64,
    ) -> Vec<(usize, Envelope)> {
        let mut envelopes = Vec::new();
        for (i, record) in event.records.iter().enumerate() {
            let bytes = match base64::engine::general_purpose::STANDARD
                .decode(record.kinesis.data.trim())
            {
                Ok(b) => b,
                Err(e) => {
                    let m = Malformed {
                        reason: format!("Kinesis data is not base64: {e}"),
                        payload: record.kinesis.data.chars().take(2048).collect(),
                        record_id: None,
                        topic: None,
                    };
                    work[i].malformed(summary, m, now);
                    continue;
                }
            };
            for decoded in envelope::decode(&bytes) {
                match decoded {
                    Ok(env) => {
                        summary.envelopes += 1;
                        envelopes.push((i, env));
                    }
                    Err(m) => work[i].malformed(summary, m, now),
                }
            }
        }
        envelopes
    }

    async fn drop_duplicates(
        &self,
        envelopes: Vec<(usize, Envelope)>,
        work: &mut [Work],
        summary: &mut Summary,
        now: i64,
    ) -> Vec<(usize, Envelope)> {
        let mut seen: HashMap<String, String> = HashMap::new();
        if let Some(dedup) = &self.dedup {
            let ids: Vec<String> = envelopes.iter().map(|(_, e)| e.record_id.clone()).collect();
            match dedup.seen(&ids).await {
                Ok(found) => seen = found,
                Err(reason) => {
                    for (i, _) in &envelopes {
                        work[*i].fail(reason.clone());
                    }
                    return Vec::new();
                }
            }
        }
        let mut fresh = Vec::new();
        for (i, env) in envelopes {
            let sequence = work[i].sequence.clone();
            match seen.get(&env.record_id) {
                Some(at) if *at == sequence => summary.redelivered += 1,
                Some(at) => {
                    summary.duplicates += 1;
                    let reason = format!(
                        "record id {} was already processed at sequence number {at}",
                        env.record_id
                    );
                    let line = work[i].letter(summary, "duplicate", &reason, now);
                    line.letter = line.letter.clone().with_topic(env.topic.clone());
                    line.record_id = Some(env.record_id.clone());
                }
                None => {
                    seen.insert(env.record_id.clone(), sequence);
                    fresh.push((i, env));
                }
            }
        }
        fresh
    }

    async fn enrich_all(
        &self,
        envelopes: Vec<(usize, Envelope)>,
        work: &mut [Work],
        summary: &mut Summary,
        now: i64,
    ) {
        for (i, env) in envelopes {
            if work[i].retry.is_some() {
                continue;
            }
            let (batch, machine_state) = match env.content() {
                Ok(Content::Readings {
                    batch,
                    machine_state,
                }) => (batch, machine_state),
                Ok(Content::Other(_)) => {
                    summary.other_kinds += 1;
                    work[i].done_ids.push(env.record_id);
                    continue;
                }
                Err(m) => {
                    work[i].malformed(summary, m, now);
                    work[i].done_ids.push(env.record_id);
                    continue;
                }
            };
            let device = batch.device().as_str().to_owned();
            let meta = match self.directory.lookup(&device).await {
                Ok(Lookup::Known(meta)) => meta,
                Ok(Lookup::Unknown) => {
                    let reason = format!(
                        "unknown device {device}: no items in {}",
                        self.settings.device_table
                    );
                    self.reject_batch(&mut work[i], summary, &env, "unknown-device", &reason, now);
                    continue;
                }
                Ok(Lookup::Invalid(why)) => {
                    let reason = format!("device {device}: {why}");
                    self.reject_batch(&mut work[i], summary, &env, "device-metadata", &reason, now);
                    continue;
                }
                Err(reason) => {
                    work[i].fail(reason);
                    continue;
                }
            };
            let enriched = enrich(&batch, &env.record_id, machine_state, &meta);
            let w = &mut work[i];
            for rejected in enriched.rejected {
                let line = w.letter(summary, rejected.rule, &rejected.reason, now);
                line.letter = line
                    .letter
                    .clone()
                    .with_topic(env.topic.clone())
                    .with_reading(rejected.reading);
                line.record_id = Some(env.record_id.clone());
            }
            w.rows.extend(enriched.rows);
            w.states.extend(enriched.states);
            w.done_ids.push(env.record_id);
        }
    }

    fn reject_batch(
        &self,
        w: &mut Work,
        summary: &mut Summary,
        env: &Envelope,
        rule: &str,
        reason: &str,
        now: i64,
    ) {
        let payload = env
            .message
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let line = w.letter(summary, rule, reason, now);
        line.letter = line
            .letter
            .clone()
            .with_topic(env.topic.clone())
            .with_payload(&payload);
        line.record_id = Some(env.record_id.clone());
        w.done_ids.push(env.record_id.clone());
    }

    async fn send_states(&self, work: &mut [Work], summary: &mut Summary, now: i64) {
        let Some(sitewise) = &self.sitewise else {
            return;
        };
        let mut owners = Vec::new();
        let mut states = Vec::new();
        for (i, w) in work.iter().enumerate() {
            if w.retry.is_none() {
                for s in &w.states {
                    owners.push(i);
                    states.push(s.clone());
                }
            }
        }
        if states.is_empty() {
            return;
        }
        let results = sitewise.send(&states).await;
        for ((i, state), sent) in owners.into_iter().zip(&states).zip(results) {
            match sent {
                Sent::Stored => summary.states_sent += 1,
                Sent::Retry(reason) => work[i].fail(reason),
                Sent::Rejected(reason) => {
                    let line = work[i].letter(summary, "sitewise", &reason, now);
                    line.letter = line
                        .letter
                        .clone()
                        .with_topic(format!("factory/state/{}", state.device));
                }
            }
        }
    }

    async fn write_letters(&self, work: &mut [Work], now: i64) {
        let dt = dt_of(now);
        let owners: Vec<usize> = (0..work.len())
            .filter(|&i| work[i].retry.is_none() && !work[i].letters.is_empty())
            .collect();
        let Some((first, last)) = owners.first().zip(owners.last()) else {
            return;
        };
        let key = object_key(
            &self.settings.dead_letter_prefix,
            &dt,
            &work[*first].shard,
            &work[*first].sequence,
            &work[*last].sequence,
        );
        let lines: Vec<&DeadLetterLine> = owners.iter().flat_map(|&i| &work[i].letters).collect();
        let result = match json_lines(&lines) {
            Ok(body) => self.lake.put(&key, body).await,
            Err(e) => Err(format!("dead letters cannot be written as JSON: {e}")),
        };
        if let Err(reason) = result {
            for i in owners {
                work[i].fail(reason.clone());
            }
        }
    }

    async fn write_rows(&self, work: &mut [Work], summary: &mut Summary) {
        let mut by_dt: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for (i, w) in work.iter().enumerate() {
            if w.retry.is_none() {
                for (j, row) in w.rows.iter().enumerate() {
                    by_dt.entry(row.dt()).or_default().push((i, j));
                }
            }
        }
        for (dt, cells) in by_dt {
            let (Some((first, _)), Some((last, _))) = (cells.first(), cells.last()) else {
                continue;
            };
            let key = object_key(
                &self.settings.readings_prefix,
                &dt,
                &work[*first].shard,
                &work[*first].sequence,
                &work[*last].sequence,
            );
            let rows: Vec<&ReadingRow> = cells.iter().map(|&(i, j)| &work[i].rows[j]).collect();
            let result = match json_lines(&rows) {
                Ok(body) => self.lake.put(&key, body).await,
                Err(e) => Err(format!("rows cannot be written as JSON: {e}")),
            };
            match result {
                Ok(()) => summary.readings_written += rows.len() as u64,
                Err(reason) => {
                    for (i, _) in cells {
                        work[i].fail(reason.clone());
                    }
                }
            }
        }
    }

    async fn remember(&self, work: &[Work], summary: &mut Summary, now: i64) {
        let Some(dedup) = &self.dedup else {
            return;
        };
        let entries: Vec<(String, String)> = work
            .iter()
            .filter(|w| w.retry.is_none())
            .flat_map(|w| w.done_ids.iter().map(|id| (id.clone(), w.sequence.clone())))
            .collect();
        if entries.is_empty() {
            return;
        }
        let now_s = u64::try_from(now / 1000).unwrap_or(0);
        if let Err(reason) = dedup.mark(&entries, now_s).await {
            summary.dedup_mark_errors += 1;
            tracing::warn!(%reason, "processed record ids not stored; later duplicates of them will pass");
        }
    }
}
