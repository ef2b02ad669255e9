//! The local stand-in for EventBridge: events the embedded store recorded are appended, in the
//! order written, to `events.jsonl` in the data folder, one JSON object per line (the same
//! JSON the AWS publisher sends as each event's `detail`). A line is written before its event
//! is marked published, so a crash in between writes it again: readers dedupe by `id`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::store::EmbeddedStore;

/// Events read per batch.
const BATCH: usize = 100;

/// How often the server looks for new events.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// Appends the store's unpublished events to `file`; how many it appended.
pub async fn publish(store: &EmbeddedStore, file: &Path) -> Result<usize, String> {
    let mut published = 0;
    loop {
        let events = store
            .unpublished_events(BATCH)
            .await
            .map_err(|e| format!("cannot read the events to publish: {e}"))?;
        let Some((last, _)) = events.last() else {
            return Ok(published);
        };
        let last = *last;
        let mut lines = String::new();
        for (_, event) in &events {
            let line = serde_json::to_string(event).map_err(|e| e.to_string())?;
            lines.push_str(&line);
            lines.push('\n');
        }
        let cannot = |e: std::io::Error| format!("cannot append to {}: {e}", file.display());
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        // Events name people and their addresses: readable by the owner only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(file).map_err(cannot)?;
        out.write_all(lines.as_bytes()).map_err(cannot)?;
        out.sync_data().map_err(cannot)?;
        store
            .mark_published(last)
            .await
            .map_err(|e| format!("cannot mark events published: {e}"))?;
        published += events.len();
    }
}

/// Publishes every [`PUBLISH_EVERY`] until the process ends. Only the embedded store publishes
/// here; with DynamoDB, the deployment's stream publisher does.
pub fn spawn_publisher(store: EmbeddedStore, file: PathBuf) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PUBLISH_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = publish(&store, &file).await {
                tracing::warn!(%error, "events not published yet");
            }
        }
    });
}
