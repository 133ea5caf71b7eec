//! Query paging (spec §4.4): page size and continuation headers, the last page without
//! continuation, item types, and the stream.

use futures::StreamExt as _;
use serde_json::{Value, json};

use super::mock::{MockSender, Scripted, client, respond};
use crate::Error;
use crate::service::{QueryItem, QueryItemType, QueryOptions, ServiceClientOptions};

const SQL: &str = "SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'";

fn twins(ids: &[&str]) -> String {
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"deviceId": id, "etag": "AAAAAAAAAAE=", "tags": {"location": {"plant": "Redmond43"}}}))
        .collect();
    Value::Array(items).to_string()
}

fn page(ids: &[&str], continuation: Option<&str>) -> Scripted {
    let mut headers = vec![("x-ms-item-type", "Twin")];
    if let Some(token) = continuation {
        headers.push(("x-ms-continuation", token));
    }
    respond(200, &headers, &twins(ids))
}

fn header(request: &crate::service::http::HttpRequest, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_stream_follows_continuations_until_the_hub_omits_it() {
    let sender = MockSender::new([
        page(&["d1", "d2"], Some("c1")),
        page(&["d3", "d4"], Some("c2")),
        page(&["d5"], None),
    ]);
    let client = client(&sender, ServiceClientOptions::default());
    let ids: Vec<String> = client
        .query_twins(SQL, Some(2))
        .map(|twin| twin.unwrap().device_id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, ["d1", "d2", "d3", "d4", "d5"]);

    let sent = sender.sent();
    assert_eq!(
        sent.len(),
        3,
        "no request after the page without continuation"
    );
    for request in &sent {
        assert_eq!(request.method, reqwest::Method::POST);
        assert_eq!(
            request.url,
            "https://myhub.example/devices/query?api-version=2021-04-12"
        );
        assert_eq!(header(request, "x-ms-max-item-count").as_deref(), Some("2"));
        let body: Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
        assert_eq!(body, json!({"query": SQL}));
    }
    assert_eq!(header(&sent[0], "x-ms-continuation"), None);
    assert_eq!(header(&sent[1], "x-ms-continuation").as_deref(), Some("c1"));
    assert_eq!(header(&sent[2], "x-ms-continuation").as_deref(), Some("c2"));
}

#[tokio::test]
async fn the_pager_reports_pages_and_continuation_tokens() {
    let sender = MockSender::new([page(&["d1"], Some("tok+/=")), page(&[], None)]);
    let client = client(&sender, ServiceClientOptions::default());
    let mut pager = client.query(SQL, QueryOptions::default());
    assert!(pager.has_more_results());
    let first = pager.next_page().await.unwrap().unwrap();
    assert_eq!(first.item_type, Some(QueryItemType::Twin));
    // The header passes through as sent (the official SDKs hand it on unchanged).
    assert_eq!(serde_json::to_value(&first).unwrap()["type"], "Twin");
    assert_eq!(first.continuation.as_deref(), Some("tok+/="));
    assert_eq!(pager.continuation_token(), Some("tok+/="));
    assert!(pager.has_more_results());
    let last = pager.next_page().await.unwrap().unwrap();
    assert!(last.items.is_empty());
    assert!(!pager.has_more_results());
    assert!(pager.next_page().await.unwrap().is_none());
    let sent = sender.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        header(&sent[0], "x-ms-max-item-count"),
        None,
        "no page size: header omitted"
    );

    // Resuming from a saved token, with a page size.
    let sender = MockSender::new([page(&["d9"], None)]);
    let page = client_page(&sender, "saved").await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        header(&sender.sent()[0], "x-ms-continuation").as_deref(),
        Some("saved")
    );
}

async fn client_page(
    sender: &std::sync::Arc<MockSender>,
    token: &str,
) -> crate::service::QueryPage {
    client(sender, ServiceClientOptions::default())
        .query_page(
            SQL,
            &QueryOptions {
                page_size: Some(100),
                continuation: Some(token.to_owned()),
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn raw_items_for_projections_and_aggregates() {
    let sender = MockSender::new([
        respond(
            200,
            &[("x-ms-item-type", "raw"), ("x-ms-continuation", "")],
            r#"[{"numberOfDevices":3,"status":"Success"}]"#,
        ),
        respond(200, &[], r#"[{"deviceId":"d1"}]"#),
    ]);
    let client = client(&sender, ServiceClientOptions::default());
    let sql = "SELECT properties.reported.status AS status, COUNT() AS numberOfDevices FROM devices GROUP BY properties.reported.status";
    let mut pager = client.query(sql, QueryOptions::default());
    let page = pager.next_page().await.unwrap().unwrap();
    assert_eq!(page.item_type, Some(QueryItemType::Raw));
    assert_eq!(page.item_type_as_sent.as_deref(), Some("raw"));
    // An empty continuation is treated as none, so a query cannot loop forever.
    assert_eq!(page.continuation, None);
    assert!(!pager.has_more_results());
    assert_eq!(
        page.items,
        [QueryItem::Raw(
            json!({"numberOfDevices": 3, "status": "Success"})
        )]
    );
    assert_eq!(page.items[0].clone().into_twin(), None);

    // No item type: raw JSON, and query_twins refuses it.
    let mut stream = client.query_twins("SELECT deviceId FROM devices", None);
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidArgument { .. }))
    ));
}

#[tokio::test]
async fn a_twin_page_with_a_non_twin_item_is_a_protocol_error() {
    let sender = MockSender::new([respond(
        200,
        &[("x-ms-item-type", "Twin")],
        r#"[{"deviceId": 5}]"#,
    )]);
    let error = client(&sender, ServiceClientOptions::default())
        .query_page(SQL, &QueryOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
}

#[tokio::test]
async fn the_stream_yields_an_error_and_ends() {
    let sender = MockSender::new([
        page(&["d1"], Some("c1")),
        respond(
            400,
            &[("iothub-errorcode", "ArgumentInvalid")],
            r#"{"Message":"ErrorCode:ArgumentInvalid;bad continuation"}"#,
        ),
    ]);
    let client = client(&sender, ServiceClientOptions::default());
    let items: Vec<_> = client
        .query(SQL, QueryOptions::default())
        .into_stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].as_ref().unwrap().clone().into_json()["deviceId"],
        "d1"
    );
    let error = items[1].as_ref().unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(sender.sent().len(), 2);
}
