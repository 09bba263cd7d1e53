//! Software prefetch: asks the CPU to start loading the cache lines of a value the next event
//! will read, so that the load overlaps the current event's work instead of stalling the next.
//!
//! A hint and nothing more: it reads no value, cannot fault, and changes nothing a program can
//! observe, so every result is the same with it or without it (off x86-64 it is a no-op). This is
//! the workspace's one `unsafe` block (the lint denies it everywhere else): Rust has no stable,
//! safe prefetch.

/// Bytes per cache line on the machines ecsim runs on.
const LINE_BYTES: usize = 64;

/// Starts loading every cache line `value` spans.
#[inline]
pub(crate) fn value<T>(value: &T) {
    let start = std::ptr::from_ref(value).cast::<u8>();
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return;
    }
    // Every line start from the value's first byte, then its last byte (the value may begin
    // partway into a line, so its last line can lie past the last step).
    for offset in (0..size).step_by(LINE_BYTES).chain([size - 1]) {
        line(start.wrapping_add(offset));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
#[allow(unsafe_code)]
fn line(at: *const u8) {
    // SAFETY: PREFETCHT0 is a hint: it neither faults nor writes, whatever the address, and SSE
    // is part of the x86-64 baseline every Rust x86-64 target assumes.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast::<i8>());
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn line(_at: *const u8) {}
