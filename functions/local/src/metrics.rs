//! The business metrics, locally: what the server and its subcommands record is appended to
//! `metrics.jsonl` in the data folder as the same EMF lines the functions write (with
//! `Function` = `local`), and `GET /metrics` sums that file in Prometheus's text format for a
//! quick look. Only the local server serves it; it is not part of the API.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io::{self, Write as _},
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use domain::metrics::{Metric, Unit};
use serde_json::Value;

/// The `Function` dimension of everything recorded here.
pub const FUNCTION: &str = "local";

/// How often the server writes what it recorded.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// One writer at a time, so a line is never split by another.
static WRITING: Mutex<()> = Mutex::new(());

/// Appends what the process recorded since the last flush to `file`, as one EMF line.
pub fn flush(file: &Path) -> io::Result<()> {
    let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
    let now = chrono::Utc::now().timestamp_millis();
    let invocation = aws::emf::Invocation::default();
    let Some(document) = aws::emf::document(FUNCTION, invocation, now, &domain::metrics::take())
    else {
        return Ok(());
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    // As every file of the data folder.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    writeln!(options.open(file)?, "{document}")
}

/// Flushes every [`FLUSH_EVERY`] until the process ends.
pub fn spawn_flusher(file: PathBuf) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FLUSH_EVERY);
        loop {
            ticks.tick().await;
            if let Err(error) = flush(&file) {
                tracing::warn!(%error, file = %file.display(), "metrics not written");
            }
        }
    });
}

/// The sums of every EMF line of `file` (none if it does not exist yet) in Prometheus's text
/// format: a counter per count metric, a summary's `_sum` and `_count` per time metric, each by
/// `function`. Every metric is listed, at zero if nothing recorded it.
pub fn prometheus(file: &Path) -> io::Result<String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    // (sum, values) by metric and function.
    let mut sums: BTreeMap<(Metric, String), (f64, u64)> = BTreeMap::new();
    for document in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let function = document["Function"].as_str().unwrap_or(FUNCTION).to_owned();
        for metric in Metric::ALL {
            let values: Vec<f64> = match &document[metric.name()] {
                Value::Number(n) => n.as_f64().into_iter().collect(),
                Value::Array(items) => items.iter().filter_map(Value::as_f64).collect(),
                _ => continue,
            };
            let entry = sums.entry((metric, function.clone())).or_default();
            entry.0 += values.iter().sum::<f64>();
            entry.1 += values.len() as u64;
        }
    }
    let mut out = String::new();
    for metric in Metric::ALL {
        let mut seen: Vec<(&str, (f64, u64))> = sums
            .iter()
            .filter(|((m, _), _)| *m == metric)
            .map(|((_, function), sum)| (function.as_str(), *sum))
            .collect();
        if seen.is_empty() {
            seen.push((FUNCTION, (0.0, 0)));
        }
        let name = snake_case(metric.name());
        // Writing to a `String` cannot fail.
        match metric.unit() {
            Unit::Count => {
                let _ = writeln!(out, "# TYPE {name}_total counter");
                for (function, (sum, _)) in seen {
                    let _ = writeln!(out, "{name}_total{{function=\"{function}\"}} {sum}");
                }
            }
            unit => {
                let name = format!("{name}_{}", unit.as_str().to_ascii_lowercase());
                let _ = writeln!(out, "# TYPE {name} summary");
                for (function, (sum, count)) in seen {
                    let _ = writeln!(out, "{name}_sum{{function=\"{function}\"}} {sum}");
                    let _ = writeln!(out, "{name}_count{{function=\"{function}\"}} {count}");
                }
            }
        }
    }
    Ok(out)
}

/// `InvitationsSent` → `invitations_sent`.
fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_summed_by_metric_and_function() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("metrics.jsonl");
        let lines = [
            r#"{"_aws":{},"Function":"local","InvitationsSent":2,"TimeToAcceptance":[3,4]}"#,
            r#"{"_aws":{},"Function":"local","InvitationsSent":1,"TimeToAcceptance":5}"#,
            r#"{"_aws":{},"Function":"send","EmailsHandedOver":1}"#,
            "not json",
        ];
        std::fs::write(&file, lines.join("\n")).unwrap();
        let text = prometheus(&file).unwrap();
        for line in [
            "# TYPE invitations_sent_total counter",
            "invitations_sent_total{function=\"local\"} 3",
            "time_to_acceptance_seconds_sum{function=\"local\"} 12",
            "time_to_acceptance_seconds_count{function=\"local\"} 3",
            "emails_handed_over_total{function=\"send\"} 1",
            "invitations_declined_total{function=\"local\"} 0",
            "delivery_lag_milliseconds_count{function=\"local\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        assert_eq!(
            prometheus(&folder.path().join("none"))
                .unwrap()
                .lines()
                .count(),
            35
        );
    }
}
