//! Log events written into moto's CloudWatch Logs as Glue writes a run's:
//! in a job log group (`/aws-glue/jobs/error`, `/aws-glue/jobs/output`,
//! continuous logging's `/aws-glue/jobs/logs-v2`), in a stream named after
//! the run (`jr_…`, `jr_…-driver`), one event per line.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use crate::env::sdk_config;
use crate::moto::Moto;

impl Moto {
    /// A CloudWatch Logs client pointed at this server.
    pub fn logs(&self) -> Client {
        Client::new(&sdk_config(&self.url))
    }

    /// Writes `lines` as events of `stream` in `group` (both created if
    /// missing), one millisecond apart, ending now.
    pub fn write_glue_log(&self, group: &str, stream: &str, lines: &[&str]) {
        let logs = self.logs();
        self.block_on(async {
            // An existing group or stream is fine (ResourceAlreadyExists).
            let _ = logs.create_log_group().log_group_name(group).send().await;
            let _ = logs
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name(stream)
                .send()
                .await;
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_millis() as i64;
            let count = lines.len() as i64;
            let events = lines.iter().enumerate().map(|(i, line)| {
                InputLogEvent::builder()
                    .timestamp(now - count + i as i64)
                    .message(*line)
                    .build()
                    .expect("timestamp and message are set")
            });
            logs.put_log_events()
                .log_group_name(group)
                .log_stream_name(stream)
                .set_log_events(Some(events.collect()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutLogEvents failed: {}", DisplayErrorContext(e)));
        });
    }
}
