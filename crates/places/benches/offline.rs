//! Offline radius queries: how long a WHATSAT's places lookup takes.

#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use places::Gazetteer;

fn offline(c: &mut Criterion) {
    let g = Gazetteer::global();
    let mut group = c.benchmark_group("offline");
    group.throughput(Throughput::Elements(1));
    group.bench_function("10km_los_angeles_20", |b| {
        b.iter(|| g.within(34.0689, -118.4452, 10.0, 20))
    });
    group.bench_function("50km_tokyo_20", |b| {
        b.iter(|| g.within(35.6812, 139.7671, 50.0, 20))
    });
    group.bench_function("50km_ocean", |b| {
        b.iter(|| g.within(-40.0, -120.0, 50.0, 20))
    });
    group.finish();
}

criterion_group!(benches, offline);
criterion_main!(benches);
