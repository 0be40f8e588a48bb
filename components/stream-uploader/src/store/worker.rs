//! The thread that owns the SQLite connection. Async callers send requests over a bounded
//! channel and get replies on oneshots; appends waiting in the channel are merged into one
//! transaction (group commit), so many small messages share one fsync.

use super::{AppendReport, NewRecord, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Requests queued ahead of the store thread; producers wait (back-pressure) beyond this.
const CHANNEL_CAPACITY: usize = 1024;
/// Most records merged into one append transaction.
const MAX_GROUP_RECORDS: usize = 20_000;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

enum Request {
    Append(
        Vec<NewRecord>,
        oneshot::Sender<Result<AppendReport, StoreError>>,
    ),
    Call(Job),
}

/// Cheap-to-clone async handle to the store thread.
#[derive(Clone)]
pub struct StoreHandle {
    tx: mpsc::Sender<Request>,
    store_id: std::sync::Arc<str>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHandle")
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

/// Moves `store` onto its own thread and returns the handle. The thread ends when every
/// handle is dropped.
pub fn spawn(store: Store) -> std::io::Result<StoreHandle> {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let store_id = std::sync::Arc::from(store.store_id());
    std::thread::Builder::new()
        .name("queue-store".into())
        .spawn(move || serve(store, rx))?;
    Ok(StoreHandle { tx, store_id })
}

impl StoreHandle {
    /// The store's id (part of every record id).
    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// Appends durably; returns once the transaction holding the records is committed.
    pub async fn append(&self, records: Vec<NewRecord>) -> Result<AppendReport, StoreError> {
        self.submit_append(records).await?.committed().await
    }

    /// Queues an append and returns without waiting for its commit, so a caller can hand over
    /// the next batch while this one is being written: batches queued meanwhile share the next
    /// transaction (one fsync). The records are durable only once [`PendingAppend::committed`]
    /// returns `Ok`.
    pub async fn submit_append(
        &self,
        records: Vec<NewRecord>,
    ) -> Result<PendingAppend, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Append(records, reply))
            .await
            .map_err(|_| StoreError::Stopped)?;
        Ok(PendingAppend(rx))
    }

    /// Runs `f` on the store thread and returns its result.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            let _receiver_gone = reply.send(f(store));
        });
        self.tx
            .send(Request::Call(job))
            .await
            .map_err(|_| StoreError::Stopped)?;
        rx.await.map_err(|_| StoreError::Stopped)?
    }
}

/// An append handed to the store thread, not yet known to be committed.
#[derive(Debug)]
pub struct PendingAppend(oneshot::Receiver<Result<AppendReport, StoreError>>);

impl PendingAppend {
    /// Waits for the transaction holding the records: `Ok` means they are durable.
    pub async fn committed(self) -> Result<AppendReport, StoreError> {
        self.0.await.map_err(|_| StoreError::Stopped)?
    }
}

fn serve(mut store: Store, mut rx: mpsc::Receiver<Request>) {
    let mut pending: Option<Request> = None;
    loop {
        let request = match pending.take() {
            Some(r) => r,
            None => match rx.blocking_recv() {
                Some(r) => r,
                None => return,
            },
        };
        match request {
            Request::Call(job) => job(&mut store),
            Request::Append(records, reply) => {
                let mut group = vec![(records, reply)];
                let mut count = group[0].0.len();
                while count < MAX_GROUP_RECORDS {
                    match rx.try_recv() {
                        Ok(Request::Append(r, reply)) => {
                            count += r.len();
                            group.push((r, reply));
                        }
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                append_group(&mut store, group);
            }
        }
    }
}

type Waiter = oneshot::Sender<Result<AppendReport, StoreError>>;

/// One transaction for the whole group; each caller gets its own slice of the results.
fn append_group(store: &mut Store, mut group: Vec<(Vec<NewRecord>, Waiter)>) {
    let lens: Vec<usize> = group.iter().map(|(r, _)| r.len()).collect();
    let all: Vec<NewRecord> = group
        .iter_mut()
        .flat_map(|(r, _)| std::mem::take(r))
        .collect();
    match store.append(&all) {
        Ok(report) => {
            let mut results = report.results.into_iter();
            let mut overwritten = Some(report.overwritten);
            for ((_, reply), len) in group.into_iter().zip(lens) {
                let part = AppendReport {
                    results: results.by_ref().take(len).collect(),
                    // Reported once, with the first caller.
                    overwritten: overwritten.take().unwrap_or_default(),
                };
                let _receiver_gone = reply.send(Ok(part));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for (_, reply) in group {
                let err = match &e {
                    StoreError::DiskFull(_) => StoreError::DiskFull(msg.clone()),
                    StoreError::Corrupt(_) => StoreError::Corrupt(msg.clone()),
                    _ => StoreError::Other(msg.clone()),
                };
                let _receiver_gone = reply.send(Err(err));
            }
        }
    }
}
