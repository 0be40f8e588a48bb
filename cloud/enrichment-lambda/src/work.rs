//! What happens to one Kinesis record during an invocation: the rows, states and dead letters it
//! produced, the record ids it finished, and why it must be retried, if it must.

use crate::dead_letter::{DeadLetterLine, letter};
use crate::enrich::StateValue;
use crate::envelope::Malformed;
use crate::row::ReadingRow;
use crate::summary::Summary;

/// Work on one Kinesis record.
#[derive(Debug, Default)]
pub struct Work {
    /// The Kinesis sequence number (the batch response names the record by it).
    pub sequence: String,
    /// The shard, for object keys and dead letters.
    pub shard: String,
    /// Why the record must be retried; `None` while it is fine.
    pub retry: Option<String>,
    /// Lake rows it produced.
    pub rows: Vec<ReadingRow>,
    /// Machine states it produced for SiteWise.
    pub states: Vec<StateValue>,
    /// Dead letters it produced.
    pub letters: Vec<DeadLetterLine>,
    /// Record ids it finished, remembered once its outputs are written.
    pub done_ids: Vec<String>,
}

impl Work {
    /// Adds a dead letter under `rule` and returns it for more detail.
    pub fn letter(
        &mut self,
        summary: &mut Summary,
        rule: &str,
        reason: &str,
        now: i64,
    ) -> &mut DeadLetterLine {
        summary.dead_letter(rule);
        self.letters.push(DeadLetterLine {
            letter: letter(rule, reason, now),
            record_id: None,
            sequence_number: self.sequence.clone(),
            shard_id: self.shard.clone(),
        });
        let last = self.letters.len() - 1;
        &mut self.letters[last]
    }

    /// Adds the dead letter of something that could not be read.
    pub fn malformed(&mut self, summary: &mut Summary, m: Malformed, now: i64) {
        let line = self.letter(summary, "malformed", &m.reason, now);
        line.letter = line.letter.clone().with_payload(&m.payload);
        if let Some(topic) = m.topic {
            line.letter = line.letter.clone().with_topic(topic);
        }
        line.record_id = m.record_id;
    }

    /// Marks the record for retry (the first reason wins).
    pub fn fail(&mut self, reason: String) {
        if self.retry.is_none() {
            self.retry = Some(reason);
        }
    }
}
