//! Connection strings (spec/protocol.md §1): `Key=Value` pairs joined by `;`.
//!
//! Parsing follows the spec's recommendation for smoothing over the SDKs' differences: known
//! keys match case-insensitively, a single trailing `;` is fine, duplicates are refused, unknown
//! keys are ignored (but named in the error when a required key is then missing, to catch
//! typos), and each identity has exactly one credential. Errors name the key at fault and never
//! repeat a value, so a key or token can't leak through an error message.

use std::fmt;
use std::str::FromStr;

use super::{HostPort, REDACTED, SasToken, SharedAccessKey, device_resource, module_resource};
use crate::{Error, Result};

/// The credential of a device or module connection string.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DeviceAuth {
    /// `SharedAccessKey` (and, for a policy acting for the device, `SharedAccessKeyName`).
    SharedAccessKey {
        /// The device, module or policy key.
        key: SharedAccessKey,
        /// The policy name (`skn`) when the key is a shared access policy key.
        key_name: Option<String>,
    },
    /// `SharedAccessSignature`: a ready-made token, which cannot be renewed.
    SharedAccessSignature(SasToken),
    /// `x509=true`: the TLS client certificate authenticates.
    X509,
}

/// A device or module connection string.
#[derive(Clone, Debug)]
pub struct DeviceConnectionString {
    /// `HostName`: the hub, used verbatim in SAS `sr` and the MQTT username.
    pub host_name: HostPort,
    /// `DeviceId`.
    pub device_id: String,
    /// `ModuleId`, for module identities.
    pub module_id: Option<String>,
    /// `GatewayHostName`: where to open the connection, when not `HostName`.
    pub gateway_host_name: Option<HostPort>,
    /// The credential.
    pub auth: DeviceAuth,
}

/// The credential of a service (shared access policy) connection string.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ServiceAuth {
    /// `SharedAccessKey`: the policy key.
    SharedAccessKey(SharedAccessKey),
    /// `SharedAccessSignature`: a ready-made token.
    SharedAccessSignature(SasToken),
}

/// A service connection string: `HostName`, `SharedAccessKeyName` and a key or token.
#[derive(Clone, Debug)]
pub struct ServiceConnectionString {
    /// `HostName`, possibly with a port for a local hub.
    pub host_name: HostPort,
    /// `SharedAccessKeyName`: the policy, e.g. `iothubowner`.
    pub key_name: String,
    /// The credential.
    pub auth: ServiceAuth,
}

/// Either kind of connection string; which one is decided by the presence of `DeviceId`.
#[derive(Clone, Debug)]
pub enum ConnectionString {
    /// Has `DeviceId`.
    Device(DeviceConnectionString),
    /// Has no `DeviceId`.
    Service(ServiceConnectionString),
}

/// The keys we understand, in canonical spelling.
const KEYS: [&str; 8] = [
    "HostName",
    "DeviceId",
    "ModuleId",
    "SharedAccessKey",
    "SharedAccessKeyName",
    "SharedAccessSignature",
    "GatewayHostName",
    "x509",
];

/// The parsed `Key=Value` pairs, by index into [`KEYS`].
struct Fields<'a> {
    values: [Option<&'a str>; KEYS.len()],
    unknown: Vec<String>,
}

