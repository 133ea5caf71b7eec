//! Shared access policies: the hub-level credentials of the service API (spec §2.3).

use iothub_twin::auth::SharedAccessKey;
use serde::{Deserialize, Serialize};

/// A right a policy can grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Read the identity registry.
    RegistryRead,
    /// Write the identity registry.
    RegistryWrite,
    /// Service-facing endpoints: twins, queries.
    ServiceConnect,
    /// Device-facing endpoints.
    DeviceConnect,
}

/// A named policy with two keys.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The policy name (`skn`).
    pub name: String,
    /// Primary key.
    pub primary_key: SharedAccessKey,
    /// Secondary key.
    pub secondary_key: SharedAccessKey,
    /// What the policy grants.
    pub rights: Vec<Permission>,
}

/// The policies a hub has.
#[derive(Clone, Debug)]
pub struct Policies(pub Vec<Policy>);

/// The name of the all-rights policy.
pub(crate) const OWNER: &str = "iothubowner";

impl Policies {
    /// IoT Hub's five default policies, each with freshly generated keys.
    pub fn generate() -> Self {
        use Permission::*;
        let defaults: [(&str, &[Permission]); 5] = [
            (
                OWNER,
                &[RegistryRead, RegistryWrite, ServiceConnect, DeviceConnect],
            ),
            ("service", &[ServiceConnect]),
            ("device", &[DeviceConnect]),
            ("registryRead", &[RegistryRead]),
            ("registryReadWrite", &[RegistryRead, RegistryWrite]),
        ];
        Self(
            defaults
                .iter()
                .map(|(name, rights)| Policy {
                    name: (*name).to_owned(),
                    primary_key: random_key(),
                    secondary_key: random_key(),
                    rights: rights.to_vec(),
                })
                .collect(),
        )
    }

    /// The policy named `name`.
    pub fn get(&self, name: &str) -> Option<&Policy> {
        self.0.iter().find(|p| p.name == name)
    }

    /// The owner policy (always present).
    pub fn owner(&self) -> &Policy {
        self.get(OWNER).expect("the owner policy always exists")
    }

    /// Serialized for the store (keys included: the store is the hub's secret storage).
    pub fn to_json(&self) -> String {
        let records: Vec<PolicyRecord> = self
            .0
            .iter()
            .map(|p| PolicyRecord {
                name: p.name.clone(),
                primary_key: p.primary_key.expose_base64().to_owned(),
                secondary_key: p.secondary_key.expose_base64().to_owned(),
                rights: p.rights.clone(),
            })
            .collect();
        serde_json::to_string(&records).expect("policies serialize")
    }

    /// Reads what [`Policies::to_json`] wrote.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let records: Vec<PolicyRecord> = serde_json::from_str(text)?;
        let policies = records
            .into_iter()
            .map(|r| {
                Ok(Policy {
                    primary_key: SharedAccessKey::from_base64(&r.primary_key)?,
                    secondary_key: SharedAccessKey::from_base64(&r.secondary_key)?,
                    name: r.name,
                    rights: r.rights,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let policies = Self(policies);
        anyhow::ensure!(
            policies.get(OWNER).is_some(),
            "stored policies lack {OWNER}"
        );
        Ok(policies)
    }
}

#[derive(Serialize, Deserialize)]
struct PolicyRecord {
    name: String,
    primary_key: String,
    secondary_key: String,
    rights: Vec<Permission>,
}

/// A new random 32-byte key, as IoT Hub generates them (44 base64 characters).
pub(crate) fn random_key() -> SharedAccessKey {
    SharedAccessKey::from_bytes(&rand::random::<[u8; 32]>())
}

/// Compares secrets without an early exit, so the time taken does not reveal a matching prefix.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
