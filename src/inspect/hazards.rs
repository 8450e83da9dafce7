//! Pull hazards: what the stored layer loses, compared with the layer's tar, depending on how the
//! reference puller (podman 5.4.2, containers/storage 1.57.2, overlay) pulls it. Each is derived
//! from the TOC entries; only kinds that occur in the layer are reported.
//!
//! Measured with podman 5.4.2 (tests/fixtures/README.md, "Observed podman 5.4.2 behaviours" and
//! the corner-case section): a partial pull leaves non-empty directories with the pull time as
//! mtime and creates no FIFOs (containers/storage 1.57.2 `pkg/chunked/storage_linux.go`,
//! `ApplyDiff`: `case tar.TypeChar: case tar.TypeBlock: case tar.TypeFifo: /* Ignore. */`, so char
//! and block devices are not created either); a full pull stores mtimes before 1970 or after
//! 2262 as 0 and drops `security.selinux`.

use crate::format::time::{is_unset, parse_rfc3339};
use crate::format::toc::{EntryType, Toc};
use serde::Serialize;
use std::collections::HashSet;

/// What is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HazardKind {
    /// Partial pull: non-empty directories get the pull time as mtime.
    DirMtime,
    /// Partial pull: FIFOs are not created.
    FifoDropped,
    /// Partial pull: character and block devices are not created.
    DeviceDropped,
    /// Partial pull of eStargz: symlinks get the pull time as mtime. Reported by the eStargz
    /// inspection (not derived here: zstd:chunked partial pulls keep symlink mtimes).
    SymlinkMtime,
    /// Full pull: mtimes before 1970 or after 2262-04-11 are stored as 0.
    MtimeOutOfRange,
    /// Full pull: `security.selinux` xattrs are dropped.
    SelinuxXattrDropped,
}

impl HazardKind {
    /// Every kind.
    pub const ALL: [HazardKind; 6] = [
        HazardKind::DirMtime,
        HazardKind::FifoDropped,
        HazardKind::DeviceDropped,
        HazardKind::SymlinkMtime,
        HazardKind::MtimeOutOfRange,
        HazardKind::SelinuxXattrDropped,
    ];
}

/// Which kind of pull loses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HazardPull {
    /// A partial pull (the TOC is used).
    Partial,
    /// An ordinary full pull of the blob.
    FullPull,
}

impl HazardPull {
    /// Both kinds of pull.
    pub const ALL: [HazardPull; 2] = [HazardPull::Partial, HazardPull::FullPull];
}

/// One hazard of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullHazard {
    /// What is lost.
    pub kind: HazardKind,
    /// The pull that loses it.
    pub pull: HazardPull,
    /// How many TOC entries are affected.
    pub count: usize,
    /// Up to [`MAX_EXAMPLES`] affected paths, as the TOC names them.
    pub examples: Vec<String>,
    /// What happens, and where that is known from.
    pub detail: String,
}

/// The most example paths a hazard lists.
pub const MAX_EXAMPLES: usize = 5;

/// The latest time Go's `UnixNano` represents: 2262-04-11T23:47:16.854775807Z.
const MAX_NANO_SECS: (i64, u32) = (9_223_372_036, 854_775_807);

