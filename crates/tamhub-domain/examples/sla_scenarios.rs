//! Prints deterministic `tamhub sla eval` scenarios, one JSON line each, for measuring the real
//! binary end to end:
//!
//! ```bash
//! cargo run --release -p tamhub-domain --example sla_scenarios > /tmp/s.jsonl      # 100,000 lines
//! time target/release/tamhub sla eval < /tmp/s.jsonl > /dev/null
//! ```
//!
//! Arguments: `[count] [seed] [mix]` (defaults 100000, 1 and `heavy`, the benchmark's series;
//! the mix is `heavy` or `typical`, see benches/support/scenario_generator.rs).

use std::io::Write;

#[path = "../benches/support/scenario_generator.rs"]
mod scenario_generator;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let count = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000u64);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1u64);
    let mix = match args.next() {
        None => scenario_generator::Mix::Heavy,
        Some(name) => scenario_generator::Mix::parse(&name)
            .ok_or_else(|| std::io::Error::other(format!("mix: expected heavy or typical, got {name:?}")))?,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for n in 0..count {
        writeln!(out, "{}", scenario_generator::scenario(mix, seed, n))?;
    }
    out.flush()?;
    eprintln!("{count} scenarios of the {} mix, seed {seed}", mix.name());
    Ok(())
}
