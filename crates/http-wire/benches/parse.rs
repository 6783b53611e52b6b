//! Request parsing: the server's [`Decoder`] beside `httparse` alone, on a short request
//! (what a load generator sends) and a browser-like one, whole and trickled in 16-byte
//! reads. The gap between the two is the price of owning the request (copying method,
//! target and headers out of the buffer) and of the framing rules.

use criterion::{black_box, criterion_main, BenchmarkId, Criterion, Throughput};
use http_wire::{DecodeLimits, Decoder, Step};

const SHORT: &[u8] = b"GET /small.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
const BROWSER: &[u8] = b"GET /static/css/site.css?v=12 HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/css,*/*;q=0.1\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Referer: https://www.example.com/\r\n\
Connection: keep-alive\r\n\
Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n\
Sec-Fetch-Dest: style\r\n\
Sec-Fetch-Mode: no-cors\r\n\
If-Modified-Since: Tue, 15 Nov 1994 08:12:31 GMT\r\n\r\n";

fn decode_whole(raw: &[u8]) -> usize {
    let mut d = Decoder::new(DecodeLimits::default());
    match d.decode(raw) {
        Ok(Step::Request(r)) => r.consumed,
        _ => 0,
    }
}

fn decode_trickled(raw: &[u8]) -> usize {
    let mut d = Decoder::new(DecodeLimits::default());
    let mut end = 0;
    while end < raw.len() {
        end = (end + 16).min(raw.len());
        if let Ok(Step::Request(r)) = d.decode(&raw[..end]) {
            return r.consumed;
        }
    }
    0
}

fn httparse_whole(raw: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => 0,
    }
}

/// httparse re-parsing from byte 0 after every 16-byte read, as a naive server would.
fn httparse_trickled(raw: &[u8]) -> usize {
    let mut end = 0;
    while end < raw.len() {
        end = (end + 16).min(raw.len());
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(n)) = req.parse(&raw[..end]) {
            return n;
        }
    }
    0
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("request_parse");
    for (name, raw) in [("short", SHORT), ("browser", BROWSER)] {
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_with_input(BenchmarkId::new("decoder", name), raw, |b, r| {
            b.iter(|| decode_whole(black_box(r)))
        });
        g.bench_with_input(BenchmarkId::new("httparse", name), raw, |b, r| {
            b.iter(|| httparse_whole(black_box(r)))
        });
        g.bench_with_input(BenchmarkId::new("decoder_16B_reads", name), raw, |b, r| {
            b.iter(|| decode_trickled(black_box(r)))
        });
        g.bench_with_input(
            BenchmarkId::new("httparse_reparse_16B_reads", name),
            raw,
            |b, r| b.iter(|| httparse_trickled(black_box(r))),
        );
    }
    g.finish();
}

// `criterion_group!` expands to an undocumented `pub fn`; the workspace denies that.
#[allow(missing_docs)]
mod group {
    use criterion::criterion_group;
    criterion_group!(benches, super::parse);
}
criterion_main!(group::benches);
