//! Replacing a user-supplied SAS token (`update_sastoken` in Python,
//! `updateSharedAccessSignature` in Node): the driver swaps the password and reconnects at once,
//! re-subscribing as on any reconnect, so desired-property watchers keep receiving.

use super::link::DeviceIdentity;
use crate::auth::SasToken;
use crate::{Error, Result};

/// What a token must be to replace `current`'s: a SAS token, unexpired, for the same identity.
pub(crate) fn checked_token(text: &str, identity: &DeviceIdentity) -> Result<SasToken> {
    let token = SasToken::parse(text)
        .map_err(|e| Error::invalid_argument(format!("not a SAS token: {e}")))?;
    token
        .check_expiry(crate::auth::unix_time_now())
        .map_err(|e| Error::invalid_argument(e.to_string()))?;
    let named = DeviceIdentity::from_sas_token(&token)?;
    if named.device_id != identity.device_id || named.module_id != identity.module_id {
        return Err(Error::invalid_argument(format!(
            "the SAS token is for {}, not for this client's {}",
            named.client_id(),
            identity.client_id()
        )));
    }
    Ok(token)
}
