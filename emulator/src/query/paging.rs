//! Paging (spec §4.4; official-sdk-wire §4.3): continuation tokens and the scan that resumes
//! from one.
//!
//! Twins are read in registry key order: device id, then module id. A token records the key
//! of the last twin returned, so the next page starts right after it, wherever that key is by
//! then: twins created, deleted or updated between pages cause no duplicate and no gap among
//! the others. It also records how many results were returned so far (for `TOP`, and as the
//! position in grouped results, which are recomputed per page) and a hash of the query text,
//! so a token cannot be replayed on another query. It is base64url of a small JSON object:
//! opaque to clients, and safe in an HTTP header.

use std::ops::Bound::{Excluded, Unbounded};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ast::Collection;
use super::paths::TwinView;
use crate::error::HubError;
use crate::registry::{Device, Module, Registry};

/// Where the previous page stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Results returned by the previous pages.
    #[serde(rename = "n")]
    pub returned: u64,
    /// Device id of the last twin returned.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Module id of the last twin returned, for module twins.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Token {
    /// [`query_hash`] of the query the token belongs to.
    q: String,
    #[serde(flatten)]
    cursor: Cursor,
}

/// The first 8 bytes of the query text's SHA-256, in hex.
pub(crate) fn query_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The token for `cursor` on the query hashed `hash`.
pub(crate) fn encode(hash: &str, cursor: Cursor) -> String {
    let token = Token {
        q: hash.to_owned(),
        cursor,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// The cursor in `token`, which must belong to the query hashed `hash`.
pub(crate) fn decode(hash: &str, token: &str) -> Result<Cursor, HubError> {
    let token: Token = URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| HubError::invalid("the continuation token is not valid"))?;
    if token.q != hash {
        return Err(HubError::invalid(
            "the continuation token belongs to another query",
        ));
    }
    Ok(token.cursor)
}

/// The twins of `collection` in key order, starting after `cursor`'s key (from the first when
/// it has none).
pub(crate) fn twins_after<'r>(
    registry: &'r Registry,
    collection: Collection,
    cursor: &Cursor,
) -> Box<dyn Iterator<Item = TwinView<'r>> + 'r> {
    let devices: Box<dyn Iterator<Item = &'r Device> + 'r> = match &cursor.device_id {
        Some(after) => Box::new(
            registry
                .devices
                .range::<str, _>((Excluded(after.as_str()), Unbounded))
                .map(|(_, device)| device),
        ),
        None => Box::new(registry.devices.values()),
    };
    match collection {
        // Job rows are not twins: `PreparedQuery::page` reads them from the jobs.
        Collection::Jobs => Box::new(std::iter::empty()),
        Collection::Devices => Box::new(devices.map(|device| TwinView {
            identity: &device.identity,
            twin: &device.twin,
        })),
        Collection::Modules => {
            // The rest of the device the previous page stopped in, then the next devices.
            let rest_of_device = match (&cursor.device_id, &cursor.module_id) {
                (Some(device), Some(after)) => registry.devices.get(device).map(|device| {
                    device
                        .modules
                        .range::<str, _>((Excluded(after.as_str()), Unbounded))
                }),
                _ => None,
            };
            let rest_of_device = rest_of_device.into_iter().flatten().map(|(_, m)| m);
            let modules = rest_of_device.chain(devices.flat_map(|d| d.modules.values()));
            Box::new(modules.map(|module: &'r Module| TwinView {
                identity: &module.identity,
                twin: &module.twin,
            }))
        }
    }
}
