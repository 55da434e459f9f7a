//! A no_std program gets no C library from std: link it ourselves, for the
//! C start-up, pthreads, fork and the raw clock_gettime call.
fn main() {
    println!("cargo:rustc-link-lib=c");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        // Keep the code and data segments adjacent in the file instead of
        // 4 KiB-aligned apart: a smaller binary, same pages at run time.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
    }
    // The gnu fallback linked with +crt-static: static glibc's stdio refers
    // to the unwinder, which std would otherwise bring.
    let static_gnu = std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
        && std::env::var("CARGO_CFG_TARGET_FEATURE").is_ok_and(|f| f.split(',').any(|f| f == "crt-static"));
    if static_gnu {
        println!("cargo:rustc-link-arg-bins=-lgcc_eh");
    }
}
