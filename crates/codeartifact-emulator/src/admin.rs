//! The test-control API under `/_emulator/` (not part of AWS), for tests
//! written in other languages. JSON in, JSON out; never returns tokens.
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /_emulator/health` | | `{"status":"ok"}` |
//! | `POST /_emulator/clock` | `{"advance_seconds": N}` (N ≥ 0, may be fractional) | `{"offset_seconds": total}` |
//! | `POST /_emulator/faults` | a [`Fault`] (see [`crate::faults`]) | 201, the pending faults |
//! | `GET /_emulator/faults` | | the pending faults |
//! | `DELETE /_emulator/faults` | | 204 |
//! | `POST /_emulator/expiration` | `{"expiration": N}` (any JSON number; `null` clears) | `{"expiration": N}` |
//! | `GET /_emulator/stats` | | [`crate::Stats`] |
//! | `GET /_emulator/requests` | | a list of [`crate::RequestRecord`] |

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State as AxumState;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::faults::Fault;
use crate::state::State;

/// The admin routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/clock", post(advance_clock))
        .route(
            "/_emulator/faults",
            get(list_faults).post(inject_fault).delete(clear_faults),
        )
        .route("/_emulator/expiration", post(report_expiration))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/requests", get(requests))
}

async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Body of `POST /_emulator/clock`.
#[derive(Deserialize)]
struct AdvanceClock {
    advance_seconds: f64,
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

async fn advance_clock(
    AxumState(state): AxumState<Arc<State>>,
    body: Result<Json<AdvanceClock>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(e) => return bad_request(e.body_text()),
    };
    let Ok(by) = Duration::try_from_secs_f64(body.advance_seconds) else {
        return bad_request("advance_seconds must be a non-negative number".to_owned());
    };
    state.clock.advance(by);
    tracing::info!(advance_seconds = by.as_secs_f64(), "clock advanced");
    Json(json!({ "offset_seconds": state.clock.offset().as_secs_f64() })).into_response()
}

/// Body of `POST /_emulator/expiration`.
#[derive(Deserialize)]
struct ReportExpiration {
    expiration: Option<serde_json::Number>,
}

async fn report_expiration(
    AxumState(state): AxumState<Arc<State>>,
    body: Result<Json<ReportExpiration>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(e) => return bad_request(e.body_text()),
    };
    tracing::info!(expiration = ?body.expiration, "reported expiration set");
    *state.reported_expiration.lock().expect("expiration lock") = body.expiration.clone();
    Json(json!({ "expiration": body.expiration })).into_response()
}

async fn list_faults(AxumState(state): AxumState<Arc<State>>) -> Response {
    Json(state.faults.pending()).into_response()
}

async fn inject_fault(
    AxumState(state): AxumState<Arc<State>>,
    body: Result<Json<Fault>, JsonRejection>,
) -> Response {
    let Json(fault) = match body {
        Ok(body) => body,
        Err(e) => return bad_request(e.body_text()),
    };
    tracing::info!(?fault, "fault injected");
    state.faults.inject(fault);
    (StatusCode::CREATED, Json(state.faults.pending())).into_response()
}

async fn clear_faults(AxumState(state): AxumState<Arc<State>>) -> StatusCode {
    state.faults.clear();
    tracing::info!("faults cleared");
    StatusCode::NO_CONTENT
}

async fn stats(AxumState(state): AxumState<Arc<State>>) -> Response {
    Json(state.stats()).into_response()
}

async fn requests(AxumState(state): AxumState<Arc<State>>) -> Response {
    Json(state.requests()).into_response()
}
