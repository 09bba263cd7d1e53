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
    let (into_line, lines) = line_span(start.addr(), size);
    let first_line = start.wrapping_sub(into_line);
    for n in 0..lines {
        line(first_line.wrapping_add(n * LINE_BYTES));
    }
}

/// For `size` bytes at address `addr`: how far into its line the first byte lies, and how many
/// lines the bytes touch (from the first byte's line to the last byte's; the value may begin
/// partway into a line).
fn line_span(addr: usize, size: usize) -> (usize, usize) {
    let into_line = addr % LINE_BYTES;
    (into_line, (into_line + size).div_ceil(LINE_BYTES))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_touches_the_lines_of_its_first_and_last_bytes() {
        // At a line start: 64 bytes are one line, 65 two.
        assert_eq!(line_span(128, 64), (0, 1));
        assert_eq!(line_span(128, 65), (0, 2));
        // Partway in: 64 bytes from byte 10 of a line reach into the next.
        assert_eq!(line_span(138, 64), (10, 2));
        assert_eq!(line_span(138, 54), (10, 1));
        // 330 bytes from byte 63 of a line: bytes 63..393 of the span, lines 0..=6.
        assert_eq!(line_span(64 * 5 + 63, 330), (63, 7));
        assert_eq!(line_span(7, 1), (7, 1));
    }
}
