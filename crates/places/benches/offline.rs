//! Offline radius queries: how long a WHATSAT's places lookup takes, on the index alone and
//! through `Places::nearby` (cache off, so every call queries and builds JSON).

#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use places::{Gazetteer, Places, PlacesConfig};

fn index(c: &mut Criterion) {
    let g = Gazetteer::global();
    let mut group = c.benchmark_group("offline_index");
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

fn nearby(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let config = PlacesConfig {
        cache_ttl: Duration::ZERO,
        ..PlacesConfig::default()
    };
    let places = Places::new(config).expect("offline places");
    let mut group = c.benchmark_group("offline_nearby");
    group.throughput(Throughput::Elements(1));
    group.bench_function("10km_los_angeles_20_uncached", |b| {
        b.iter(|| rt.block_on(places.nearby(34.0689, -118.4452, 10.0, 20)))
    });
    group.finish();
}

criterion_group!(benches, index, nearby);
criterion_main!(benches);
