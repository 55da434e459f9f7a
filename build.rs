//! A no_std program gets no C library from std: link it ourselves, for the
//! C start-up, pthreads, fork and the raw clock_gettime call.
fn main() {
    println!("cargo:rustc-link-lib=c");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        // Keep the code and data segments adjacent in the file instead of
        // 4 KiB-aligned apart: a smaller binary, same pages at run time.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("musl")
    {
        // The static build: no unwind tables (see the script), and no
        // lookup table for them (.eh_frame_hdr, and its program header).
        let script = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
            .join("link/no-unwind-tables.ld");
        println!("cargo:rerun-if-changed=link/no-unwind-tables.ld");
        println!("cargo:rerun-if-changed=build.rs");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
    // The gnu fallback linked with +crt-static: static glibc's stdio refers
    // to the unwinder, which std would otherwise bring.
    let static_gnu = std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
        && std::env::var("CARGO_CFG_TARGET_FEATURE").is_ok_and(|f| f.split(',').any(|f| f == "crt-static"));
    if static_gnu {
        println!("cargo:rustc-link-arg-bins=-lgcc_eh");
    }
}
