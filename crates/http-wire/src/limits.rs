//! [`Limits`]: the bounds every parser enforces.

/// Bounds on one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (request or status line plus headers), in bytes. Default 16 KiB.
    pub max_head: usize,
    /// Most headers. Default 64.
    pub max_headers: usize,
    /// Largest body, in bytes, after de-chunking. Default 1 MiB.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_headers: 64,
            max_body: 1024 * 1024,
        }
    }
}

/// The head length once httparse has a complete head, enforcing `max_head`; `None` while a
/// partial head is still within the limit. Shared by the request and response parsers.
pub(crate) fn head_len(
    status: httparse::Status<usize>,
    buffered: usize,
    limits: &Limits,
) -> Result<Option<usize>, crate::Error> {
    match status {
        httparse::Status::Complete(n) if n > limits.max_head => Err(crate::Error::HeadTooLarge),
        httparse::Status::Complete(n) => Ok(Some(n)),
        httparse::Status::Partial if buffered > limits.max_head => Err(crate::Error::HeadTooLarge),
        httparse::Status::Partial => Ok(None),
    }
}