impl<'a> Fields<'a> {
    fn parse(text: &'a str) -> Result<Self> {
        let text = text.trim();
        let text = text.strip_suffix(';').unwrap_or(text);
        if text.is_empty() {
            return Err(Error::connection_string("it is empty"));
        }
        let mut fields = Fields {
            values: [None; KEYS.len()],
            unknown: Vec::new(),
        };
        for (index, segment) in text.split(';').enumerate() {
            let position = index + 1;
            if segment.trim().is_empty() {
                return Err(Error::connection_string(format!(
                    "part {position} is empty (two ';' in a row)"
                )));
            }
            // Split on the first '=' only: base64 keys end in '=' and tokens contain '='.
            let Some((key, value)) = segment.split_once('=') else {
                return Err(Error::connection_string(format!(
                    "part {position} is not Key=Value"
                )));
            };
            let key = key.trim();
            // C#-style alias for x509.
            let canonical = if key.eq_ignore_ascii_case("X509Cert") {
                "x509"
            } else {
                key
            };
            match KEYS.iter().position(|k| k.eq_ignore_ascii_case(canonical)) {
                Some(slot) => {
                    if fields.values[slot].replace(value).is_some() {
                        return Err(Error::connection_string(format!(
                            "{} appears more than once",
                            KEYS[slot]
                        )));
                    }
                    if value.is_empty() {
                        return Err(Error::connection_string(format!("{} is empty", KEYS[slot])));
                    }
                }
                None => fields.unknown.push(describe_unknown(key)),
            }
        }
        Ok(fields)
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        KEYS.iter()
            .position(|k| *k == key)
            .and_then(|slot| self.values[slot])
    }

    fn require(&self, key: &str, kind: &str) -> Result<&'a str> {
        self.get(key).ok_or_else(|| self.missing(key, kind))
    }

    /// "a device connection string needs X", plus any unrecognised keys (likely typos of X).
    fn missing(&self, what: &str, kind: &str) -> Error {
        let mut reason = format!("a {kind} connection string needs {what}");
        if !self.unknown.is_empty() {
            reason.push_str(&format!(" (unrecognised: {})", self.unknown.join(", ")));
        }
        Error::connection_string(reason)
    }

    fn host(&self, key: &str) -> Result<Option<HostPort>> {
        self.get(key)
            .map(|text| {
                text.parse::<HostPort>()
                    .map_err(|e| Error::connection_string(format!("{key}: {}", reason_of(e))))
            })
            .transpose()
    }

    fn key(&self) -> Result<Option<SharedAccessKey>> {
        self.get("SharedAccessKey")
            .map(|text| {
                SharedAccessKey::from_base64(text).map_err(|e| {
                    Error::connection_string(format!("SharedAccessKey: {}", reason_of(e)))
                })
            })
            .transpose()
    }

    fn token(&self) -> Result<Option<SasToken>> {
        self.get("SharedAccessSignature")
            .map(|text| {
                SasToken::parse(text)
                    .map_err(|e| Error::connection_string(format!("SharedAccessSignature: {e}")))
            })
            .transpose()
    }

    fn x509(&self) -> Result<bool> {
        match self.get("x509") {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(Error::connection_string("x509 must be true or false")),
        }
    }

    fn key_name(&self) -> Result<Option<String>> {
        self.get("SharedAccessKeyName")
            .map(|name| {
                // C# rule: ^[a-zA-Z0-9_\-@\.]+$
                if name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '.'))
                {
                    Ok(name.to_owned())
                } else {
                    Err(Error::connection_string(
                        "SharedAccessKeyName may hold only letters, digits, '_', '-', '@' and '.'",
                    ))
                }
            })
            .transpose()
    }
}

/// Names an unknown key only when it looks like a key name, so that a stray fragment of a
/// secret (say a value that itself contained ';') is never echoed.
fn describe_unknown(key: &str) -> String {
    if !key.is_empty()
        && key.len() <= 32
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("'{key}'")
    } else {
        "a key that is not a key name".to_owned()
    }
}

fn reason_of(error: Error) -> String {
    match error {
        Error::InvalidArgument { reason } | Error::InvalidConnectionString { reason } => reason,
        other => other.to_string(),
    }
}

