//! The latency benches' shared report: percentiles of the three interleaved series (the
//! command, its bare serial exchange, the emulator's own work) and the table that puts the
//! host's share and the command / serial ratio side by side. Printed, never asserted.
//!
//! The host's share is a series of its own: sample `i` of the three series is measured in the
//! same iteration, so `command[i] - serial[i] - emulator[i]` is what the host added to that one
//! command, and its percentiles are taken over those differences. (Differences of separately
//! taken percentiles, as reported before, can even put a p99 below the p50.)

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

/// The percentiles of what the host added to each command: `command[i] - serial[i] -
/// emulator[i]` in microseconds, per iteration (signed: on a loaded machine one baseline sample
/// can exceed its command).
pub struct HostAdded {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// Summarises the per-sample differences of three series of the same, non-zero length.
pub fn host_added(command: &[Duration], serial: &[Duration], emulator: &[Duration]) -> HostAdded {
    assert!(
        command.len() == serial.len() && serial.len() == emulator.len() && !command.is_empty(),
        "the three series must be interleaved samples of one run"
    );
    let mut added: Vec<f64> = command
        .iter()
        .zip(serial)
        .zip(emulator)
        .map(|((c, s), e)| us(*c) - us(*s) - us(*e))
        .collect();
    added.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| added[((added.len() - 1) as f64 * q).round() as usize];
    HostAdded {
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
        mean: added.iter().sum::<f64>() / added.len() as f64,
    }
}

/// Microseconds, for printing.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Prints one study: the three series by name, then host-added (the percentiles of command −
/// serial − emulator taken per sample, see [`host_added`]) and the ratio command / serial.
pub fn print_study(
    title: &str,
    names: [&str; 3],
    command: Vec<Duration>,
    serial: Vec<Duration>,
    emulator: Vec<Duration>,
) {
    let added = host_added(&command, &serial, &emulator);
    let (c, s, e) = (
        percentiles(command),
        percentiles(serial),
        percentiles(emulator),
    );
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
    println!(
        "{:<36} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        "host-added (per sample)", added.p50, added.p99, added.max, added.mean
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
