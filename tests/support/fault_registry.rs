//! A Confluent-REST-compatible Schema Registry for tests, with faults (the real one, rivven, is
//! in `registry.rs`; this one is for what rivven lacks and for faults it cannot produce). It serves the calls
//! weir makes (`GET /subjects`, `GET /schemas/ids/{id}`, `GET /subjects/{s}/versions/latest`
//! and `/{version}`, `POST /subjects/{s}/versions`) from memory, on its own thread and tokio
//! runtime, and can be told to answer every request with an HTTP status (500, 503, 401), to
//! answer late, or to require basic credentials. Ids it never gave out answer 404 with error
//! code 40403, as the real registry does. [`FaultRegistry::start_on`] binds a chosen address,
//! so a test can point weir at a registry that does not run yet and start it later.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Default)]
struct Shared {
    /// Schemas by id - 1: (schemaType, text, references as the REST API writes them).
    schemas: Mutex<Vec<(String, String, Vec<Value>)>>,
    /// Ids of each subject's versions, oldest first.
    subjects: Mutex<BTreeMap<String, Vec<u32>>>,
    /// Non-zero: every request is answered with this status.
    fail_with: AtomicU16,
    latency_ms: AtomicU64,
    requests: AtomicU64,
    /// `Authorization` header every request must carry, when set.
    required_auth: Mutex<Option<String>>,
}

/// A running registry; its thread and runtime stop when it is dropped.
pub struct FaultRegistry {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultRegistry {
    pub fn start() -> FaultRegistry {
        FaultRegistry::start_on(free_address())
    }

    /// Serves on `address` (from [`free_address`], so weir can be pointed at it first).
    pub fn start_on(address: SocketAddr) -> FaultRegistry {
        let listener = TcpListener::bind(address).expect("binding the test registry");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/subjects", get(subjects))
            .route("/schemas/ids/{id}", get(by_id))
            .route("/subjects/{subject}/versions/{version}", get(version))
            .route("/subjects/{subject}/versions", get(versions).post(register))
            .layer(middleware::from_fn_with_state(shared.clone(), faults))
            .with_state(shared.clone());
        let thread = std::thread::Builder::new()
            .name("test-registry".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("registry runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await
                        .expect("serving the test registry");
                });
            })
            .expect("spawning the test registry");
        FaultRegistry {
            address,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Registers `text` (an AVRO schema) under `subject`; returns its id.
    pub fn register(&self, subject: &str, text: &str) -> u32 {
        register_in(&self.shared, subject, "AVRO", text, Vec::new())
    }

    /// Registers `text` with references `(name, subject, version)` to other subjects.
    pub fn register_with_references(
        &self,
        subject: &str,
        text: &str,
        references: &[(&str, &str, u32)],
    ) -> u32 {
        self.register_kind(subject, "AVRO", text, references)
    }

    /// Registers `text` of `kind` (AVRO, PROTOBUF or JSON) with references `(name, subject,
    /// version)` to other subjects.
    pub fn register_kind(
        &self,
        subject: &str,
        kind: &str,
        text: &str,
        references: &[(&str, &str, u32)],
    ) -> u32 {
        let references = references
            .iter()
            .map(|(name, subject, version)| {
                json!({"name": name, "subject": subject, "version": version})
            })
            .collect();
        register_in(&self.shared, subject, kind, text, references)
    }

    /// The latest schema text of `subject` and its id.
    pub fn latest(&self, subject: &str) -> Option<(u32, String)> {
        let id = *self.shared.subjects.lock().unwrap().get(subject)?.last()?;
        let text = self.shared.schemas.lock().unwrap()[id as usize - 1]
            .1
            .clone();
        Some((id, text))
    }

    /// The text of schema `id`.
    pub fn schema(&self, id: u32) -> Option<String> {
        let schemas = self.shared.schemas.lock().unwrap();
        schemas
            .get((id as usize).checked_sub(1)?)
            .map(|s| s.1.clone())
    }

    /// Answers every request with `status` (0: answer normally again).
    pub fn fail_with(&self, status: u16) {
        self.shared.fail_with.store(status, Ordering::SeqCst);
    }

    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Requires HTTP basic credentials on every request.
    pub fn require_basic_auth(&self, user: &str, password: &str) {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        *self.shared.required_auth.lock().unwrap() = Some(format!("Basic {encoded}"));
    }

    /// Requests served (or refused) so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FaultRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A loopback address nothing listens on (yet).
pub fn free_address() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    listener.local_addr().expect("its address")
}

fn register_in(
    shared: &Shared,
    subject: &str,
    kind: &str,
    text: &str,
    references: Vec<Value>,
) -> u32 {
    let mut schemas = shared.schemas.lock().unwrap();
    let id = match schemas
        .iter()
        .position(|(k, t, r)| k == kind && t == text && *r == references)
    {
        Some(i) => i as u32 + 1,
        None => {
            schemas.push((kind.to_string(), text.to_string(), references));
            schemas.len() as u32
        }
    };
    let mut subjects = shared.subjects.lock().unwrap();
    let versions = subjects.entry(subject.to_string()).or_default();
    if !versions.contains(&id) {
        versions.push(id);
    }
    id
}

async fn faults(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let latency = shared.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let status = shared.fail_with.load(Ordering::SeqCst);
    if status != 0 {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, 50001, "injected fault").into_response();
    }
    let required = shared.required_auth.lock().unwrap().clone();
    if let Some(required) = required {
        let given = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if given != Some(required.as_str()) {
            return error(StatusCode::UNAUTHORIZED, 40101, "Unauthorized").into_response();
        }
    }
    next.run(request).await
}

