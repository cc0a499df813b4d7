//! `tamhub sla eval` throughput on one thread: generates deterministic section-3 scenarios
//! (30-day histories; see support/scenario_generator.rs) and times `write_answer_line` (what
//! `tamhub sla eval` runs per line) and `eval_line` over all of them.
//! Prints figures; asserts nothing about time.
//!
//! `cargo bench -p tamhub-domain --bench sla_eval` (`TAMHUB_BENCH_SCENARIOS` to change the
//! count, default 100,000; `TAMHUB_BENCH_RUNS`, default 3).

use std::hint::black_box;
use std::time::Instant;

use tamhub_domain::sla::scenario::{eval_line, write_answer_line};

#[path = "support/scenario_generator.rs"]
mod scenario_generator;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let count = env_number("TAMHUB_BENCH_SCENARIOS", 100_000);
    let runs = env_number("TAMHUB_BENCH_RUNS", 3).max(1);
    let lines: Vec<String> = (0..count).map(|n| scenario_generator::scenario(1, n)).collect();
    let input_bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let events: usize = lines.iter().map(|l| l.matches("\"kind\":").count()).sum();
    println!(
        "sla_eval: {count} scenarios, {:.1} MB of input, {:.1} events per scenario",
        input_bytes as f64 / 1e6,
        events as f64 / count as f64
    );

    // Warm up caches and the allocator on the first thousand.
    for line in lines.iter().take(1_000) {
        black_box(eval_line(line));
    }

    let mut rates = Vec::new();
    let mut buffer = Vec::with_capacity(1 << 16);
    for run in 1..=runs {
        let started = Instant::now();
        let mut output_bytes = 0usize;
        for line in &lines {
            // As `tamhub sla eval` does: answers appended to one reused buffer.
            buffer.clear();
            write_answer_line(black_box(line), &mut buffer);
            output_bytes += buffer.len();
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = count as f64 / seconds;
        rates.push(rate);
        println!(
            "run {run}: {seconds:.3} s, {rate:.0} scenarios/s, {:.2} µs/scenario, {:.1} MB out",
            seconds * 1e6 / count as f64,
            output_bytes as f64 / 1e6
        );
    }
    rates.sort_by(f64::total_cmp);
    println!("write_answer_line, one thread: median {:.0} scenarios/s over {runs} runs", rates[rates.len() / 2]);

    // eval_line allocates a String per answer; shown for comparison.
    let started = Instant::now();
    let errors = lines.iter().filter(|line| eval_line(black_box(line)).starts_with("{\"error\"")).count();
    let seconds = started.elapsed().as_secs_f64();
    println!("eval_line, one thread: {:.0} scenarios/s ({errors} error answers)", count as f64 / seconds);
}
