//! Prints deterministic `tamhub sla eval` scenarios, one JSON line each, for measuring the real
//! binary end to end:
//!
//! ```bash
//! cargo run --release -p tamhub-domain --example sla_scenarios > /tmp/s.jsonl      # 100,000 lines
//! time target/release/tamhub sla eval < /tmp/s.jsonl > /dev/null
//! ```
//!
//! Arguments: `[count] [seed]` (defaults 100000 and 1, the benchmark's series).

use std::io::Write;

#[path = "../benches/support/scenario_generator.rs"]
mod scenario_generator;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let count = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000u64);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1u64);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for n in 0..count {
        writeln!(out, "{}", scenario_generator::scenario(seed, n))?;
    }
    out.flush()
}
