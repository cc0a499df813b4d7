//! `tamhub sla eval` throughput on one thread: generates deterministic section-3 scenarios (the
//! `typical` and `heavy` mixes of support/scenario_generator.rs, histories of up to 30 days) and
//! times `write_answer_line` (what `tamhub sla eval` runs per line) over all of them.
//! Prints figures; asserts nothing about time. Rates are per second of the thread's CPU time
//! where Linux reports it (wall time is shown too), so a busy machine does not halve them.
//!
//! `cargo bench -p tamhub-domain --bench sla_eval` (`TAMHUB_BENCH_SCENARIOS` to change the
//! count, default 100,000; `TAMHUB_BENCH_RUNS`, default 3; `TAMHUB_BENCH_MIX=heavy|typical` for
//! one mix only).

use std::hint::black_box;
use std::time::Instant;

use tamhub_domain::sla::scenario::{eval_line, write_answer_line};

#[path = "support/scenario_generator.rs"]
mod scenario_generator;
use scenario_generator::Mix;

/// The allocator of the `tamhub` binary, so figures match what `tamhub sla eval` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// This thread's CPU time in seconds where Linux tells it: on a shared machine wall time also
/// counts other processes' turns.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let count = env_number("TAMHUB_BENCH_SCENARIOS", 100_000);
    let runs = env_number("TAMHUB_BENCH_RUNS", 3).max(1);
    let mixes = match std::env::var("TAMHUB_BENCH_MIX") {
        Ok(name) => vec![Mix::parse(&name).expect("TAMHUB_BENCH_MIX: heavy or typical")],
        Err(_) => vec![Mix::Typical, Mix::Heavy],
    };
    for mix in mixes {
        measure(mix, count, runs);
    }
}

fn measure(mix: Mix, count: u64, runs: u64) {
    let lines: Vec<String> = (0..count).map(|n| scenario_generator::scenario(mix, 1, n)).collect();
    let input_bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let events: usize = lines.iter().map(|l| l.matches("\"kind\":").count()).sum();
    let targets: usize = lines.iter().map(|l| l.matches("\"metric\":").count()).sum();
    println!(
        "sla_eval, {} mix: {count} scenarios, {:.1} MB of input, {:.1} events and {:.1} targets per scenario",
        mix.name(),
        input_bytes as f64 / 1e6,
        events as f64 / count as f64,
        targets as f64 / count as f64
    );

    // Warm up caches and the allocator on the first thousand.
    for line in lines.iter().take(1_000) {
        black_box(eval_line(line));
    }

    let mut rates = Vec::new();
    let mut buffer = Vec::with_capacity(1 << 16);
    for run in 1..=runs {
        let started = Instant::now();
        let cpu_started = cpu_seconds();
        let mut output_bytes = 0usize;
        for line in &lines {
            // As `tamhub sla eval` does: answers appended to one reused buffer.
            buffer.clear();
            write_answer_line(black_box(line), &mut buffer);
            output_bytes += buffer.len();
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = cpu_started.zip(cpu_seconds()).map(|(a, b)| b - a);
        // Scenarios per second of this thread's CPU time when known, else of wall time.
        let rate = count as f64 / cpu.unwrap_or(seconds);
        rates.push(rate);
        let cpu_text = cpu.map_or(String::new(), |c| format!(", {c:.3} s CPU"));
        println!(
            "  run {run}: {seconds:.3} s wall{cpu_text}, {rate:.0} scenarios/s, {:.2} µs/scenario, {:.1} MB out",
            1e6 / rate,
            output_bytes as f64 / 1e6
        );
    }
    rates.sort_by(f64::total_cmp);
    println!("  write_answer_line, one thread: median {:.0} scenarios/s over {runs} runs", rates[rates.len() / 2]);
}
