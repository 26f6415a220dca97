//! CloudWatch Logs: list a run's log streams, read one stream's events.
//!
//! Log text is redacted where it enters (every URL password becomes
//! `****`, see [`redact_line`]): pip or Glue may have
//! printed an index URL with its token unmasked. A line is never kept, logged
//! or formatted unredacted.
//!
//! Why `DescribeLogStreams` and `GetLogEvents` rather than
//! `FilterLogEvents` with a stream-name prefix: reading stream by stream tells
//! exactly which streams were read (a triage says so), and moto's
//! `FilterLogEvents` ignores `logStreamNamePrefix` (moto 5.2, read from
//! moto/logs/models.py), so a test against it would not test the real filter.

use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::Client;
use glue_codeartifact_domain::install_failure::{LogLine, redact_line};

use crate::error::{AwsError, AwsErrorKind, Operation};

/// One page of a stream, at most (`GetLogEvents` returns up to 10,000
/// events or 1 MB a call).
pub const MAX_EVENTS_PER_CALL: i32 = 10_000;

/// The CloudWatch Logs operations this tool calls.
#[derive(Clone, Debug)]
pub struct Logs {
    client: Client,
}

/// A log stream, as `DescribeLogStreams` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogStream {
    /// Its name.
    pub name: String,
    /// When its last event was written (milliseconds since the Unix epoch).
    pub last_event_ms: Option<i64>,
}

/// What reading a stream found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamEvents {
    /// Its events, oldest first, each redacted.
    pub lines: Vec<LogLine>,
    /// Whether the stream holds more than was read (the page limit was hit).
    pub truncated: bool,
}

impl Logs {
    /// A client from the shared SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// `DescribeLogStreams`: the streams of `group` whose names start with
    /// `prefix`, all pages up to `max_pages`. `Ok(None)` when the group does
    /// not exist (a run that has written nothing there yet).
    pub async fn describe_log_streams(
        &self,
        group: &str,
        prefix: &str,
        max_pages: usize,
    ) -> Result<Option<Vec<LogStream>>, AwsError> {
        const OP: Operation = Operation::DescribeLogStreams;
        let mut streams = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..max_pages {
            let output = match self
                .client
                .describe_log_streams()
                .log_group_name(group)
                .log_stream_name_prefix(prefix)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(OP, e))
            {
                Ok(output) => output,
                Err(e) if e.kind == AwsErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            streams.extend(output.log_streams().iter().filter_map(|s| {
                Some(LogStream {
                    name: s.log_stream_name()?.to_owned(),
                    last_event_ms: s.last_event_timestamp(),
                })
            }));
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(Some(streams))
    }

    /// `GetLogEvents` from the head of one stream, at most `max_pages`
    /// calls. Each line is redacted (URL passwords, and each of `secrets`)
    /// before it is kept.
    pub async fn get_log_events(
        &self,
        group: &str,
        stream: &str,
        max_pages: usize,
        secrets: &[String],
    ) -> Result<StreamEvents, AwsError> {
        const OP: Operation = Operation::GetLogEvents;
        let mut read = StreamEvents::default();
        let mut next_token: Option<String> = None;
        for page in 0..max_pages {
            let sent = next_token.clone();
            let output = self
                .client
                .get_log_events()
                .log_group_name(group)
                .log_stream_name(stream)
                .start_from_head(true)
                .limit(MAX_EVENTS_PER_CALL)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(OP, e))?;
            read.lines
                .extend(output.events().iter().filter_map(|event| {
                    Some(LogLine {
                        stream: stream.to_owned(),
                        timestamp_ms: event.timestamp().unwrap_or_default(),
                        text: redact_line(event.message()?, secrets),
                    })
                }));
            // The end of a stream: the same forward token comes back.
            match output.next_forward_token() {
                Some(token) if !output.events().is_empty() && Some(token) != sent.as_deref() => {
                    next_token = Some(token.to_owned());
                    read.truncated = page + 1 == max_pages;
                }
                _ => break,
            }
        }
        Ok(read)
    }
}
