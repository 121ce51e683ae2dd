//! The `weir` binary: everything lives in the library; see `weir::server`.

fn main() -> std::process::ExitCode {
    weir::server::main()
}
