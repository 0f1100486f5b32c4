//! With the `python` feature, test binaries and the CLI link libpython (the extension module
//! maturin builds does not); give them an rpath to it so they start without LD_LIBRARY_PATH.

fn main() {
    #[cfg(feature = "python")]
    if let Some(dir) = pyo3_build_config::get().lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
