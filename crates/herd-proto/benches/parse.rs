//! Hot paths of the herd line protocol: parsing a client line, formatting the AT reply,
//! and splitting a stream into lines.

use std::hint::black_box;

use criterion::{criterion_main, Criterion, Throughput};
use herd_proto::{parse_peer_frame, parse_request, At, LineBuffer, Request, Timestamp};

const IAMAT: &[u8] = b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";

/// Parsing client and peer lines.
fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("iamat", |b| b.iter(|| parse_request(black_box(IAMAT))));
    let at = b"AT Hands +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
    g.bench_function("peer_at", |b| b.iter(|| parse_peer_frame(black_box(at))));
    g.finish();
}

/// Building and formatting the AT reply.
fn format(c: &mut Criterion) {
    let Ok(Request::IAmAt(iamat)) = parse_request(IAMAT) else {
        return;
    };
    let received = Timestamp::new(1_520_023_935, 182_837_383).unwrap_or_else(Timestamp::now);
    let mut g = c.benchmark_group("format");
    g.throughput(Throughput::Elements(1));
    g.bench_function("at_from_iamat", |b| {
        b.iter(|| At::from_iamat("Hands", black_box(received), black_box(&iamat)).to_string())
    });
    g.finish();
}

/// Splitting a 64 KiB chunk of IAMAT lines.
fn split(c: &mut Criterion) {
    let mut chunk = Vec::new();
    let mut lines = 0u64;
    while chunk.len() + IAMAT.len() < 65_536 {
        chunk.extend_from_slice(IAMAT);
        chunk.push(b'\n');
        lines += 1;
    }
    let mut g = c.benchmark_group("line_buffer");
    g.throughput(Throughput::Elements(lines));
    g.bench_function("split_64k", |b| {
        b.iter(|| {
            let mut buf = LineBuffer::new(herd_proto::MAX_LINE);
            buf.extend(black_box(&chunk));
            let mut n = 0;
            while let Ok(Some(line)) = buf.next_line() {
                n += line.len();
            }
            n
        })
    });
    g.finish();
}

// `criterion_group!` expands to an undocumented `pub fn`; the workspace denies that.
#[allow(missing_docs)]
mod group {
    use criterion::criterion_group;
    criterion_group!(benches, super::parse, super::format, super::split);
}
criterion_main!(group::benches);
