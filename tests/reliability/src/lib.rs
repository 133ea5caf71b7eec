//! Reliability harnesses (crash safety, network faults), run against the emulator
//! *binary* by `make reliability` (CI sizes) and `make soak-crash` (full sizes). The tests live
//! in `tests/`; this library holds what they share: a fault-injecting TCP proxy, the sizes and
//! seed read from the environment, and process/runtime sampling (the emulator process comes
//! from `iothub-twin-test-support`).

pub mod ledger;
pub mod proxy;
pub mod sampling;
pub mod view;
pub mod writers;

use std::time::Duration;

use rand::SeedableRng as _;
use rand::rngs::StdRng;

/// A size from the environment (`RELIABILITY_KILLS`, ...), or `default` when unset.
///
/// # Panics
/// When the variable is set but not a number: a typo must not silently run the default.
pub fn env_size(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// A duration in seconds from the environment, or `default_secs`.
pub fn env_secs(name: &str, default_secs: u64) -> Duration {
    Duration::from_secs(env_size(name, default_secs))
}

/// The run's random generator: `RELIABILITY_SEED` or a fresh seed, printed either way so a
/// failing run can be replayed (timing still varies; the choices do not).
pub fn seeded_rng(harness: &str) -> (StdRng, u64) {
    let seed = env_size("RELIABILITY_SEED", rand::random::<u64>());
    println!("{harness}: seed {seed} (replay with RELIABILITY_SEED={seed})");
    (StdRng::seed_from_u64(seed), seed)
}

/// A service connection string with `HostName` pointed at `port` on localhost (a proxy in
/// front of the emulator): the TLS name stays `localhost`, which the emulator's certificate
/// covers.
pub fn service_connection_string_via(connection_string: &str, port: u16) -> String {
    connection_string
        .split(';')
        .map(|part| match part.strip_prefix("HostName=") {
            Some(_) => format!("HostName=localhost:{port}"),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}
