//! The latency benches' shared report: percentiles of the three interleaved series (the
//! command, its bare serial exchange, the emulator's own work) and the table that puts the
//! host's share and the command / serial ratio side by side. Printed, never asserted.

use std::time::Duration;

/// The summary of one series.
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

/// Summarises a non-empty series.
pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let total: Duration = samples.iter().sum();
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
        mean: total / samples.len() as u32,
    }
}

/// Microseconds, for printing.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Prints one study: the three series by name, then host-added (command − serial − emulator,
/// per percentile) and the ratio command / serial.
pub fn print_study(
    title: &str,
    names: [&str; 3],
    command: Vec<Duration>,
    serial: Vec<Duration>,
    emulator: Vec<Duration>,
) {
    let (c, s, e) = (
        percentiles(command),
        percentiles(serial),
        percentiles(emulator),
    );
    let added = |f: fn(&Percentiles) -> Duration| us(f(&c)) - us(f(&s)) - us(f(&e));
    println!("\n{title}");
    println!(
        "{:<36} {:>9} {:>9} {:>9} {:>9}",
        "", "p50", "p99", "max", "mean"
    );
    for (name, p) in names.into_iter().zip([&c, &s, &e]) {
        println!(
            "{name:<36} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            us(p.p50),
            us(p.p99),
            us(p.max),
            us(p.mean)
        );
    }
    // Below zero the baseline's own spread (machine load) is larger than what is measured.
    let shown = |v: f64| {
        if v < 0.0 {
            "noise".to_string()
        } else {
            format!("{v:.1}")
        }
    };
    println!(
        "{:<36} {:>9} {:>9} {:>9} {:>9}",
        "host-added = command - serial - emu",
        shown(added(|p| p.p50)),
        shown(added(|p| p.p99)),
        "",
        shown(added(|p| p.mean))
    );
    println!(
        "{:<36} {:>9.2} {:>9.2} {:>9} {:>9.2}",
        "ratio command / serial",
        us(c.p50) / us(s.p50),
        us(c.p99) / us(s.p99),
        "",
        us(c.mean) / us(s.mean)
    );
}
