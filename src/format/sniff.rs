//! What a local file is, from its first bytes (magic numbers), not from a name or an assumed
//! media type: a zstd frame (a zstd or zstd:chunked layer), a gzip member (a gzip or eStargz
//! layer), an uncompressed tar archive, or none of them (not a layer).

use serde::Serialize;

/// How many leading bytes [`sniff`] looks at (a tar header is 512 bytes).
pub const SNIFF_LEN: usize = 512;

/// The kind of data a file starts with. The wire spelling is kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sniffed {
    /// A zstd frame (magic `28 B5 2F FD`) or a zstd skippable frame (`5? 2A 4D 18`).
    Zstd,
    /// A gzip member (magic `1F 8B 08`).
    Gzip,
    /// A tar header: `ustar` at offset 257, or a pre-POSIX header whose checksum holds.
    Tar,
    /// Fewer bytes than any of these needs, or none of them: not a layer.
    Unknown,
}

impl Sniffed {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Sniffed::Zstd => "zstd",
            Sniffed::Gzip => "gzip",
            Sniffed::Tar => "tar",
            Sniffed::Unknown => "unknown",
        }
    }

    /// Every kind, in documentation order.
    pub const ALL: [Sniffed; 4] = [Sniffed::Zstd, Sniffed::Gzip, Sniffed::Tar, Sniffed::Unknown];
}

/// The kind of the data that `head` (a file's first bytes, ideally [`SNIFF_LEN`]) starts.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD])
        || (head.len() >= 4 && head[0] & 0xF0 == 0x50 && head[1..4] == [0x2A, 0x4D, 0x18])
    {
        return Sniffed::Zstd;
    }
    if head.starts_with(&[0x1F, 0x8B, 0x08]) {
        return Sniffed::Gzip;
    }
    if head.len() >= 512 && (&head[257..262] == b"ustar" || tar_checksum_ok(&head[..512])) {
        return Sniffed::Tar;
    }
    Sniffed::Unknown
}

/// A 512-byte header whose checksum holds (Go's `GetFormat`, as the tar-split reader checks it).
fn tar_checksum_ok(h: &[u8]) -> bool {
    super::tar_header::is_header(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn real_layers_and_other_bytes() {
        // the zstd:chunked layer blob of the pair-a fixture
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut zstd_seen = false;
        for entry in walk(&dir) {
            let bytes = std::fs::read(&entry).unwrap();
            if bytes.len() > 4 && bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
                assert_eq!(sniff(&bytes[..bytes.len().min(SNIFF_LEN)]), Sniffed::Zstd);
                zstd_seen = true;
            }
        }
        assert!(zstd_seen, "no zstd blob under tests/fixtures");
        assert_eq!(sniff(&[0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0]), Sniffed::Gzip);
        assert_eq!(sniff(&[0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0]), Sniffed::Zstd);
        // a tar archive Python's tarfile wrote (ustar)
        let tar = fixture("tests/fixtures/sniff/one-file.tar");
        assert_eq!(sniff(&tar[..SNIFF_LEN]), Sniffed::Tar);
        // the same header with its magic blanked: a pre-POSIX header, found by its checksum
        let mut v7 = tar[..SNIFF_LEN].to_vec();
        v7[257..265].fill(0);
        let sum: u64 = v7
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u64
                }
            })
            .sum();
        v7[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        assert_eq!(sniff(&v7), Sniffed::Tar);
        v7[0] ^= 1; // checksum no longer holds
        assert_eq!(sniff(&v7), Sniffed::Unknown);
        // random-looking bytes, JSON, zeros, nothing
        let noise: Vec<u8> = (0..SNIFF_LEN as u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(sniff(&noise), Sniffed::Unknown);
        assert_eq!(sniff(b"{\"schemaVersion\":2}"), Sniffed::Unknown);
        assert_eq!(sniff(&[0; SNIFF_LEN]), Sniffed::Unknown);
        assert_eq!(sniff(&[]), Sniffed::Unknown);
        assert_eq!(sniff(&[0x28, 0xB5]), Sniffed::Unknown);
        for k in Sniffed::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
