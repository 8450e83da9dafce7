//! The TOC-only phases of a layer inspection in `wasm32-unknown-unknown`, with std's allocator
//! (dlmalloc, the browser module's) wrapped in a counter: after each phase, the bytes live, the
//! most live at once during the phase, the wasm memory size (which never shrinks: the browser's
//! `memory.buffer.byteLength`) and the bytes `realloc` moved so far. Plain exports, no
//! wasm-bindgen: `run.mjs` drives them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static MOVED: Cell<usize> = const { Cell::new(0) };
}

fn grow(by: usize) {
    let now = LIVE.get() + by;
    LIVE.set(now);
    PEAK.set(PEAK.get().max(now));
}

struct Counting;
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grow(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.set(LIVE.get() - l.size());
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if q != p {
                // Moved: the old block and the new one were both held while it was copied.
                PEAK.set(PEAK.get().max(LIVE.get() + new));
                MOVED.set(MOVED.get() + l.size().min(new));
            }
            if new >= l.size() {
                grow(new - l.size());
            } else {
                LIVE.set(LIVE.get() - (l.size() - new));
            }
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Per mark: live bytes, peak live bytes since the previous mark, memory bytes, bytes moved.
static mut OUT: [f64; 4 * 16] = [0.0; 4 * 16];
static mut MARKS: usize = 0;

fn mark() {
    let memory = core::arch::wasm32::memory_size(0) * 65536;
    // Single-threaded module: the exports are called one at a time.
    unsafe {
        let i = MARKS.min(15);
        MARKS = i + 1;
        let out = &mut *std::ptr::addr_of_mut!(OUT);
        out[i * 4] = LIVE.get() as f64;
        out[i * 4 + 1] = PEAK.get() as f64;
        out[i * 4 + 2] = memory as f64;
        out[i * 4 + 3] = MOVED.get() as f64;
    }
    PEAK.set(LIVE.get());
}

/// The marks recorded so far (4 numbers each, see [`OUT`]).
#[no_mangle]
pub extern "C" fn marks() -> *const f64 {
    std::ptr::addr_of!(OUT) as *const f64
}

/// `len` bytes for the caller to fill (the compressed TOC, the descriptor JSON).
#[no_mangle]
pub extern "C" fn buffer(len: usize) -> *mut u8 {
    let mut v = vec![0u8; len];
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Sizes of the three structs that hold a layer, in this build: `TocEntry`, `FileEntry`, `Chunk`.
#[no_mangle]
pub extern "C" fn sizes(which: u32) -> usize {
    match which {
        0 => std::mem::size_of::<chunkscope::format::toc::TocEntry>(),
        1 => std::mem::size_of::<chunkscope::model::FileEntry>(),
        _ => std::mem::size_of::<chunkscope::model::Chunk>(),
    }
}

/// The phases `inspect::LayerInspection` runs on a TOC-only read, one mark after each: start,
/// decoded, parsed, text dropped, model built. Takes the compressed TOC (from [`buffer`]).
/// Returns the entry count, or 0 if the TOC did not decode or parse.
///
/// # Safety
/// `p` and `len` must be a buffer [`buffer`] returned, which this takes over.
#[no_mangle]
pub unsafe extern "C" fn phases(
    p: *mut u8,
    len: usize,
    uncompressed: f64,
    payload_end: f64,
) -> usize {
    mark();
    let input = unsafe { Vec::from_raw_parts(p, len, len) };
    let limit = chunkscope::inspect::MAX_TOC;
    let Ok(json) =
        chunkscope::format::zstd::decompress_exact("TOC", &input, uncompressed as u64, limit)
    else {
        return 0;
    };
    mark();
    let Ok(toc) = chunkscope::format::toc::parse(&json) else {
        return 0;
    };
    let n = toc.entries.len();
    mark();
    drop(json);
    mark();
    let files = chunkscope::model::LayerFiles::build(toc, payload_end as u64);
    mark();
    std::mem::forget((input, files));
    n
}

/// The whole inspection (`inspect::inspect_layer_blocking`, TOC-only) of the layer the
/// descriptor JSON describes, the read handing over a copy of the compressed TOC (as the
/// browser's fetch does). Marks: start, inspected. Returns the entry count, 0 on an error.
///
/// # Safety
/// `p`/`len` and `desc`/`desc_len` must be buffers [`buffer`] returned.
#[no_mangle]
pub unsafe extern "C" fn inspect(
    p: *const u8,
    len: usize,
    desc: *const u8,
    desc_len: usize,
) -> usize {
    mark();
    let toc = unsafe { std::slice::from_raw_parts(p, len) };
    let desc = unsafe { std::slice::from_raw_parts(desc, desc_len) };
    let Ok(desc) = serde_json::from_slice::<chunkscope::oci::Descriptor>(desc) else {
        return 0;
    };
    let layer = chunkscope::inspect::inspect_layer_blocking(&desc, Default::default(), |r| {
        Ok(toc[..r.length.min(toc.len() as u64) as usize].to_vec())
    });
    mark();
    let n = if layer.report.error.is_some() {
        0
    } else {
        layer.report.entries
    };
    std::mem::forget(layer);
    n
}
