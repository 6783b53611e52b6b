//! HDR histograms in and out: the histogram shapes this crate records, their text
//! encoding (HdrHistogram's compressed V2 format in base64, what the Java, C, Go, Python
//! and JS ports read), a bounded decoder for merging runs from other machines, and
//! [`IntervalLog`], the `--hdr-log` file in HdrHistogram's interval log format.

use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to one hour.
pub(crate) const HIGHEST_US: u64 = 3_600_000_000;
/// Longest encoded histogram accepted when decoding, in base64 characters.
pub const MAX_ENCODED: usize = 1024 * 1024;
/// Largest decompressed histogram accepted when decoding, in bytes.
pub const MAX_INFLATED: u64 = 4 * 1024 * 1024;
/// V2 cookies (HdrHistogram's encoding, word size 8 in the low nibble's 0x10): plain and
/// compressed.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;

/// Why an encoded histogram was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HdrError {
    /// The text or its decompressed form is over [`MAX_ENCODED`] / [`MAX_INFLATED`].
    #[error("encoded histogram too large")]
    TooLarge,
    /// Not base64.
    #[error("encoded histogram is not base64")]
    Base64,
    /// Not a compressed V2 histogram, or its header is cut short.
    #[error("not a compressed HdrHistogram (V2)")]
    Format,
    /// A histogram of another range or precision than this tool records.
    #[error("histogram range or precision differs from herd load's (1 us to 1 h)")]
    Shape,
    /// The counts do not decode.
    #[error("histogram counts do not decode: {0}")]
    Counts(String),
}

/// A histogram for the run's latencies: 1 µs to 1 h at 3 significant digits.
pub(crate) fn histogram() -> Histogram<u64> {
    // Valid constant bounds, so construction cannot fail.
    Histogram::new_with_bounds(1, HIGHEST_US, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// A smaller histogram for per-URL rows: 2 significant digits (1 % resolution).
pub(crate) fn coarse_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 2).unwrap_or_else(|_| unreachable!("valid bounds"))
}

/// Encode as base64 of HdrHistogram's compressed V2 format.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Serializing into a Vec cannot fail for a histogram this crate built.
    if V2DeflateSerializer::new().serialize(h, &mut bytes).is_err() {
        bytes.clear();
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Decode what [`encode`] wrote, refusing anything over the size limits or of another
/// shape than this crate's histograms before any large allocation happens.
///
/// # Errors
/// [`HdrError`] saying what is wrong.
pub fn decode(text: &str) -> Result<Histogram<u64>, HdrError> {
    if text.len() > MAX_ENCODED {
        return Err(HdrError::TooLarge);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| HdrError::Base64)?;
    if be_u32(&bytes, 0) != Some(V2_COMPRESSED_COOKIE) {
        return Err(HdrError::Format);
    }
    let compressed = be_u32(&bytes, 4).ok_or(HdrError::Format)? as usize;
    let body = bytes.get(8..8 + compressed).ok_or(HdrError::Format)?;
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| HdrError::Format)?;
    if inflated.len() as u64 > MAX_INFLATED {
        return Err(HdrError::TooLarge);
    }
    // V2 header: cookie, payload length, normalizing offset, digits, lowest, highest, ratio.
    if be_u32(&inflated, 0) != Some(V2_COOKIE) || inflated.len() < 40 {
        return Err(HdrError::Format);
    }
    let payload = be_u32(&inflated, 4).ok_or(HdrError::Format)? as usize;
    if payload > inflated.len() - 40 {
        return Err(HdrError::Format);
    }
    let digits = be_u32(&inflated, 12);
    let (low, high) = (be_u64(&inflated, 16), be_u64(&inflated, 24));
    if !(matches!(digits, Some(2 | 3)) && low == Some(1) && high == Some(HIGHEST_US)) {
        return Err(HdrError::Shape);
    }
    Deserializer::new()
        .deserialize(&mut inflated.as_slice())
        .map_err(|e| HdrError::Counts(e.to_string()))
}

/// The `--hdr-log` file: HdrHistogram's interval log (format 1.3), one compressed
/// histogram per second of latencies in microseconds, as `HistogramLogProcessor` and the
/// other HdrHistogram tools read it. Interval timestamps count from the log's BaseTime.
#[derive(Debug)]
pub struct IntervalLog {
    out: std::io::BufWriter<std::fs::File>,
    base: SystemTime,
}

impl IntervalLog {
    /// Create (or truncate) `path` and write the header.
    ///
    /// # Errors
    /// If the file cannot be created or written.
    pub fn create(path: &std::path::Path, what: &str) -> std::io::Result<IntervalLog> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        let base = SystemTime::now();
        let epoch = base
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        writeln!(out, "#[{}]", what.replace(['\n', '\r'], " "))?;
        writeln!(out, "#[Histogram log format version 1.3]")?;
        writeln!(out, "#[StartTime: {epoch:.3} (seconds since epoch)]")?;
        writeln!(out, "#[BaseTime: {epoch:.3} (seconds since epoch)]")?;
        writeln!(
            out,
            "#[Values in microseconds; Interval_Max in milliseconds]"
        )?;
        writeln!(
            out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        Ok(IntervalLog { out, base })
    }

    /// Write one interval that started at wall-clock `start` and lasted `length`.
    /// `tag` (letters, digits, `-`, `_` and `.` are kept; anything else becomes `_`)
    /// tells runs in one log apart.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub(crate) fn interval(
        &mut self,
        tag: Option<&str>,
        start: SystemTime,
        length: Duration,
        h: &Histogram<u64>,
    ) -> std::io::Result<()> {
        if let Some(t) = tag {
            let clean: String = t
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            write!(self.out, "Tag={clean},")?;
        }
        let offset = start.duration_since(self.base).unwrap_or_default();
        writeln!(
            self.out,
            "{:.3},{:.3},{:.3},{}",
            offset.as_secs_f64(),
            length.as_secs_f64(),
            h.max() as f64 / 1000.0,
            encode(h)
        )
    }

    /// Flush the file.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests;
