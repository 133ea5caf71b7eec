//! One rustls client config per distinct trust input, shared by every device and service client
//! in the process.
//!
//! Building a config parses every trusted root (the system store is ~140 certificates, ~16 KB
//! of parsed roots and verifier per config), and a config owns the TLS session cache: one
//! config per client meant that memory per device and no session resumption at all. Clients
//! with the same inputs now get the same `Arc`, so they share the parsed roots and one session
//! cache, and a reconnect (or the next device to the same hub) resumes a TLS session instead of
//! a full handshake.
//!
//! Sharing tickets between devices is safe: a SAS device authenticates in MQTT CONNECT, not in
//! TLS, and a client certificate is part of the key, so a session made with one device's
//! certificate is only ever resumed by a client presenting that same certificate.
//!
//! The map holds `Weak` references: a config lives as long as a client uses it, then goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use rustls::ClientConfig;
use rustls::client::Resumption;
use sha2::{Digest, Sha256};

use crate::Result;
use crate::tls::{ClientCertificate, Trust, client_config};

/// Sessions (TLS 1.2 ids, TLS 1.3 tickets) kept per config. rustls' default (256) is per server
/// name; it is named here because resumption is what the sharing is for.
const SESSIONS_PER_CONFIG: usize = 256;

/// The inputs' SHA-256: the key is fixed-size whatever the PEM sizes, and the map never holds
/// a copy of a private key.
type Key = [u8; 32];

static CONFIGS: Mutex<Option<HashMap<Key, Weak<ClientConfig>>>> = Mutex::new(None);

/// The process's config for these inputs: the one already in use by another client when there
/// is one, else a new one (built by [`client_config`], with an in-memory session cache).
pub(crate) fn shared_client_config(
    trust: &Trust,
    alpn: &[&[u8]],
    certificate: Option<&ClientCertificate>,
) -> Result<Arc<ClientConfig>> {
    let key = key(trust, alpn, certificate);
    if let Some(config) = lookup(&key) {
        return Ok(config);
    }
    // Built outside the lock: loading the system roots reads files. Two clients racing here
    // both build one; the first stored wins and the other is dropped.
    let mut built = (*client_config(trust, alpn, certificate)?).clone();
    built.resumption = Resumption::in_memory_sessions(SESSIONS_PER_CONFIG);
    let built = Arc::new(built);
    let mut guard = CONFIGS.lock().unwrap_or_else(PoisonError::into_inner);
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(config) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(config);
    }
    map.retain(|_, config| config.strong_count() > 0);
    map.insert(key, Arc::downgrade(&built));
    Ok(built)
}

fn lookup(key: &Key) -> Option<Arc<ClientConfig>> {
    let guard = CONFIGS.lock().unwrap_or_else(PoisonError::into_inner);
    guard.as_ref()?.get(key)?.upgrade()
}

/// Each input length-prefixed, so no two different inputs concatenate to the same bytes.
fn key(trust: &Trust, alpn: &[&[u8]], certificate: Option<&ClientCertificate>) -> Key {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    match trust {
        Trust::System => field(b"system"),
        // The same text shared or owned is the same trust input.
        Trust::Pem(pem) => {
            field(b"pem");
            field(pem.as_bytes());
        }
        Trust::Shared(pem) => {
            field(b"pem");
            field(pem.as_bytes());
        }
    }
    field(&(alpn.len() as u64).to_le_bytes());
    for protocol in alpn {
        field(protocol);
    }
    match certificate {
        None => field(b"no client certificate"),
        Some(identity) => {
            field(identity.certificate_pem.as_bytes());
            field(identity.private_key_pem.as_bytes());
        }
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Self-signed certificates and their keys, test data only, made once with `openssl req
    /// -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 -subj
    /// /CN=cache-test-N -keyout key_N.pem -out ca_N.pem`.
    const CA_ONE: &str = include_str!("tls_cache/ca_one.pem");
    const CA_TWO: &str = include_str!("tls_cache/ca_two.pem");
    const KEY_ONE: &str = include_str!("tls_cache/key_one.pem");
    const KEY_TWO: &str = include_str!("tls_cache/key_two.pem");

    fn identity(certificate: &str, key: &str) -> ClientCertificate {
        ClientCertificate {
            certificate_pem: certificate.to_owned(),
            private_key_pem: key.to_owned(),
        }
    }

    #[test]
    fn same_trust_input_shares_one_config_and_another_ca_gets_another() {
        let one = Trust::Pem(CA_ONE.to_owned());
        let first = shared_client_config(&one, &[], None).unwrap();
        // An equal input built separately (as each client's options are), not the same String.
        let second = shared_client_config(&Trust::Pem(CA_ONE.to_owned()), &[], None).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "same CA: one shared config");

        let other = shared_client_config(&Trust::Pem(CA_TWO.to_owned()), &[], None).unwrap();
        assert!(!Arc::ptr_eq(&first, &other), "another CA: another config");
        let shared = shared_client_config(&Trust::Shared(CA_ONE.into()), &[], None).unwrap();
        assert!(
            Arc::ptr_eq(&first, &shared),
            "the same text shared: the same input"
        );
        let with_alpn = shared_client_config(&one, &[b"h2"], None).unwrap();
        assert!(
            !Arc::ptr_eq(&first, &with_alpn),
            "other ALPN: another config"
        );
        assert_eq!(with_alpn.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn each_client_certificate_gets_its_own_config() {
        let trust = Trust::Pem(CA_ONE.to_owned());
        let device_one = identity(CA_ONE, KEY_ONE);
        let a = shared_client_config(&trust, &[], Some(&device_one)).unwrap();
        let b = shared_client_config(&trust, &[], Some(&device_one.clone())).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "same certificate and key: shared");
        let device_two = identity(CA_TWO, KEY_TWO);
        let c = shared_client_config(&trust, &[], Some(&device_two)).unwrap();
        assert!(
            !Arc::ptr_eq(&a, &c),
            "another certificate: its own config and sessions"
        );
        let none = shared_client_config(&trust, &[], None).unwrap();
        assert!(!Arc::ptr_eq(&a, &none) && !Arc::ptr_eq(&c, &none));
    }

    #[test]
    fn a_config_no_client_uses_is_released_and_rebuilt() {
        let trust = Trust::Pem(CA_TWO.to_owned());
        let alpn: &[&[u8]] = &[b"release-test"];
        let first = shared_client_config(&trust, alpn, None).unwrap();
        let weak = Arc::downgrade(&first);
        drop(first);
        assert!(weak.upgrade().is_none(), "the cache keeps no config alive");
        let again = shared_client_config(&trust, alpn, None).unwrap();
        assert_eq!(again.alpn_protocols, vec![b"release-test".to_vec()]);
    }

    #[test]
    fn a_bad_input_is_an_error_and_not_cached() {
        let bad = Trust::Pem("not a certificate".into());
        for _ in 0..2 {
            let err = shared_client_config(&bad, &[], None).unwrap_err();
            assert!(err.to_string().contains("no certificate"), "{err}");
        }
    }
}
