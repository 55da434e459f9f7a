//! A no_std program gets no C library from std: link it ourselves, for the
//! C start-up, pthreads, fork and the raw clock_gettime call.
fn main() {
    println!("cargo:rustc-link-lib=c");
}