/// Checks a device or module id against IoT Hub's rule (spec §4.5): 1 to 128 ASCII letters,
/// digits and ``-:.+%_#*?!(),=@;$'``. The error names `kind` (e.g. "DeviceId").
pub fn check_identity_id(kind: &str, id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("{kind} is empty"));
    }
    if id.len() > 128 {
        return Err(format!("{kind} is longer than 128 characters"));
    }
    match id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-:.+%_#*?!(),=@;$'".contains(*c)))
    {
        Some(bad) => Err(format!(
            "{kind} contains {bad:?}, which IoT Hub does not allow in ids"
        )),
        None => Ok(()),
    }
}

impl FromStr for ConnectionString {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let fields = Fields::parse(text)?;
        if fields.get("DeviceId").is_some() {
            DeviceConnectionString::from_fields(&fields).map(ConnectionString::Device)
        } else {
            ServiceConnectionString::from_fields(&fields).map(ConnectionString::Service)
        }
    }
}

impl DeviceConnectionString {
    /// The `sr` resource a device/module key signs: `{HostName}/devices/{id}[/modules/{mid}]`.
    pub fn sas_resource(&self) -> String {
        let host = self.host_name.to_string();
        match &self.module_id {
            Some(module) => module_resource(&host, &self.device_id, module),
            None => device_resource(&host, &self.device_id),
        }
    }

    /// Where to open the connection: `GatewayHostName` when given, else `HostName`.
    pub fn connect_host(&self) -> &HostPort {
        self.gateway_host_name.as_ref().unwrap_or(&self.host_name)
    }

    /// The MQTT client id: `deviceId` or `deviceId/moduleId`.
    pub fn client_id(&self) -> String {
        match &self.module_id {
            Some(module) => format!("{}/{module}", self.device_id),
            None => self.device_id.clone(),
        }
    }

    /// The full connection string including its secret, e.g. to hand it to another process.
    pub fn expose_secret(&self) -> String {
        self.render(true)
    }

    fn from_fields(fields: &Fields<'_>) -> Result<Self> {
        let host_name = fields
            .host("HostName")?
            .ok_or_else(|| fields.missing("HostName", "device"))?;
        let device_id = fields.require("DeviceId", "device")?.to_owned();
        check_identity_id("DeviceId", &device_id).map_err(Error::connection_string)?;
        let module_id = fields.get("ModuleId").map(str::to_owned);
        if let Some(module) = &module_id {
            check_identity_id("ModuleId", module).map_err(Error::connection_string)?;
        }
        let (key, token, x509) = (fields.key()?, fields.token()?, fields.x509()?);
        let key_name = fields.key_name()?;
        if key_name.is_some() && key.is_none() {
            return Err(Error::connection_string(
                "SharedAccessKeyName goes with SharedAccessKey only",
            ));
        }
        let auth = match (key, token, x509) {
            (Some(key), None, false) => DeviceAuth::SharedAccessKey { key, key_name },
            (None, Some(token), false) => DeviceAuth::SharedAccessSignature(token),
            (None, None, true) => DeviceAuth::X509,
            (None, None, false) => {
                return Err(fields.missing(
                    "one credential: SharedAccessKey, SharedAccessSignature or x509=true",
                    "device",
                ));
            }
            (key, token, x509) => {
                let given: Vec<&str> = [
                    key.is_some().then_some("SharedAccessKey"),
                    token.is_some().then_some("SharedAccessSignature"),
                    x509.then_some("x509=true"),
                ]
                .into_iter()
                .flatten()
                .collect();
                return Err(Error::connection_string(format!(
                    "use exactly one credential, not {}",
                    given.join(" and ")
                )));
            }
        };
        Ok(Self {
            host_name,
            device_id,
            module_id,
            gateway_host_name: fields.host("GatewayHostName")?,
            auth,
        })
    }

