//! [`Metrics`]: counters of what the broker did, rendered in the Prometheus text format
//! for `GET /metrics`. Plain atomics: a counter bump is one relaxed add on the hot path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Stats;

/// The HTTP statuses this service answers, in the order of [`Metrics::responses`].
pub const STATUSES: [u16; 9] = [200, 204, 400, 404, 405, 413, 431, 500, 503];

/// Counters for one node.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Messages published that reached at least one subscriber.
    pub published: AtomicU64,
    /// Publishes to topics without subscribers (nothing stored).
    pub published_unheard: AtomicU64,
    /// Messages handed to a subscriber.
    pub delivered: AtomicU64,
    /// Of those, messages handed out again because an earlier claim lapsed unconfirmed
    /// (its node died mid-read, or its reply outlasted the lease).
    pub redelivered: AtomicU64,
    /// Replies that broke off before the whole message was written; the message was
    /// handed back for the subscriber's next read.
    pub replies_cut: AtomicU64,
    /// Long polls waiting right now.
    pub waiting: AtomicU64,
    /// Store errors (the store was down, full or answered unexpectedly).
    pub store_errors: AtomicU64,
    /// Responses by status, indexed like [`STATUSES`].
    pub responses: [AtomicU64; STATUSES.len()],
}

impl Metrics {
    /// Count one response with `status`.
    pub fn response(&self, status: u16) {
        if let Some(i) = STATUSES.iter().position(|&s| s == status) {
            self.responses[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition, with the store's own figures when it has them.
    pub fn render(&self, stats: Option<Stats>) -> String {
        let mut out = String::with_capacity(2048);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "pubsub_published_total",
            "counter",
            "Messages stored for at least one subscriber.",
            get(&self.published),
        );
        metric(
            "pubsub_published_unheard_total",
            "counter",
            "Publishes to topics without subscribers.",
            get(&self.published_unheard),
        );
        metric(
            "pubsub_delivered_total",
            "counter",
            "Messages handed to subscribers.",
            get(&self.delivered),
        );
        metric(
            "pubsub_redelivered_total",
            "counter",
            "Messages delivered again after an unconfirmed claim lapsed.",
            get(&self.redelivered),
        );
        metric(
            "pubsub_replies_cut_total",
            "counter",
            "Replies cut off before the whole message was written (message handed back).",
            get(&self.replies_cut),
        );
        metric(
            "pubsub_long_polls_waiting",
            "gauge",
            "Long polls waiting now.",
            get(&self.waiting),
        );
        metric(
            "pubsub_store_errors_total",
            "counter",
            "Store operations that failed.",
            get(&self.store_errors),
        );
        if let Some(s) = stats {
            metric(
                "pubsub_topics",
                "gauge",
                "Topics with subscribers or messages.",
                s.topics,
            );
            metric(
                "pubsub_subscriptions",
                "gauge",
                "Subscriptions.",
                s.subscriptions,
            );
            metric(
                "pubsub_messages_stored",
                "gauge",
                "Messages stored, each once.",
                s.messages,
            );
            metric(
                "pubsub_message_bytes_stored",
                "gauge",
                "Bytes of stored message bodies.",
                s.bytes,
            );
        }
        let _ = writeln!(
            out,
            "# HELP pubsub_responses_total HTTP responses by status."
        );
        let _ = writeln!(out, "# TYPE pubsub_responses_total counter");
        for (s, c) in STATUSES.iter().zip(&self.responses) {
            let _ = writeln!(out, "pubsub_responses_total{{status=\"{s}\"}} {}", get(c));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counters and store figures appear under their names; unknown statuses are ignored.
    #[test]
    fn renders() {
        let m = Metrics::default();
        m.published.fetch_add(3, Ordering::Relaxed);
        m.response(404);
        m.response(999);
        let text = m.render(Some(Stats {
            bytes: 42,
            ..Stats::default()
        }));
        assert!(text.contains("pubsub_published_total 3\n"), "{text}");
        assert!(text.contains("pubsub_message_bytes_stored 42\n"));
        assert!(text.contains("pubsub_responses_total{status=\"404\"} 1\n"));
        assert!(!m.render(None).contains("pubsub_topics"));
    }
}
