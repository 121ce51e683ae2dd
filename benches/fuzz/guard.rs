//! What the runner needs around `catch_unwind`: a quiet panic hook that keeps the panic's
//! location and message for the report (instead of printing a backtrace per input), and a
//! [`Watch`] that names the input when the process dies in a way no unwinding survives. A
//! stack overflow or an abort raises `SIGABRT`; the handler writes the target, seed and input
//! index with `write(2)` (all it may safely do there) before the process ends, and a watchdog
//! thread exits the run when one input takes longer than [`HANG_SECONDS`]. Inputs are
//! reproducible from `(seed, index)`, so the index is enough to replay either.

use std::cell::RefCell;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One input running longer than this is reported as a hang and ends the run.
pub const HANG_SECONDS: u64 = 60;

thread_local! {
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Replaces the panic hook while alive: panics are recorded, not printed.
pub struct QuietPanics {
    previous: Option<Hook>,
}

impl QuietPanics {
    pub fn install() -> QuietPanics {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_else(|| "unknown location".to_string());
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_string());
            LAST_PANIC.with(|last| *last.borrow_mut() = Some((location, message)));
        }));
        QuietPanics {
            previous: Some(previous),
        }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = std::panic::take_hook();
            std::panic::set_hook(previous);
        }
    }
}

/// The location and message of the panic this thread just caught.
pub fn take_panic() -> (String, String) {
    LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| ("unknown location".into(), "no message recorded".into()))
}

/// What the abort handler and the watchdog read: the input in flight.
static INDEX: AtomicU64 = AtomicU64::new(0);
static SEED: AtomicU64 = AtomicU64::new(0);
static BUSY: AtomicBool = AtomicBool::new(false);
static NAME: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static NAME_LEN: AtomicUsize = AtomicUsize::new(0);

/// Names the input in flight if the process aborts or an input hangs, while alive.
pub struct Watch {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watch {
    pub fn start(target: &'static str, seed: u64) -> Watch {
        NAME.store(target.as_ptr().cast_mut(), Ordering::SeqCst);
        NAME_LEN.store(target.len(), Ordering::SeqCst);
        SEED.store(seed, Ordering::SeqCst);
        static HANDLER: Once = Once::new();
        HANDLER.call_once(install_abort_handler);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || watchdog(&stop))
        };
        Watch {
            stop,
            thread: Some(thread),
        }
    }

    /// Input `index` starts.
    pub fn enter(&self, index: u64) {
        INDEX.store(index, Ordering::Relaxed);
        BUSY.store(true, Ordering::Release);
    }

    /// The input finished (or panicked and was caught).
    pub fn leave(&self) {
        BUSY.store(false, Ordering::Release);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Every 100 ms: has the same input been running for too long?
fn watchdog(stop: &AtomicBool) {
    let mut seen: Option<(u64, Instant)> = None;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        if !BUSY.load(Ordering::Acquire) {
            seen = None;
            continue;
        }
        let index = INDEX.load(Ordering::Relaxed);
        match seen {
            Some((same, since)) if same == index => {
                if since.elapsed() >= Duration::from_secs(HANG_SECONDS) {
                    eprintln!(
                        "\nweir-fuzz: HANG: {} input #{index} (seed {}) ran for more than {HANG_SECONDS}s; \
                         replay it with `--seed {} --start {index} --inputs 1`",
                        target_name(),
                        SEED.load(Ordering::Relaxed),
                        SEED.load(Ordering::Relaxed),
                    );
                    std::process::exit(3);
                }
            }
            _ => seen = Some((index, Instant::now())),
        }
    }
}

fn target_name() -> &'static str {
    let ptr = NAME.load(Ordering::SeqCst);
    if ptr.is_null() {
        return "?";
    }
    // SAFETY: `ptr` and the length were stored together from a `&'static str`.
    unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(
            ptr,
            NAME_LEN.load(Ordering::SeqCst),
        ))
    }
}

fn install_abort_handler() {
    // SAFETY: a zeroed `sigaction` is a valid empty one; the handler only calls `write`.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_abort as *const () as usize;
        action.sa_flags = libc::SA_RESETHAND | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGABRT, &action, std::ptr::null_mut());
    }
}

/// `SIGABRT`: say which input was running. Async-signal-safe: no allocation, only `write`.
extern "C" fn on_abort(_signal: libc::c_int) {
    let mut buf = [0u8; 256];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &b in bytes {
            if len < buf.len() {
                buf[len] = b;
                len += 1;
            }
        }
    };
    put(b"\nweir-fuzz: ABORT (stack overflow or abort) in ");
    put(target_name().as_bytes());
    put(b" input #");
    put_number(&mut put, INDEX.load(Ordering::Relaxed));
    put(b" (seed ");
    put_number(&mut put, SEED.load(Ordering::Relaxed));
    put(b"); replay it with --start and --inputs 1\n");
    // SAFETY: `write` is async-signal-safe and `buf[..len]` is initialized.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), len);
    }
}

fn put_number(put: &mut impl FnMut(&[u8]), mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    put(&digits[at..]);
}