/// The hazards of a layer, from its TOC (chunk entries ignored), in [`HazardKind`] order.
pub fn from_toc(toc: &Toc) -> Vec<PullHazard> {
    let entries: Vec<_> = toc
        .entries
        .iter()
        .filter(|e| e.kind != EntryType::Chunk)
        .collect();
    let parents: HashSet<&str> = entries.iter().map(|e| parent(clean(&e.name))).collect();
    let mut out = Vec::new();
    let mut add = |kind, pull, names: Vec<&str>, detail: &str| {
        if !names.is_empty() {
            out.push(PullHazard {
                kind,
                pull,
                count: names.len(),
                examples: names
                    .iter()
                    .take(MAX_EXAMPLES)
                    .map(|s| s.to_string())
                    .collect(),
                detail: detail.to_string(),
            });
        }
    };
    let of = |pred: &dyn Fn(&crate::format::toc::TocEntry) -> bool| -> Vec<&str> {
        entries
            .iter()
            .filter(|e| pred(e))
            .map(|e| &*e.name)
            .collect()
    };
    add(
        HazardKind::DirMtime,
        HazardPull::Partial,
        of(&|e| e.kind == EntryType::Dir && parents.contains(clean(&e.name))),
        "a partial pull creates a directory before its contents, so a non-empty directory keeps the pull time as its mtime instead of the layer's (measured with podman 5.4.2)",
    );
    add(
        HazardKind::FifoDropped,
        HazardPull::Partial,
        of(&|e| e.kind == EntryType::Fifo),
        "a partial pull does not create FIFOs (containers/storage 1.57.2 storage_linux.go ApplyDiff ignores them; measured with podman 5.4.2: data/fifo of tiny-current missing); a full pull creates them",
    );
    add(
        HazardKind::DeviceDropped,
        HazardPull::Partial,
        of(&|e| matches!(e.kind, EntryType::Char | EntryType::Block)),
        "a partial pull does not create character or block devices (containers/storage 1.57.2 storage_linux.go ApplyDiff ignores them, as it does FIFOs); a full pull creates them",
    );
    let last_modtime: std::cell::Cell<Option<(*const String, bool)>> = std::cell::Cell::new(None);
    add(
        HazardKind::MtimeOutOfRange,
        HazardPull::FullPull,
        of(&|e| {
            let Some(m) = &e.modtime else {
                return false;
            };
            // Entries share one modtime text per run of equal times: parse each text once.
            let p = std::sync::Arc::as_ptr(m);
            if let Some((q, out)) = last_modtime.get() {
                if std::ptr::eq(p, q) {
                    return out;
                }
            }
            let t = parse_rfc3339(m);
            let out = !is_unset(t) && t.is_some_and(|t| t.0 < 0 || t > MAX_NANO_SECS);
            last_modtime.set(Some((p, out)));
            out
        }),
        "a full pull stores an mtime before 1970 or after 2262-04-11 as 0 (1970-01-01; measured with podman 5.4.2 on corners-current); a partial pull keeps it",
    );
    add(
        HazardKind::SelinuxXattrDropped,
        HazardPull::FullPull,
        of(&|e| e.xattrs().contains_key("security.selinux")),
        "a full pull drops the security.selinux xattr (measured with podman 5.4.2 on corners-current)",
    );
    out
}

/// A TOC name without `./`, leading `/` and trailing `/`.
fn clean(name: &str) -> &str {
    let n = name.trim_start_matches("./").trim_start_matches('/');
    n.trim_end_matches('/')
}

/// The cleaned parent of a cleaned name (`""` for the top level).
fn parent(name: &str) -> &str {
    name.rfind('/').map_or("", |i| &name[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::toc::TocEntry;

    fn e(kind: EntryType, name: &str, modtime: Option<&str>) -> TocEntry {
        TocEntry {
            kind,
            name: name.into(),
            modtime: modtime.map(|m| std::sync::Arc::new(m.to_string())),
            ..TocEntry::default()
        }
    }

    #[test]
    fn derived_from_entries() {
        let mut sel = e(EntryType::Reg, "a/f", Some("2000-01-01T00:00:00Z"));
        sel.rare_mut()
            .xattrs
            .insert("security.selinux".into(), "eA==".into());
        let toc = Toc {
            entries: vec![
                e(EntryType::Dir, "a/", None),
                e(EntryType::Dir, "empty/", None),
                sel,
                e(EntryType::Fifo, "a/p", Some("1960-01-01T00:00:00Z")),
                e(EntryType::Char, "dev/null", Some("2300-01-01T00:00:00Z")),
                e(EntryType::Reg, "z", Some("0001-01-01T00:00:00Z")),
            ],
            ..Toc::default()
        };
        let h = from_toc(&toc);
        let kinds: Vec<_> = h.iter().map(|h| (h.kind, h.count)).collect();
        assert_eq!(
            kinds,
            [
                (HazardKind::DirMtime, 1),
                (HazardKind::FifoDropped, 1),
                (HazardKind::DeviceDropped, 1),
                (HazardKind::MtimeOutOfRange, 2),
                (HazardKind::SelinuxXattrDropped, 1),
            ]
        );
        assert_eq!(h[0].examples, ["a/"]);
        assert_eq!(
            serde_json::to_value(&h[3]).unwrap()["kind"],
            "mtime-out-of-range"
        );
        assert!(from_toc(&Toc::default()).is_empty());
    }
}
