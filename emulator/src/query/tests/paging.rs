//! Paging 1,000 twins at page sizes 1, 7 and 100: no duplicates, no gaps, also while twins
//! change between pages; TOP across pages; tokens bound to their query.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Fleet, prepared, twin_id};
use crate::query::{MAX_PAGE_SIZE, QueryPage};

fn thousand() -> Fleet {
    let mut fleet = Fleet::default();
    for i in 0..1000 {
        let id = format!("dev{i:04}");
        fleet.device(&id).tags(
            &id,
            json!({"fleet": if i % 2 == 0 { "even" } else { "odd" }}),
        );
    }
    fleet
}

/// Pages through `query`, calling `between` after each page; returns every page.
fn pages(
    fleet: &mut Fleet,
    query: &str,
    page_size: usize,
    mut between: impl FnMut(&mut Fleet, usize),
) -> Vec<QueryPage> {
    let query = prepared(query);
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = query
            .page(&fleet.registry, page_size, token.as_deref())
            .unwrap();
        token = page.continuation.clone();
        pages.push(page);
        between(fleet, pages.len());
        if token.is_none() {
            return pages;
        }
        assert!(pages.len() <= 1001, "paging does not end");
    }
}

fn ids(pages: &[QueryPage]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(twin_id))
        .collect()
}

#[test]
fn every_page_size_returns_each_twin_exactly_once() {
    let mut fleet = thousand();
    for page_size in [1, 7, 100] {
        let pages = pages(&mut fleet, "SELECT * FROM devices", page_size, |_, _| {});
        let all = ids(&pages);
        assert_eq!(all.len(), 1000, "page size {page_size}");
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 1000);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "key order");
        assert_eq!(pages.len(), 1000_usize.div_ceil(page_size));
        let (last, full) = pages.split_last().unwrap();
        assert!(
            full.iter()
                .all(|p| p.items.len() == page_size && p.continuation.is_some())
        );
        assert!(last.continuation.is_none() && !last.items.is_empty());
    }
}

#[test]
fn twins_updated_created_and_deleted_between_pages_cause_no_duplicates_or_gaps() {
    for page_size in [1, 7, 100] {
        let mut fleet = thousand();
        let mut touched = BTreeSet::new();
        let pages = pages(
            &mut fleet,
            "SELECT * FROM devices WHERE tags.fleet = 'even'",
            page_size,
            |fleet, n| {
                // Update twins behind and ahead of the cursor, including their tags, and churn
                // the registry with devices that are not part of the result.
                for i in [n * 3 % 1000, (n * 7 + 500) % 1000, 999 - n % 1000] {
                    let id = format!("dev{i:04}");
                    fleet
                        .desired(&id, json!({"tick": n}))
                        .reported(&id, json!({"tock": n}));
                    fleet.tags(&id, json!({"touched": n}));
                }
                let extra = format!("dev{:04}x", (n * 13) % 1000);
                fleet.device(&extra);
                let gone = format!("dev{:04}x", (n * 13 + 400) % 1000);
                fleet.registry.devices.remove(&gone);
                touched.insert(n);
            },
        );
        let all = ids(&pages);
        let expected: Vec<String> = (0..1000).step_by(2).map(|i| format!("dev{i:04}")).collect();
        assert_eq!(all, expected, "page size {page_size}");
        assert!(!touched.is_empty());
    }
}

#[test]
fn a_page_resumes_after_a_deleted_last_twin() {
    let mut fleet = thousand();
    let query = prepared("SELECT deviceId FROM devices");
    let first = query.page(&fleet.registry, 7, None).unwrap();
    let last = first.items[6]["deviceId"].as_str().unwrap().to_owned();
    fleet.registry.devices.remove(&last);
    fleet.registry.devices.remove("dev0007");
    let second = query
        .page(&fleet.registry, 7, first.continuation.as_deref())
        .unwrap();
    assert_eq!(second.items[0], json!({"deviceId": "dev0008"}));
}

