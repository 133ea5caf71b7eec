//! Time as IoT Hub writes it: ISO-8601 UTC with 7 fractional digits, .NET ticks for
//! `generationId`, and the `MM/DD/YYYY HH:MM:SS` stamp inside tracking ids.

use time::OffsetDateTime;
use time::macros::format_description;

/// What the hub prints for "never": `0001-01-01T00:00:00Z`.
pub(crate) const NEVER: &str = "0001-01-01T00:00:00Z";

/// Ticks (100 ns) between 0001-01-01 and the Unix epoch.
const UNIX_EPOCH_TICKS: i128 = 621_355_968_000_000_000;

/// Now, as `2021-09-06T08:49:54.8803577Z`.
pub(crate) fn now_iso() -> String {
    format_iso(OffsetDateTime::now_utc())
}

/// A time as `2021-09-06T08:49:54.8803577Z`.
pub(crate) fn format_iso(at: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z");
    at.format(format).unwrap_or_else(|_| NEVER.to_owned())
}

/// A new `generationId`: the current time in .NET ticks, as a decimal string.
pub(crate) fn generation_id() -> String {
    let ticks = OffsetDateTime::now_utc().unix_timestamp_nanos() / 100 + UNIX_EPOCH_TICKS;
    ticks.to_string()
}

/// 32 hex digits, like the hub's tracking ids.
pub(crate) fn tracking_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// `MM/DD/YYYY HH:MM:SS`, as in `Tracking ID:…-G:0-TimeStamp:10/24/2023 16:57:00`.
pub(crate) fn tracking_timestamp() -> String {
    let format = format_description!("[month]/[day]/[year] [hour]:[minute]:[second]");
    OffsetDateTime::now_utc().format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_hub() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_630_918_194_880_357_700).unwrap();
        assert_eq!(format_iso(at), "2021-09-06T08:49:54.8803577Z");
        assert!(generation_id().starts_with("63"));
        assert_eq!(tracking_id().len(), 32);
    }
}
