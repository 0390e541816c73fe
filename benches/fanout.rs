//! The fan-out path: framing a source's bytes, publishing to the ring, listeners reading
//! it, and the whole thing over loopback sockets.
//!
//! `cargo bench --bench fanout`. Figures are in README.md (Performance).

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radiopoint::net::framing::{Framer, StreamFormat, Unit, mp3_frame, ogg_page};
use radiopoint::net::mount::{Cursor, ReadOutcome};
use radiopoint::net::{Server, ServerConfig, SourceInfo};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn mp3_stream(bytes: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes + 418);
    let mut i = 0;
    while v.len() < bytes {
        v.extend(mp3_frame(i % 3 == 0));
        i += 1;
    }
    v
}

fn ogg_stream(bytes: usize) -> Vec<u8> {
    let mut v = ogg_page(1, 0, 0, 2, &[b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0"]);
    v.extend(ogg_page(
        1,
        1,
        0,
        0,
        &[&radiopoint::net::framing::opus_tags_packet(&["TITLE=x"])],
    ));
    let mut seq = 2;
    while v.len() < bytes {
        let packet = [7u8; 320];
        v.extend(ogg_page(
            1,
            seq,
            960 * u64::from(seq),
            0,
            &[&packet[..]; 10],
        ));
        seq += 1;
    }
    v
}

fn framing(c: &mut Criterion) {
    let mut g = c.benchmark_group("framing");
    for (name, format, data) in [
        ("mp3", StreamFormat::Mpeg, mp3_stream(1 << 20)),
        ("ogg", StreamFormat::Ogg, ogg_stream(1 << 20)),
    ] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("{name}_1MiB_in_4KiB_reads"), |b| {
            b.iter(|| {
                let mut f = Framer::new(format);
                let mut out: Vec<Unit> = Vec::new();
                for part in data.chunks(4096) {
                    f.push(part, 2048, false, &mut out);
                }
                f.finish(&mut out);
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn ring(c: &mut Criterion) {
    let server = Server::new(ServerConfig::default()).unwrap();
    let mut feed = server
        .attach_source("/bench.mp3", SourceInfo::new("audio/mpeg"))
        .unwrap();
    let mount = server.mount("/bench.mp3").unwrap();
    let batch = mp3_stream(16 * 1024);
    let mut cursors: Vec<Cursor> = (0..1000).map(|_| mount.start_cursor().0).collect();
    let mut chunks = Vec::new();
    let mut g = c.benchmark_group("ring");
    g.throughput(Throughput::Elements(cursors.len() as u64));
    g.bench_function("publish_16KiB_then_1000_listeners_read", |b| {
        b.iter(|| {
            feed.write(&batch);
            feed.publish();
            for cur in &mut cursors {
                chunks.clear();
                if mount.read(cur, 256 * 1024, &mut chunks) == ReadOutcome::FellBehind {
                    *cur = mount.start_cursor().0;
                }
                black_box(chunks.len());
            }
        })
    });
    g.finish();
}

fn loopback(c: &mut Criterion) {
    const LISTENERS: usize = 200;
    const BATCH: usize = 64 * 1024;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (server, addr, received) = rt.block_on(async {
        let server = Server::new(ServerConfig::default()).unwrap();
        let l = radiopoint::net::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = l.local_addr().unwrap();
        let s = server.clone();
        tokio::spawn(async move { s.run(l, None, std::future::pending::<()>()).await });
        (server, addr, Arc::new(AtomicUsize::new(0)))
    });
    let mut feed = server
        .attach_source("/loop.mp3", SourceInfo::new("audio/mpeg"))
        .unwrap();
    // Listener clients run on their own runtime thread so the server's thread is measured
    // together with them, as one process would be.
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = received.clone();
    let client_thread = std::thread::spawn(move || {
        clients.block_on(async move {
            let mut tasks = Vec::new();
            for _ in 0..LISTENERS {
                let r = r.clone();
                tasks.push(tokio::spawn(async move {
                    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.write_all(b"GET /loop.mp3 HTTP/1.0\r\n\r\n")
                        .await
                        .unwrap();
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                r.fetch_add(n, Ordering::Relaxed);
                            }
                        }
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        })
    });
    let data = Bytes::from(mp3_stream(BATCH));
    // Wait until every listener is connected.
    while server.stats().listeners < LISTENERS {
        std::thread::yield_now();
    }
    let mut g = c.benchmark_group("loopback");
    g.throughput(Throughput::Bytes((data.len() * LISTENERS) as u64));
    g.sample_size(20);
    g.bench_function("200_listeners_64KiB_each", |b| {
        b.iter(|| {
            let target = received.load(Ordering::Relaxed) + data.len() * LISTENERS;
            feed.write(&data);
            feed.publish();
            while received.load(Ordering::Relaxed) < target {
                std::thread::yield_now();
            }
        })
    });
    g.finish();
    server.shutdown();
    drop(feed);
    let _ = client_thread.join();
}

criterion_group!(benches, framing, ring, loopback);
criterion_main!(benches);
