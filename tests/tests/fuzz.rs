//! The fuzz targets (`fuzz/`: address parsing and splitting, token decoding, cursor decoding),
//! each run briefly with libFuzzer, coverage-guided: a panic or a failed property fails the
//! test, and libFuzzer leaves the input that did it in `fuzz/artifacts/<target>/`. No
//! sanitizer: the machine's one toolchain is stable, which cannot build AddressSanitizer, and
//! the code fuzzed has no `unsafe`. Longer runs: `cd fuzz && cargo fuzz run --sanitizer none <target> --
//! -max_total_time=600`.

use tests::robustness::cargo_fuzz;

const TARGETS: [&str; 4] = [
    "address_parsing",
    "address_splitting",
    "token_decoding",
    "cursor_decoding",
];

#[test]
fn the_parsers_survive_ten_seconds_of_fuzzing_each() {
    for target in TARGETS {
        let output = cargo_fuzz()
            .args(["run", "--sanitizer", "none", target, "--"])
            // A fixed seed: a failure here reproduces with the same command.
            .args(["-max_total_time=10", "-seed=1", "-print_final_stats=1"])
            .output()
            .expect("cargo fuzz runs");
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "fuzzing {target} failed:\n{}",
            log.lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
        let runs = log
            .lines()
            .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no run count for {target}:\n{log}"));
        assert!(runs > 1000, "{target}: only {runs} runs");
        println!("{target}: {runs} inputs in 10 s");
    }
}