#[test]
fn top_applies_before_paging() {
    let mut fleet = thousand();
    for (top, page_size, pages_wanted) in
        [(10, 7, 2), (14, 7, 2), (7, 7, 1), (250, 100, 3), (0, 5, 1)]
    {
        let query = format!("SELECT TOP {top} * FROM devices");
        let pages = pages(&mut fleet, &query, page_size, |_, _| {});
        let all = ids(&pages);
        assert_eq!(all.len(), top, "{query} by {page_size}");
        assert_eq!(pages.len(), pages_wanted, "{query} by {page_size}");
        assert_eq!(
            all.first().map(String::as_str),
            (top > 0).then_some("dev0000")
        );
    }
}

#[test]
fn module_twins_and_groups_page_too() {
    let mut fleet = Fleet::default();
    for d in 0..30 {
        let device = format!("d{d:02}");
        fleet.device(&device);
        for m in 0..(d % 4) {
            fleet.module(&device, &format!("m{m}"));
        }
    }
    let modules = pages(&mut fleet, "SELECT * FROM devices.modules", 7, |_, _| {});
    let all = ids(&modules);
    assert_eq!(all.len(), (0..30).map(|d| d % 4).sum::<usize>());
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), all.len());
    assert!(modules.iter().all(|p| p.items.len() <= 7));

    let groups = pages(
        &mut fleet,
        "SELECT deviceId, COUNT() AS n FROM devices GROUP BY deviceId",
        7,
        |_, _| {},
    );
    let names: Vec<&Value> = groups
        .iter()
        .flat_map(|p| p.items.iter().map(|g| &g["deviceId"]))
        .collect();
    assert_eq!(names.len(), 30);
    assert_eq!(groups.len(), 5);
    let top = pages(
        &mut fleet,
        "SELECT TOP 8 deviceId, COUNT() AS n FROM devices GROUP BY deviceId",
        7,
        |_, _| {},
    );
    assert_eq!(
        top.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        [7, 1]
    );
}

#[test]
fn tokens_are_opaque_and_bound_to_their_query() {
    let fleet = thousand();
    let query = prepared("SELECT * FROM devices");
    let first = query.page(&fleet.registry, 2, None).unwrap();
    let token = first.continuation.unwrap();
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    assert!(!token.contains("dev0001"), "{token}");

    let other = prepared("SELECT * FROM devices WHERE tags.fleet = 'odd'");
    let error = other.page(&fleet.registry, 2, Some(&token)).unwrap_err();
    assert_eq!(
        error.message,
        "the continuation token belongs to another query"
    );
    for garbage in ["", "x", "!!!", "eyJ9", "bnVsbA", &token[1..]] {
        let error = query.page(&fleet.registry, 2, Some(garbage)).unwrap_err();
        assert_eq!(
            error.code,
            iothub_twin::ErrorCode::ArgumentInvalid,
            "{garbage}"
        );
    }
    // Page sizes are clamped to 1..=100.
    assert_eq!(query.page(&fleet.registry, 0, None).unwrap().items.len(), 1);
    assert_eq!(
        query.page(&fleet.registry, 5000, None).unwrap().items.len(),
        MAX_PAGE_SIZE
    );
}

/// Past `PARALLEL_SCAN_FROM` twins a selective scan runs on several threads: the matches must
/// still come in key order, page by page, without duplicates or gaps, and dense queries must
/// page exactly as before.
#[test]
fn large_fleets_scanned_in_parallel_page_in_key_order() {
    let mut fleet = Fleet::default();
    let total = super::super::PARALLEL_SCAN_FROM + 5_000;
    for i in 0..total {
        let id = format!("dev{i:06}");
        fleet
            .device(&id)
            .tags(&id, json!({"rare": i % 997 == 5, "n": i}));
    }
    let expected: Vec<String> = (0..total)
        .filter(|i| i % 997 == 5)
        .map(|i| format!("dev{i:06}"))
        .collect();
    assert!(expected.len() > 20);
    assert_eq!(
        fleet.ids("SELECT * FROM devices WHERE tags.rare = true"),
        expected
    );
    let query = prepared("SELECT * FROM devices WHERE tags.rare = true");
    let (mut token, mut seen) = (None::<String>, Vec::new());
    loop {
        let page: QueryPage = query.page(&fleet.registry, 7, token.as_deref()).unwrap();
        seen.extend(page.items.iter().map(twin_id));
        match page.continuation {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let top = fleet.ids("SELECT TOP 3 * FROM devices WHERE tags.n >= 10000");
    assert_eq!(top, ["dev010000", "dev010001", "dev010002"]);
}
