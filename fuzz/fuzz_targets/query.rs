//! The twin query engine on arbitrary input: parse, check, then run every page over a small
//! fleet, and resume from an arbitrary continuation token. Nothing may panic, and every
//! rejection must be a 400.
//!
//! Input: the first byte picks the page size (1..=8), the rest is the query text (UTF-8).

#![no_main]

use std::sync::OnceLock;

use iothub_twin_emulator::query;
use iothub_twin_emulator::registry::{Device, IdentityBody, Module, Registry};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const NOW: &str = "2026-11-27T10:00:00.0000000Z";

fn fleet() -> &'static Registry {
    static FLEET: OnceLock<Registry> = OnceLock::new();
    FLEET.get_or_init(|| {
        let mut registry = Registry::default();
        for i in 0..12 {
            let id = format!("dev{i:02}");
            let body = IdentityBody::parse(&json!({}), &id, None, None).expect("valid body");
            let mut device = Device::create(&id, body, NOW);
            let region = ["US", "EU", "APAC"][i % 3];
            let tags = json!({"location": {"region": region}, "group": {"name": i}});
            let desired = json!({"power": i, "mode": if i % 2 == 0 { "eco" } else { "max" }});
            device.twin.service_patch(tags.as_object(), desired.as_object(), NOW).expect("patch");
            let reported: Value = json!({
                "temp": i as f64 * 1.5 - 4.0, "ok": i % 4 == 0, "name": format!("Thermo-{i}"),
                "list": [i, "x"], "nested": {"deep": {"value": i}}
            });
            device.twin.reported_patch(&reported, None, NOW).expect("reported");
            device.identity.iot_edge = i % 5 == 0;
            for m in 0..(i % 3) {
                let module_id = format!("m{m}");
                let body = IdentityBody::parse(&json!({}), &id, Some(&module_id), None).expect("module body");
                let mut module = Module::create(&id, &module_id, body, NOW);
                module.twin.reported_patch(&json!({"status": m}), None, NOW).expect("module reported");
                device.modules.insert(module_id, module);
            }
            registry.devices.insert(id, device);
        }
        registry
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, text)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let page_size = 1 + usize::from(size % 8);
    let registry = fleet();
    let prepared = match query::prepare(text) {
        Ok(prepared) => prepared,
        Err(error) => {
            assert_eq!(error.status(), 400, "{error}");
            return;
        }
    };
    let mut token: Option<String> = None;
    for _ in 0..64 {
        let page = prepared.page(registry, page_size, token.as_deref()).expect("a prepared query runs");
        assert!(page.items.len() <= page_size);
        match page.continuation {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    // An arbitrary token is rejected with a 400, never a panic.
    if let Err(error) = prepared.page(registry, page_size, Some(text)) {
        assert_eq!(error.status(), 400, "{error}");
    }
});
