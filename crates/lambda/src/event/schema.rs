//! The events' JSON Schema, `docs/lambda-event.schema.json`, derived from
//! the serde types of [`super`] with schemars (the doc comments are its
//! descriptions); `cargo run -p docgen` writes it and `cargo test -p docgen`
//! fails when it is stale. The constraints a Rust type cannot carry
//! (lengths, patterns, exactly one selector) come from the constants the
//! validation itself uses.
//!
//! Only with the `schema` feature (docgen's): the function never builds a
//! schema.

use glue_codeartifact_domain::{
    installer_option::IndexMode, job_pattern::MAX_JOB_NAME_LEN, run_plan::RESERVED_ARGUMENTS,
};
use schemars::{JsonSchema, Schema, generate::SchemaSettings};
use serde_json::{Value, json};

use super::{MAX_REFRESH_TAGS, MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN, RefreshEvent, StartEvent};

/// The schema's `$id`.
pub const ID: &str =
    "https://github.com/glue-codeartifact/glue-codeartifact/docs/lambda-event.schema.json";

/// The text forms of a token duration that `TokenDuration` parses: whole
/// seconds, or humantime's `1h 30m` form.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+|[0-9]+\s*[a-z]+(\s*[0-9]+\s*[a-z]+)*)\s*$";

/// What `check_job_name` accepts: no control character but tab, no
/// U+FFFE/U+FFFF, no leading or trailing white space.
const JOB_NAME_PATTERN: &str =
    r"^[^\s\x00-\x1f\uFFFE\uFFFF]([^\x00-\x08\x0a-\x1f\uFFFE\uFFFF]*[^\s\x00-\x1f\uFFFE\uFFFF])?$";

/// What the glue-codeartifact Lambda functions are invoked with: either a
/// start event (one Glue job run to start; only where
/// `GLUE_CODEARTIFACT_START_ENABLED` is true, the default: the SAM
/// template's start function) or a refresh event (write a fresh index URL
/// into the `DefaultArguments` of some jobs; only where
/// `GLUE_CODEARTIFACT_REFRESH_ENABLED=true`: the SAM template's refresh
/// function). Domain, repository and defaults come from the function's
/// environment; `duration`, `mode` and run arguments override them only
/// where `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` allows them. Any other
/// field is rejected, and nothing is started or changed.
#[derive(JsonSchema)]
#[serde(untagged)]
#[schemars(
    title = "glue-codeartifact Lambda event",
    extend("$id" = ID),
    transform = one_of,
    example = json!({"job_name": "nightly-etl"}),
    example = json!({"job_name": "nightly-etl", "arguments": {"--day": "2024-01-31"}, "duration": "1h", "mode": "index-url"}),
    example = json!({"refresh": {"job_names": ["nightly-etl", "reports"]}}),
    example = json!({"refresh": {"tags": {"team": "data"}}, "duration": "12h"}),
)]
#[allow(dead_code, reason = "only its schema is used")]
enum Event {
    Start(StartEvent),
    Refresh(RefreshEvent),
}

/// A Glue job name: 1 to 255 characters on one line, without leading or
/// trailing white space.
#[derive(JsonSchema)]
#[schemars(rename = "job_name")]
#[allow(dead_code, reason = "only its schema is used")]
pub struct JobName(
    #[schemars(length(min = 1, max = MAX_JOB_NAME_LEN), regex(pattern = JOB_NAME_PATTERN))] String,
);

/// The JSON Schema of every event the functions accept.
pub fn json_schema() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Event>()
        .to_value();
    unwrap_descriptions(&mut schema);
    schema
}

/// A doc comment's lines are wrapped for the source; a description's
/// paragraphs are one line each.
fn unwrap_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(text) if key == "description" => {
                        *text = text
                            .split("\n\n")
                            .map(|paragraph| paragraph.split('\n').collect::<Vec<_>>().join(" "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    _ => unwrap_descriptions(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Start and refresh events exclude each other (each requires its own
/// field and denies the other's), so exactly one matches.
fn one_of(schema: &mut Schema) {
    if let Some(any_of) = schema.remove("anyOf") {
        schema.insert("oneOf".into(), any_of);
    }
}

/// A run argument's key: `--name`, never one Glue reserves.
pub(super) fn run_arguments(schema: &mut Schema) {
    schema.insert(
        "propertyNames".into(),
        json!({"pattern": r"^--[^\s=]+$", "not": {"enum": RESERVED_ARGUMENTS}}),
    );
}

/// One of the index modes, or null.
pub(super) fn mode(schema: &mut Schema) {
    let mut modes: Vec<Value> = [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl]
        .iter()
        .map(|m| Value::from(m.as_str()))
        .collect();
    modes.push(Value::Null);
    schema.remove("type");
    schema.insert("enum".into(), modes.into());
}

/// A refresh writes a token into the jobs: it needs a known life, not `0`.
pub(super) fn not_zero(schema: &mut Schema) {
    schema.insert(
        "not".into(),
        json!({"type": "string", "pattern": r"^\s*0+\s*$"}),
    );
}

/// Glue's tags: 1 to 50 (an empty filter would select every job), keys of
/// 1 to 128 characters, not blank, values of at most 256.
pub(super) fn tags(schema: &mut Schema) {
    schema.insert("minProperties".into(), 1.into());
    schema.insert("maxProperties".into(), MAX_REFRESH_TAGS.into());
    schema.insert(
        "propertyNames".into(),
        json!({"minLength": 1, "maxLength": MAX_TAG_KEY_LEN, "pattern": r"\S"}),
    );
    schema.insert(
        "additionalProperties".into(),
        json!({"type": "string", "maxLength": MAX_TAG_VALUE_LEN}),
    );
}

/// Exactly one of `job_names` and `tags` is given (not null).
pub(super) fn exactly_one_selector(schema: &mut Schema) {
    schema.insert(
        "oneOf".into(),
        json!([
            {"required": ["job_names"], "properties": {"job_names": {"type": "array"}}},
            {"required": ["tags"], "properties": {"tags": {"type": "object"}}},
        ]),
    );
}