fn error(status: StatusCode, code: u32, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"error_code": code, "message": message})),
    )
}

fn schema_json(shared: &Shared, id: u32) -> Option<Value> {
    let schemas = shared.schemas.lock().unwrap();
    let (kind, text, references) = schemas.get((id as usize).checked_sub(1)?)?;
    let mut answer = json!({"schema": text});
    if kind != "AVRO" {
        answer["schemaType"] = json!(kind);
    }
    if !references.is_empty() {
        answer["references"] = json!(references);
    }
    Some(answer)
}

async fn subjects(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let subjects: Vec<String> = shared.subjects.lock().unwrap().keys().cloned().collect();
    Json(json!(subjects))
}

async fn by_id(State(shared): State<Arc<Shared>>, Path(id): Path<u32>) -> Response {
    match schema_json(&shared, id) {
        Some(answer) => Json(answer).into_response(),
        None => error(StatusCode::NOT_FOUND, 40403, "Schema not found").into_response(),
    }
}

async fn versions(State(shared): State<Arc<Shared>>, Path(subject): Path<String>) -> Response {
    match shared.subjects.lock().unwrap().get(&subject) {
        Some(ids) => Json(json!((1..=ids.len()).collect::<Vec<_>>())).into_response(),
        None => error(StatusCode::NOT_FOUND, 40401, "Subject not found").into_response(),
    }
}

async fn version(
    State(shared): State<Arc<Shared>>,
    Path((subject, version)): Path<(String, String)>,
) -> Response {
    let id = {
        let subjects = shared.subjects.lock().unwrap();
        let Some(ids) = subjects.get(&subject) else {
            return error(StatusCode::NOT_FOUND, 40401, "Subject not found").into_response();
        };
        let index = match version.as_str() {
            "latest" => ids.len(),
            number => number.parse::<usize>().unwrap_or(0),
        };
        match index.checked_sub(1).and_then(|i| ids.get(i)) {
            Some(id) => (*id, index),
            None => {
                return error(StatusCode::NOT_FOUND, 40402, "Version not found").into_response();
            }
        }
    };
    let mut answer = schema_json(&shared, id.0).expect("a registered id");
    answer["id"] = json!(id.0);
    answer["version"] = json!(id.1);
    answer["subject"] = json!(subject);
    Json(answer).into_response()
}

async fn register(
    State(shared): State<Arc<Shared>>,
    Path(subject): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, 42201, "Invalid schema").into_response();
    };
    let Some(text) = request.get("schema").and_then(Value::as_str) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, 42201, "Invalid schema").into_response();
    };
    let kind = request
        .get("schemaType")
        .and_then(Value::as_str)
        .unwrap_or("AVRO");
    if kind == "AVRO" && serde_json::from_str::<Value>(text).is_err() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, 42201, "Invalid schema").into_response();
    }
    let references = request
        .get("references")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let id = register_in(&shared, &subject, kind, text, references);
    Json(json!({"id": id})).into_response()
}
