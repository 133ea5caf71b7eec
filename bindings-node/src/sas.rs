//! SAS tokens for azure-iot-device's and azure-iothub's `SharedAccessSignature.create` /
//! `.parse`, made and read by the core (one signing and one parser for every language).

use iothub_twin::Error;
use iothub_twin::auth::{SasToken, SharedAccessKey, device_resource, encode_uri_component};
use napi_derive::napi;

/// A SAS token's fields as they appear in it (percent-encoded), plus the whole token.
#[napi(object, js_name = "SharedAccessSignatureFields")]
pub struct JsSasFields {
    /// The resource (`sr`), percent-encoded.
    pub sr: String,
    /// The signature (`sig`), percent-encoded.
    pub sig: String,
    /// The expiry (`se`), Unix seconds.
    pub se: f64,
    /// The policy name (`skn`), for service tokens.
    pub skn: Option<String>,
    /// The whole token.
    pub token: String,
}

impl std::fmt::Debug for JsSasFields {
    // The signature and token are secrets: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAccessSignatureFields")
            .field("sr", &self.sr)
            .field("se", &self.se)
            .field("skn", &self.skn)
            .finish_non_exhaustive()
    }
}

fn fields(token: &SasToken) -> JsSasFields {
    JsSasFields {
        sr: token.resource_raw().to_owned(),
        sig: encode_uri_component(token.expose_signature()),
        // Unix seconds stay far below 2^53.
        se: token.expiry() as f64,
        skn: token.key_name().map(encode_uri_component),
        token: token.expose_secret().to_owned(),
    }
}

fn sign(
    resource: &str,
    key_name: Option<&str>,
    key: &str,
    expiry: f64,
) -> napi::Result<JsSasFields> {
    let key = SharedAccessKey::from_base64(key).map_err(to_napi)?;
    if !(expiry.is_finite() && expiry >= 0.0) {
        return Err(to_napi(Error::invalid_argument(
            "expiry must be Unix seconds",
        )));
    }
    Ok(fields(&SasToken::generate(
        resource,
        &key,
        key_name,
        expiry as u64,
    )))
}

fn to_napi(error: Error) -> napi::Error {
    napi::Error::from_reason(error.to_string())
}

/// A device token: `sr={host}/devices/{deviceId}` signed with the device key.
#[napi]
pub fn device_shared_access_signature(
    host: String,
    device_id: String,
    key: String,
    expiry: f64,
) -> napi::Result<JsSasFields> {
    sign(&device_resource(&host, &device_id), None, &key, expiry)
}

/// A service token: `sr={host}` signed with the policy `keyName`'s key.
#[napi]
pub fn service_shared_access_signature(
    host: String,
    key_name: String,
    key: String,
    expiry: f64,
) -> napi::Result<JsSasFields> {
    sign(&host, Some(&key_name), &key, expiry)
}

/// The fields of a SAS token (`SharedAccessSignature sr=…&sig=…&se=…[&skn=…]`).
#[napi]
pub fn parse_shared_access_signature(text: String) -> napi::Result<JsSasFields> {
    let token = SasToken::parse(&text)
        .map_err(|e| to_napi(Error::invalid_argument(format!("not a SAS token: {e}"))))?;
    Ok(fields(&token))
}

/// The REST `api-version` the core's service client speaks (azure-iothub's
/// `versionQueryString`).
#[napi]
pub fn service_api_version() -> &'static str {
    iothub_twin::service::API_VERSION
}
