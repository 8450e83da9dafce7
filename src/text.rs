//! Numbers for people, in messages and verdict texts the core writes and in the CLI's tables.

/// Thousands separators: `1818924` → `1,818,924`.
///
/// ```
/// assert_eq!(chunkscope::text::thousands(1_818_924), "1,818,924");
/// assert_eq!(chunkscope::text::thousands(999), "999");
/// ```
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
