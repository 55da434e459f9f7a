//! bench.sh's baseline for shmem: a plain memcpy of the same buffers. Copies
//! one SIZE-byte buffer into another TOTAL/SIZE times, both touched first
//! (as ipc-static -F touches its buffers), and prints the KBytes/sec (1024
//! bytes), as ipc-static does. bench.sh builds it with rustc for the target
//! ipc-static is built for, so the copy is the same C library's memcpy.
//!
//!     rustc -O --target x86_64-unknown-linux-musl scripts/bench-memcpy.rs -o memcpy
//!     ./memcpy 65536 268435456

use std::hint::black_box;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let [size, total] = args[..] else {
        eprintln!("usage: bench-memcpy SIZE TOTAL (bytes; TOTAL a multiple of SIZE)");
        std::process::exit(64);
    };
    if size == 0 || total % size != 0 {
        eprintln!("bench-memcpy: TOTAL must be a multiple of a positive SIZE");
        std::process::exit(64);
    }
    // Page-aligned, as ipc-static's mapped buffers are: an unaligned pair
    // copies markedly slower.
    let (mut source_area, mut target_area) = (vec![0u8; size + 4096], vec![0u8; size + 4096]);
    let source = page_aligned(&mut source_area, size);
    let target = page_aligned(&mut target_area, size);
    source.fill(0x5a);
    target.fill(0xa5);
    target.copy_from_slice(source);
    let start = Instant::now();
    for _ in 0..total / size {
        black_box(&mut *target).copy_from_slice(black_box(&*source));
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{:.2}", total as f64 / 1024.0 / seconds);
}

fn page_aligned(area: &mut [u8], size: usize) -> &mut [u8] {
    let offset = area.as_ptr().align_offset(4096);
    &mut area[offset..offset + size]
}
