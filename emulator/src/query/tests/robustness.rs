//! No input makes the engine panic: mutated and random queries, each prepared and, when it
//! parses, run page by page (the fuzz target in `fuzz/` does the same, coverage-guided).

use super::doc_fleet;
use crate::query::prepare;

const SEEDS: &[&str] = &[
    "SELECT * FROM devices WHERE tags.location.region = 'US' AND properties.reported.x >= 60",
    "SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices GROUP BY properties.reported.telemetryConfig.status",
    "SELECT TOP 3 deviceId, LastActivityTime FROM devices.modules WHERE NOT (a IN [1, 'b', null]) OR b NIN []",
    r#"SELECT * FROM devices WHERE tags.[[group]].name = "it\'s \u00e9 \uD83D\uDE00" OR -(1 + 0x1F * 2.5e1 % 3) / 4 < SUBSTRING(deviceId, 1, 2)"#,
    "SELECT AVG(properties.reported.t), SUM(tags.n), MIN(x), MAX(y) FROM devices WHERE IS_DEFINED(properties.desired.$metadata.$lastUpdated)",
];

const PIECES: &[&str] = &[
    " ",
    "(",
    ")",
    "[",
    "]",
    "[[",
    "]]",
    ",",
    ".",
    "'",
    "\"",
    "\\",
    "\\u",
    "0x",
    "-",
    "+",
    "*",
    "/",
    "%",
    "=",
    "!=",
    "<>",
    "<",
    ">=",
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "TOP",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "NIN",
    "devices",
    "devices.modules",
    "null",
    "undefined",
    "true",
    "1e308",
    "9999999999999999999999",
    "é",
    "😀",
    "\u{0}",
    "\n",
    "COUNT()",
    "IS_DEFINED(",
    "CONCAT(",
    "ORDER BY",
    "tags.x",
    "$version",
];

/// xorshift64*: deterministic, so a failure reproduces.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

fn mutate(random: &mut Random, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..=random.below(4) {
        let at = random.below(chars.len() + 1);
        match random.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let piece = PIECES[random.below(PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

#[test]
fn malformed_queries_never_panic() {
    let fleet = doc_fleet();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..6000 {
        let query = if round % 3 == 0 {
            (0..random.below(24))
                .map(|_| PIECES[random.below(PIECES.len())])
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            let seed = SEEDS[random.below(SEEDS.len())];
            mutate(&mut random, seed)
        };
        match prepare(&query) {
            Ok(prepared) => {
                accepted += 1;
                let mut token = None;
                for _ in 0..20 {
                    let page =
                        prepared.page(&fleet.registry, 1 + random.below(3), token.as_deref());
                    match page {
                        Ok(page) => match page.continuation {
                            Some(next) => token = Some(next),
                            None => break,
                        },
                        Err(error) => panic!("{query}: a prepared query failed: {error}"),
                    }
                }
            }
            Err(error) => {
                rejected += 1;
                assert_eq!(error.status(), 400, "{query}: {error}");
            }
        }
    }
    assert!(
        accepted > 300 && rejected > 3000,
        "accepted {accepted}, rejected {rejected}"
    );
}
