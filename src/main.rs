//! The `weir` binary: everything lives in the library; see `weir::server`. It only picks the
//! allocator: mimalloc, whose thread-local free lists suit stream threads that allocate and
//! drop small rows at a high rate.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    weir::server::main()
}
