//! Pasted addresses: how the time to split and parse what a person pasted grows with its size,
//! from 1 KiB to 1 MiB (doubling), on adversarial and normal text (issue 14, part 1).
//!
//! For each kind of text and each size, three timings, each the median of up to `--runs` runs
//! (fewer when one cell would take longer than `--budget` seconds; at least one):
//!
//! - `parse_pasted` as the invite use case calls it (at most 50 entries, 64 KiB);
//! - `parse_pasted_within` with no bounds at all: the splitter and the parser over the whole
//!   text, the figure that must grow linearly;
//! - the whole invite request through the HTTP handler (`api::handle`, with an API Gateway event
//!   built by the test harness) on the embedded store, signed in as the workgroup's
//!   administrator, and the status it answered.
//!
//! The last column divides the unbounded time by the size: flat when the work is linear.
//!
//! cargo run --release -p bench --bin paste [-- [--max-kib K] [--runs R] [--budget SECONDS]
//!     [--kinds angles,words,addresses] [--sizes BYTES,...]]
//!
//! `--sizes` times the sizes given (in bytes) instead of 1 KiB, 2 KiB, … `--max-kib`.

use std::{
    cell::Cell,
    time::{Duration, Instant},
};

use domain::address::{PasteLimits, parse_pasted, parse_pasted_within};
use serde_json::json;
use tests::harness::Harness;

const USAGE: &str = "usage: paste [--max-kib K] [--runs R] [--budget SECONDS] \
                     [--kinds angles,words,addresses] [--sizes BYTES,...]";
const ADMIN: &str = "ada@example.com";

/// Text of exactly `bytes` bytes of one kind.
fn text(kind: &str, bytes: usize) -> String {
    let unit_of = |i: usize| match kind {
        // The input: every `<` used to rescan the rest of the text for a `>`.
        "angles" => "<".to_owned(),
        // Words without `@`: a display name that never ends, held until the segment ends.
        "words" => "x ".to_owned(),
        // What people paste: addresses separated by a comma and a space.
        "addresses" => format!("a{i:05}@example.com, "),
        other => panic!("unknown kind {other}\n{USAGE}"),
    };
    let mut out = String::with_capacity(bytes + 32);
    let mut i = 0;
    while out.len() < bytes {
        out.push_str(&unit_of(i));
        i += 1;
    }
    out.truncate(bytes);
    out
}

/// The median of up to `runs` timings of `run`, as many as fit in `budget` (at least one).
async fn median<F, Fut>(runs: usize, budget: Duration, mut run: F) -> (Duration, usize)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < runs && (times.is_empty() || started.elapsed() < budget) {
        let at = Instant::now();
        run().await;
        times.push(at.elapsed());
    }
    times.sort();
    (times[times.len() / 2], times.len())
}

fn ms(time: Duration) -> String {
    let ms = time.as_secs_f64() * 1e3;
    match ms {
        m if m >= 100.0 => format!("{m:.0}"),
        m if m >= 1.0 => format!("{m:.2}"),
        m if m >= 0.0001 => format!("{m:.4}"),
        _ => "< 0.0001".to_owned(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut max_kib = 1024;
    let mut runs = 5;
    let mut budget = Duration::from_secs(20);
    let mut kinds = vec!["angles".to_owned(), "words".into(), "addresses".into()];
    let mut sizes: Option<Vec<usize>> = None;
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut args = raw.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--max-kib" => max_kib = value().parse().expect(USAGE),
            "--runs" => runs = value().parse().expect(USAGE),
            "--budget" => budget = Duration::from_secs(value().parse().expect(USAGE)),
            "--kinds" => kinds = value().split(',').map(str::to_owned).collect(),
            "--sizes" => {
                sizes = Some(
                    value()
                        .split(',')
                        .map(|n| n.parse().expect(USAGE))
                        .collect(),
                )
            }
            _ => panic!("{USAGE}"),
        }
    }

    let h = Harness::new();
    let wg = h.workgroup(ADMIN, "Bench").await;
    let path = format!("/workgroups/{wg}/invitations");
    let unbounded = PasteLimits {
        entries: usize::MAX,
        bytes: usize::MAX,
    };

    for kind in &kinds {
        println!("\n`{kind}` (median ms of the runs; µs/KiB = unbounded ÷ size)\n");
        println!(
            "| size | `parse_pasted` (API bounds) | unbounded | µs/KiB | whole request (status) | runs |"
        );
        println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
        let sizes = sizes.clone().unwrap_or_else(|| {
            std::iter::successors(Some(1024), |bytes| Some(bytes * 2))
                .take_while(|bytes| *bytes <= max_kib * 1024)
                .collect()
        });
        for bytes in sizes {
            let input = text(kind, bytes);
            let inputs = [input.as_str()];
            let (api, n1) = median(runs, budget, || async {
                std::hint::black_box(parse_pasted(std::hint::black_box(&inputs), 50)).ok();
            })
            .await;
            let (all, n2) = median(runs, budget, || async {
                std::hint::black_box(parse_pasted_within(
                    std::hint::black_box(&inputs),
                    unbounded,
                ))
                .ok();
            })
            .await;
            let status = Cell::new(0);
            let (h, path, status_of) = (&h, &path, &status);
            let (request, n3) = median(runs, budget, move || {
                let body = json!({ "emails": input, "role": "associate" });
                async move {
                    let answer = h.call("POST", path, Some(ADMIN), Some(body)).await;
                    status_of.set(answer.status);
                }
            })
            .await;
            let status = status.get();
            let per_kib = all.as_secs_f64() * 1e6 * 1024.0 / bytes as f64;
            let size = if bytes.is_multiple_of(1024) {
                format!("{} KiB", bytes / 1024)
            } else {
                format!("{bytes} B")
            };
            println!(
                "| {size} | {} | {} | {per_kib:.1} | {} ({status}) | {} |",
                ms(api),
                ms(all),
                ms(request),
                n1.min(n2).min(n3)
            );
        }
    }
}