    fn render(&self, expose: bool) -> String {
        let mut out = format!("HostName={};DeviceId={}", self.host_name, self.device_id);
        if let Some(module) = &self.module_id {
            out.push_str(&format!(";ModuleId={module}"));
        }
        match &self.auth {
            DeviceAuth::SharedAccessKey { key, key_name } => {
                if let Some(name) = key_name {
                    out.push_str(&format!(";SharedAccessKeyName={name}"));
                }
                let key = if expose {
                    key.expose_base64()
                } else {
                    REDACTED
                };
                out.push_str(&format!(";SharedAccessKey={key}"));
            }
            DeviceAuth::SharedAccessSignature(token) => {
                let token = if expose {
                    token.expose_secret().to_owned()
                } else {
                    token.to_string()
                };
                out.push_str(&format!(";SharedAccessSignature={token}"));
            }
            DeviceAuth::X509 => out.push_str(";x509=true"),
        }
        if let Some(gateway) = &self.gateway_host_name {
            out.push_str(&format!(";GatewayHostName={gateway}"));
        }
        out
    }
}

impl ServiceConnectionString {
    /// The full connection string including its secret.
    pub fn expose_secret(&self) -> String {
        self.render(true)
    }

    fn from_fields(fields: &Fields<'_>) -> Result<Self> {
        if fields.get("ModuleId").is_some() {
            return Err(Error::connection_string("ModuleId needs DeviceId"));
        }
        for device_only in ["GatewayHostName", "x509"] {
            if fields.get(device_only).is_some() {
                return Err(Error::connection_string(format!(
                    "{device_only} belongs in device connection strings; a service connection string has SharedAccessKeyName and no DeviceId"
                )));
            }
        }
        let host_name = fields
            .host("HostName")?
            .ok_or_else(|| fields.missing("HostName", "service"))?;
        let key_name = fields
            .key_name()?
            .ok_or_else(|| fields.missing("SharedAccessKeyName", "service"))?;
        let auth = match (fields.key()?, fields.token()?) {
            (Some(key), None) => ServiceAuth::SharedAccessKey(key),
            (None, Some(token)) => ServiceAuth::SharedAccessSignature(token),
            (Some(_), Some(_)) => {
                return Err(Error::connection_string(
                    "use exactly one credential, not SharedAccessKey and SharedAccessSignature",
                ));
            }
            (None, None) => {
                return Err(fields.missing("SharedAccessKey or SharedAccessSignature", "service"));
            }
        };
        Ok(Self {
            host_name,
            key_name,
            auth,
        })
    }

    fn render(&self, expose: bool) -> String {
        let secret = match (&self.auth, expose) {
            (ServiceAuth::SharedAccessKey(key), true) => {
                format!("SharedAccessKey={}", key.expose_base64())
            }
            (ServiceAuth::SharedAccessKey(_), false) => format!("SharedAccessKey={REDACTED}"),
            (ServiceAuth::SharedAccessSignature(t), true) => {
                format!("SharedAccessSignature={}", t.expose_secret())
            }
            (ServiceAuth::SharedAccessSignature(t), false) => format!("SharedAccessSignature={t}"),
        };
        format!(
            "HostName={};SharedAccessKeyName={};{secret}",
            self.host_name, self.key_name
        )
    }
}

impl FromStr for DeviceConnectionString {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.parse::<ConnectionString>()? {
            ConnectionString::Device(device) => Ok(device),
            ConnectionString::Service(_) => Err(Error::connection_string(
                "this is a service connection string; a device connection string needs DeviceId",
            )),
        }
    }
}

impl FromStr for ServiceConnectionString {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.parse::<ConnectionString>()? {
            ConnectionString::Service(service) => Ok(service),
            ConnectionString::Device(_) => Err(Error::connection_string(
                "this is a device connection string; a service connection string has SharedAccessKeyName and no DeviceId",
            )),
        }
    }
}

/// Redacted: the key or token is replaced by `<redacted>`.
impl fmt::Display for DeviceConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Redacted: the key or token is replaced by `<redacted>`.
impl fmt::Display for ServiceConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Redacted, like the variants' own `Display`.
impl fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionString::Device(d) => d.fmt(f),
            ConnectionString::Service(s) => s.fmt(f),
        }
    }
}
