//! Every error shape of spec §4.2 becomes a typed error with status, code, message and
//! tracking id.

use super::mock::response;
use crate::service::error_body::{error_from_response, service_error};
use crate::{Error, ErrorCode};

#[test]
fn message_with_error_code_and_tracking_id() {
    // The real body for a missing device, with the header.
    let e = service_error(&response(
        404,
        &[("iothub-errorcode", "DeviceNotFound")],
        r#"{"Message":"ErrorCode:DeviceNotFound;sensor-thl-001","ExceptionMessage":"Tracking ID:06e0221675514160850421f0b3b787a9-G:0-TimeStamp:10/24/2023 16:57:00"}"#,
    ));
    assert_eq!(e.status, 404);
    assert_eq!(e.code, Some(ErrorCode::DeviceNotFound));
    assert_eq!(e.code_name.as_deref(), Some("DeviceNotFound"));
    assert_eq!(e.code_number, Some(404_001));
    assert_eq!(e.message, "sensor-thl-001");
    assert_eq!(
        e.tracking_id.as_deref(),
        Some("06e0221675514160850421f0b3b787a9-G:0-TimeStamp:10/24/2023 16:57:00")
    );
    let error = Error::Service(e);
    assert!(error.is_not_found() && !error.is_retryable());
}

#[test]
fn message_text_keeps_colons_and_later_semicolons() {
    let e = service_error(&response(
        412,
        &[],
        r#"{"Message":"ErrorCode:PreconditionFailed;Precondition failed: Device version did not match, existingVersion:957482805 newVersion:957482804","ExceptionMessage":""}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::PreconditionFailed));
    assert_eq!(e.code_number, Some(412_001));
    assert_eq!(
        e.message,
        "Precondition failed: Device version did not match, existingVersion:957482805 newVersion:957482804"
    );
    assert_eq!(e.tracking_id, None);
    assert!(Error::Service(e).is_precondition_failed());

    let e = service_error(&response(
        400,
        &[],
        r#"{"Message":"ErrorCode:ArgumentNull;BadRequest"}"#,
    ));
    assert_eq!(
        (e.code_number, e.message.as_str()),
        (Some(400_005), "BadRequest")
    );
    let e = service_error(&response(
        400,
        &[],
        r#"{"Message":"ErrorCode:ArgumentInvalid"}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::ArgumentInvalid));
    assert_eq!(e.message, "Bad Request");
}

#[test]
fn escaped_json_in_message() {
    let e = service_error(&response(
        404,
        &[("iothub-errorcode", "DeviceNotOnline")],
        r#"{"Message":"{\"errorCode\":404103,\"trackingId\":\"b2f6-G:10\",\"message\":\"Timed out waiting for device to connect.\",\"info\":{},\"timestampUtc\":\"2021-03-08T20:50:14.0464383Z\"}","ExceptionMessage":""}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::DeviceNotOnline));
    assert_eq!(e.code_name.as_deref(), Some("DeviceNotOnline"));
    assert_eq!(e.code_number, Some(404_103));
    assert_eq!(e.message, "Timed out waiting for device to connect.");
    assert_eq!(e.tracking_id.as_deref(), Some("b2f6-G:10"));
}

#[test]
fn object_in_message_and_at_the_top_level() {
    let e = service_error(&response(
        429,
        &[],
        r#"{"Message":{"errorCode":429001,"trackingId":"t-1","message":"Throttled","timestampUtc":"2026-11-27T10:00:00Z"}}"#,
    ));
    assert_eq!(
        (e.code, e.tracking_id.as_deref(), e.message.as_str()),
        (
            Some(ErrorCode::ThrottlingException),
            Some("t-1"),
            "Throttled"
        )
    );
    let error = Error::Service(e);
    assert!(error.is_throttled() && error.is_retryable());

    let e = service_error(&response(
        400,
        &[],
        r#"{"errorCode":400004,"trackingId":"t-2","message":"bad key","timestampUtc":"x"}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::ArgumentInvalid));
    assert_eq!(
        (e.message.as_str(), e.tracking_id.as_deref()),
        ("bad key", Some("t-2"))
    );

    // errorCode as a string, number or name.
    let e = service_error(&response(
        409,
        &[],
        r#"{"Message":{"errorCode":"409001","message":"exists"}}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::DeviceAlreadyExists));
    let e = service_error(&response(
        409,
        &[],
        r#"{"message":{"errorCode":"ModuleAlreadyExistsOnDevice"}}"#,
    ));
    assert_eq!(e.code_number, Some(409_301));
}

#[test]
fn header_only_and_empty_bodies() {
    let e = service_error(&response(
        503,
        &[("iothub-errorcode", "ServiceUnavailable")],
        "",
    ));
    assert_eq!(e.code, Some(ErrorCode::ServiceUnavailable));
    assert_eq!((e.status, e.message.as_str()), (503, "Service Unavailable"));

    let e = service_error(&response(404, &[], ""));
    assert_eq!(
        (e.code, e.code_name.as_deref(), e.code_number),
        (None, None, None)
    );
    assert_eq!(e.message, "Not Found");
    assert_eq!(e.to_string(), "IoT Hub answered 404: Not Found");

    // The body's code wins over the header's.
    let e = service_error(&response(
        404,
        &[("iothub-errorcode", "DeviceNotFound")],
        r#"{"Message":"ErrorCode:ModuleNotFound;d/m"}"#,
    ));
    assert_eq!(e.code, Some(ErrorCode::ModuleNotFound));

    // An unknown name is kept as sent.
    let e = service_error(&response(
        400,
        &[("iothub-errorcode", "SomethingNew")],
        "{}",
    ));
    assert_eq!(
        (e.code, e.code_name.as_deref()),
        (None, Some("SomethingNew"))
    );
}

#[test]
fn non_json_bodies_become_the_message() {
    let e = service_error(&response(502, &[], "<html>Bad gateway</html>"));
    assert_eq!(
        (e.status, e.message.as_str()),
        (502, "<html>Bad gateway</html>")
    );
    let e = service_error(&response(500, &[], &"x".repeat(2000)));
    assert_eq!(e.message.len(), 512);
    let e = service_error(&response(400, &[], r#""just a string""#));
    assert_eq!(e.message, "just a string");
}

#[test]
fn unauthorized_and_forbidden_are_authentication_errors() {
    for status in [401, 403] {
        let error = error_from_response(&response(
            status,
            &[("iothub-errorcode", "IotHubUnauthorizedAccess")],
            r#"{"Message":"ErrorCode:IotHubUnauthorizedAccess;Unauthorized","ExceptionMessage":"Tracking ID:t-9"}"#,
        ));
        let Error::Authentication { reason, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.error_code_name(), Some("IotHubUnauthorizedAccess"));
        assert_eq!(error.error_code_number(), Some(401_002));
        assert_eq!(error.tracking_id(), Some("t-9"));
        assert!(
            reason.contains("IotHubUnauthorizedAccess (401002)"),
            "{reason}"
        );
        assert!(reason.contains("t-9"), "{reason}");
        assert!(error.is_unauthorized() && !error.is_retryable());
    }
    assert!(matches!(
        error_from_response(&response(404, &[], "")),
        Error::Service(_)
    ));
}
