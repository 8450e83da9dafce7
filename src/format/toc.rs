//! The TOC ("manifest") JSON: parsed the way the reference reader parses it.
//!
//! c/storage matches keys case-insensitively (by Unicode lower-casing), skips unknown keys, and
//! rejects anything but whitespace after the top-level object (so that the bytes the digest covers
//! have exactly one meaning). serde's derive is case-sensitive, so the two objects here have
//! hand-written visitors. Values are checked as they are read: digests must parse, times must be
//! RFC 3339, numbers must be non-negative integers.

use crate::error::{Error, Result};
use crate::format::digest::Digest;
use crate::format::time::parse_rfc3339;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The parsed TOC.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Toc {
    /// The TOC's `version` field (1 for every writer known).
    pub version: i64,
    /// The entries in file order, `chunk` entries right after the `reg` entry they continue.
    pub entries: Vec<TocEntry>,
    /// Digest of the compressed tar-split (c/storage v1.54 and later).
    pub tar_split_digest: Option<Digest>,
}

/// The kind of a TOC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    /// A regular file (its first chunk).
    #[default]
    Reg,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A hard link to an earlier entry (`linkName`).
    Hardlink,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A named pipe.
    Fifo,
    /// A continuation chunk of the preceding `reg` entry.
    Chunk,
}

impl EntryType {
    fn parse(s: &str) -> Option<EntryType> {
        Some(match s {
            "reg" => EntryType::Reg,
            "dir" => EntryType::Dir,
            "symlink" => EntryType::Symlink,
            "hardlink" => EntryType::Hardlink,
            "char" => EntryType::Char,
            "block" => EntryType::Block,
            "fifo" => EntryType::Fifo,
            "chunk" => EntryType::Chunk,
            _ => return None,
        })
    }
    /// The wire spelling (`reg`, `dir`, …, `chunk`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryType::Reg => "reg",
            EntryType::Dir => "dir",
            EntryType::Symlink => "symlink",
            EntryType::Hardlink => "hardlink",
            EntryType::Char => "char",
            EntryType::Block => "block",
            EntryType::Fifo => "fifo",
            EntryType::Chunk => "chunk",
        }
    }
}

/// One TOC entry, every field as written (zero when absent).
///
/// The fields most entries lack (link name, access and change times, device numbers, xattrs,
/// chunk fields) live in one boxed [`Rare`], read through accessors: a 500,000-entry TOC then
/// holds 128 bytes per entry instead of 336 (with the name a `Box<str>` and the shared modtime
/// one pointer).
#[derive(Debug, Clone, Default)]
pub struct TocEntry {
    /// The entry type (`type`).
    pub kind: EntryType,
    /// The path inside the layer (`name`), as written (a `Box<str>`: 8 bytes less per entry than
    /// a `String`).
    pub name: Box<str>,
    /// Permission and mode bits (`mode`).
    pub mode: u64,
    /// Uncompressed size of the whole file in bytes (`size`; `reg` only).
    pub size: u64,
    /// Owner user id (`uid`).
    pub uid: u64,
    /// Owner group id (`gid`).
    pub gid: u64,
    /// Modification time (`modtime`), RFC 3339 text as written (checked to parse). Shared: the
    /// entries of one TOC with the same text hold one copy (most layers have one or a few
    /// modification times), so it costs no allocation per entry; an `Arc<String>` is one pointer
    /// (8 bytes per entry, where an `Arc<str>` is two).
    pub modtime: Option<Arc<String>>,
    /// Digest of the file's uncompressed content (`digest`; `reg` only).
    pub digest: Option<Digest>,
    /// Byte offset in the blob where this entry's compressed payload starts (`offset`; 0 for entries without payload).
    pub offset: u64,
    /// Byte offset in the blob where it ends (`endOffset`; absent in eStargz TOCs, where it is derived).
    pub end_offset: u64,
    /// `None` when every rare field is absent (zero).
    pub rare: Option<Box<Rare>>,
}

/// The fields of a [`TocEntry`] that most entries do not have.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rare {
    /// The link target (`linkName`) of symlinks and hard links.
    pub link_name: String,
    /// Access time (`accesstime`), RFC 3339 text as written.
    pub accesstime: Option<String>,
    /// Change time (`changetime`), RFC 3339 text as written.
    pub changetime: Option<String>,
    /// Device major number (`devMajor`).
    pub dev_major: u64,
    /// Device minor number (`devMinor`).
    pub dev_minor: u64,
    /// xattr name → base64 of the raw value.
    pub xattrs: BTreeMap<String, String>,
    /// Uncompressed size of this chunk (`chunkSize`; 0 means up to the file's end).
    pub chunk_size: u64,
    /// Offset of this chunk in the uncompressed file (`chunkOffset`).
    pub chunk_offset: u64,
    /// Digest of this chunk's uncompressed bytes (`chunkDigest`).
    pub chunk_digest: Option<Digest>,
    /// `"zeros"` for a hole chunk, empty for data.
    pub chunk_type: String,
}

static NO_RARE: Rare = Rare {
    link_name: String::new(),
    accesstime: None,
    changetime: None,
    dev_major: 0,
    dev_minor: 0,
    xattrs: BTreeMap::new(),
    chunk_size: 0,
    chunk_offset: 0,
    chunk_digest: None,
    chunk_type: String::new(),
};

impl TocEntry {
    /// The rare fields (all absent when the entry has none).
    pub fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }
    /// The rare fields, to set one.
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }
    /// Sets one field of [`Rare`]: a default value allocates no `Rare`, but still overwrites
    /// the field of one that exists (a key given twice: the last value counts).
    fn set_rare<T: Default + PartialEq>(&mut self, v: T, field: fn(&mut Rare) -> &mut T) {
        if v != T::default() || self.rare.is_some() {
            *field(self.rare_mut()) = v;
        }
    }
    /// The link target ([`Rare::link_name`]; empty when absent).
    pub fn link_name(&self) -> &str {
        &self.rare().link_name
    }
    /// The access time ([`Rare::accesstime`]).
    pub fn accesstime(&self) -> Option<&str> {
        self.rare().accesstime.as_deref()
    }
    /// The change time ([`Rare::changetime`]).
    pub fn changetime(&self) -> Option<&str> {
        self.rare().changetime.as_deref()
    }
    /// The device major number ([`Rare::dev_major`]).
    pub fn dev_major(&self) -> u64 {
        self.rare().dev_major
    }
    /// The device minor number ([`Rare::dev_minor`]).
    pub fn dev_minor(&self) -> u64 {
        self.rare().dev_minor
    }
    /// The extended attributes ([`Rare::xattrs`]).
    pub fn xattrs(&self) -> &BTreeMap<String, String> {
        &self.rare().xattrs
    }
    /// The chunk's uncompressed size ([`Rare::chunk_size`]).
    pub fn chunk_size(&self) -> u64 {
        self.rare().chunk_size
    }
    /// The chunk's offset in the file ([`Rare::chunk_offset`]).
    pub fn chunk_offset(&self) -> u64 {
        self.rare().chunk_offset
    }
    /// The chunk's digest ([`Rare::chunk_digest`]).
    pub fn chunk_digest(&self) -> Option<&Digest> {
        self.rare().chunk_digest.as_ref()
    }
    /// The chunk type ([`Rare::chunk_type`]).
    pub fn chunk_type(&self) -> &str {
        &self.rare().chunk_type
    }
}

/// Equal when every field is: an absent [`Rare`] equals one whose fields are all absent.
impl PartialEq for TocEntry {
    fn eq(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.name == o.name
            && self.mode == o.mode
            && self.size == o.size
            && self.uid == o.uid
            && self.gid == o.gid
            && self.modtime == o.modtime
            && self.digest == o.digest
            && self.offset == o.offset
            && self.end_offset == o.end_offset
            && self.rare() == o.rare()
    }
}

/// Parses TOC JSON bytes. Trailing whitespace is allowed, anything else after the object is not.
///
/// Text that is valid UTF-8 as a whole (every TOC a writer makes) is checked once and read with
/// serde_json's `str` reader, which then skips checking each string again (a tenth of the parse's
/// instructions on a 154,000-entry TOC); other text is read byte-wise as before, so its errors are
/// serde_json's, at the same place.
///
/// The entries' `Vec` is reserved once, from [`entries_hint`], rather than grown by doubling: the
/// last doubling of a 154,000-entry TOC copied 16 MB into a new 33 MB buffer while the 33 MB of
/// text was alive (the peak of the inspection in wasm).
pub fn parse(json: &[u8]) -> Result<Toc> {
    let seed = TocSeed {
        entries_hint: entries_hint(json),
    };
    match std::str::from_utf8(json) {
        Ok(text) => parse_from(seed, serde_json::Deserializer::from_str(text)),
        Err(_) => parse_from(seed, serde_json::Deserializer::from_slice(json)),
    }
}

/// At most one entry per this many bytes of text is reserved: the length of `{"name":""},`, the
/// smallest text with one `"name":` key per entry. A well-formed TOC of `n` bytes can hold
/// `n / 15` entries (`{"type":"reg"},`), which a `Vec` grown by doubling held in up to twice as
/// many slots, so no text reserves more than the parse of such a TOC held before.
const MIN_NAMED_ENTRY: usize = 12;

/// How many entries to reserve before parsing `json`: the occurrences of `"name":` (every
/// writer's spelling of the one key each entry has), at most one per `MIN_NAMED_ENTRY` bytes.
///
/// Only a capacity: a TOC spelling the key otherwise (`"Name":`, `"name" :`) reserves less and
/// the `Vec` grows as before; one with more occurrences than entries (a key in `xattrs`) reserves
/// more and is shrunk after the parse. The cap means that a hostile text cannot reserve more
/// than the parse of a well-formed TOC of the same length holds anyway (see
/// `MIN_NAMED_ENTRY`), and the reservation is fallible ([`Vec::try_reserve_exact`]): a failed
/// one parses with a growing `Vec`, as before.
///
/// The colons are found eight bytes at a time (a word compare, no SIMD needed), each checked for
/// `"name"` before it, in blocks of `HINT_BLOCK` bytes: V8 runs a wasm function's first calls
/// unoptimised and only later calls its optimised code, so one call over the whole text would run
/// unoptimised throughout. On the 32.6 MB text of a 154,000-entry TOC in wasm (V8, a fresh
/// instance): 7.7–9.2 ms in blocks, 12.6–12.9 ms in one call, 25 ms with `memchr::memmem`.
pub fn entries_hint(json: &[u8]) -> usize {
    let mut n = 0usize;
    let mut at = 0;
    while at < json.len() {
        let end = (at + HINT_BLOCK).min(json.len());
        n += name_keys_in(json, at, end);
        at = end;
    }
    n.min(json.len() / MIN_NAMED_ENTRY)
}

/// The bytes [`entries_hint`] scans per call (a multiple of 8).
const HINT_BLOCK: usize = 64 << 10;

/// The `"name":` whose colon is in `json[from..to]`.
#[inline(never)]
fn name_keys_in(json: &[u8], from: usize, to: usize) -> usize {
    const KEY: &[u8] = b"\"name\"";
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COLONS: u64 = u64::from_le_bytes([b':'; 8]);
    let named = |k: usize| k >= KEY.len() && json.get(k - KEY.len()..k) == Some(KEY);
    let Some(block) = json.get(from..to) else {
        return 0;
    };
    let mut n = 0usize;
    let words = block.chunks_exact(8);
    let tail = from + block.len() - words.remainder().len();
    for (w, word) in words.enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(word);
        let x = u64::from_le_bytes(b) ^ COLONS;
        // The top bit of each byte of `x` that is zero (a ':'), exactly: no carry crosses bytes.
        let mut hits = !((x & LOW7).wrapping_add(LOW7) | x | LOW7);
        while hits != 0 {
            n += usize::from(named(from + w * 8 + (hits.trailing_zeros() / 8) as usize));
            hits &= hits - 1;
        }
    }
    n + (tail..to).filter(|&k| json[k] == b':' && named(k)).count()
}

fn parse_from<'de, R: serde_json::de::Read<'de>>(
    seed: TocSeed,
    mut de: serde_json::Deserializer<R>,
) -> Result<Toc> {
    let toc =
        de::DeserializeSeed::deserialize(seed, &mut de).map_err(|e| Error::Toc(e.to_string()))?;
    de.end()
        .map_err(|_| Error::Toc("trailing data after the top-level JSON object".into()))?;
    Ok(toc)
}

/// Lower-cases a key the way Go's `strings.ToLower` does, without allocating in the usual case.
fn fold(key: &str) -> Cow<'_, str> {
    if key.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(key.to_lowercase())
    }
}

/// The known field a key names (see [`FIELDS`]), or `""`. An ASCII key is folded in a stack
/// buffer (no key the reader knows is longer than it); others go through [`fold`], whose
/// Unicode lower-casing maps e.g. the Kelvin sign to `k` as Go does.
fn field(key: &str) -> &'static str {
    // The spellings writers use, matched as written first (no folding, one `match`).
    let exact = match key {
        "type" => "type",
        "name" => "name",
        "mode" => "mode",
        "size" => "size",
        "modtime" => "modtime",
        "digest" => "digest",
        "offset" => "offset",
        "endOffset" => "endoffset",
        "uid" => "uid",
        "gid" => "gid",
        "linkName" => "linkname",
        _ => "",
    };
    if !exact.is_empty() {
        return exact;
    }
    let find = |k: &str| FIELDS.iter().find(|f| **f == k).copied().unwrap_or("");
    if !key.is_ascii() {
        return find(&fold(key));
    }
    let mut buf = [0u8; 16];
    let Some(b) = buf.get_mut(..key.len()) else {
        return "";
    };
    b.copy_from_slice(key.as_bytes());
    b.make_ascii_lowercase();
    // ASCII stays valid UTF-8 when lower-cased.
    find(std::str::from_utf8(b).unwrap_or(""))
}

/// Every key the TOC reader knows, lower-cased.
const FIELDS: &[&str] = &[
    "version",
    "entries",
    "tarsplitdigest",
    "type",
    "name",
    "linkname",
    "mode",
    "size",
    "uid",
    "gid",
    "modtime",
    "accesstime",
    "changetime",
    "devmajor",
    "devminor",
    "xattrs",
    "digest",
    "offset",
    "endoffset",
    "chunksize",
    "chunkoffset",
    "chunkdigest",
    "chunktype",
];

/// A map key, folded and resolved to one of [`FIELDS`] (or `""` for an unknown key) as it is
/// read, so that keys cost no allocation however the JSON arrives.
struct Key(&'static str);
impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key, E> {
                Ok(Key(field(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A digest, parsed straight from the JSON string (no copy of the string is made).
struct MaybeDigest(Option<Result<Digest>>);
impl<'de> Deserialize<'de> for MaybeDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeDigest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<MaybeDigest, E> {
                Ok(MaybeDigest((!v.is_empty()).then(|| Digest::parse(v))))
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<MaybeDigest, E> {
                Ok(MaybeDigest(None))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<MaybeDigest, E> {
                Ok(MaybeDigest(None))
            }
            fn visit_some<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<MaybeDigest, D::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

fn digest_value<'de, A: MapAccess<'de>>(
    map: &mut A,
    field: &str,
) -> std::result::Result<Option<Digest>, A::Error> {
    match map.next_value::<MaybeDigest>()?.0 {
        None => Ok(None),
        Some(r) => r
            .map(Some)
            .map_err(|e| de::Error::custom(format!("{field}: {e}"))),
    }
}

/// An entry type, read straight from the JSON string.
struct Kind(EntryType);
impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, t: &str) -> std::result::Result<Kind, E> {
                EntryType::parse(t)
                    .map(Kind)
                    .ok_or_else(|| de::Error::custom(format!("unknown entry type {t:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

fn time_value<'de, A: MapAccess<'de>>(
    map: &mut A,
    field: &str,
) -> std::result::Result<Option<String>, A::Error> {
    match map.next_value::<Option<String>>()? {
        None => Ok(None),
        Some(s) => match parse_rfc3339(&s) {
            Some(_) => Ok(Some(s)),
            None => Err(de::Error::custom(format!(
                "{field}: {s:?} is not an RFC 3339 time"
            ))),
        },
    }
}

/// A non-negative integer. Values above 2^53 are refused: no real offset, size or id comes near
/// it, and larger ones cannot be represented exactly in the browser's numbers.
fn num<'de, A: MapAccess<'de>>(map: &mut A) -> std::result::Result<u64, A::Error> {
    let v = map.next_value::<Option<u64>>()?.unwrap_or(0);
    if v > 1 << 53 {
        return Err(de::Error::custom(format!("{v} is larger than 2^53")));
    }
    Ok(v)
}

/// Reads a TOC, reserving its entries from a hint (see [`entries_hint`]).
#[derive(Clone, Copy)]
struct TocSeed {
    entries_hint: usize,
}

impl<'de> Deserialize<'de> for Toc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        de::DeserializeSeed::deserialize(TocSeed { entries_hint: 0 }, d)
    }
}

impl<'de> de::DeserializeSeed<'de> for TocSeed {
    type Value = Toc;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Toc, D::Error> {
        struct V(TocSeed);
        impl<'de> Visitor<'de> for V {
            type Value = Toc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a TOC object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Toc, A::Error> {
                let mut toc = Toc::default();
                while let Some(Key(k)) = map.next_key::<Key>()? {
                    match k {
                        "version" => toc.version = map.next_value::<Option<i64>>()?.unwrap_or(0),
                        "entries" => {
                            toc.entries = map
                                .next_value_seed(EntriesSeed {
                                    hint: self.0.entries_hint,
                                })?
                                .unwrap_or_default()
                        }
                        "tarsplitdigest" => {
                            toc.tar_split_digest = digest_value(&mut map, "tarSplitDigest")?
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(toc)
            }
        }
        d.deserialize_map(V(self))
    }
}

/// The entries array (`null` is none); reports the index of a bad entry. Reserves `hint`
/// entries first (see [`entries_hint`]).
struct EntriesSeed {
    hint: usize,
}
impl<'de> de::DeserializeSeed<'de> for EntriesSeed {
    type Value = Option<Vec<TocEntry>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}
impl<'de> Visitor<'de> for EntriesSeed {
    type Value = Option<Vec<TocEntry>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of entries")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        entries(self.hint, seq).map(Some)
    }
}

fn entries<'de, A: SeqAccess<'de>>(
    hint: usize,
    mut seq: A,
) -> std::result::Result<Vec<TocEntry>, A::Error> {
    // Never from the array's size hint, and only as much as [`entries_hint`] allows
    // (the input is untrusted); a reservation that fails is not an error.
    let mut v = Vec::new();
    let _ = v.try_reserve_exact(hint);
    let mut last_modtime = None;
    while let Some(e) = seq
        .next_element_seed(EntrySeed {
            last_modtime: &mut last_modtime,
        })
        .map_err(|e| de::Error::custom(format!("entry {}: {e}", v.len())))?
    {
        v.push(e);
    }
    // A hint above the count (or doubling, without one) leaves part of the buffer
    // unused; large buffers shrink in place.
    v.shrink_to_fit();
    Ok(v)
}

/// A modification time: the previous entry's shared text when it is the same (checked once),
/// else the new text, checked to parse as RFC 3339.
struct ModTime<'a> {
    last: &'a mut Option<Arc<String>>,
}
impl<'de> de::DeserializeSeed<'de> for ModTime<'_> {
    type Value = Option<Arc<String>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ModTime<'_> {
    type Value = Option<Arc<String>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
        if let Some(last) = self.last.as_ref().filter(|l| ***l == *s) {
            return Ok(Some(last.clone()));
        }
        if parse_rfc3339(s).is_none() {
            return Err(de::Error::custom(format!(
                "modtime: {s:?} is not an RFC 3339 time"
            )));
        }
        let t = Arc::new(s.to_string());
        *self.last = Some(t.clone());
        Ok(Some(t))
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

/// Reads one entry, sharing its modification time with the previous entries'.
struct EntrySeed<'a> {
    last_modtime: &'a mut Option<Arc<String>>,
}
impl<'de> de::DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = TocEntry;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<TocEntry, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Deserialize<'de> for TocEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        de::DeserializeSeed::deserialize(
            EntrySeed {
                last_modtime: &mut None,
            },
            d,
        )
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = TocEntry;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOC entry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<TocEntry, A::Error> {
        let last_modtime = self.last_modtime;
        let mut kind = None;
        let mut e = TocEntry::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            match k {
                "type" => kind = Some(map.next_value::<Kind>()?.0),
                "name" => {
                    e.name = map
                        .next_value::<Option<String>>()?
                        .unwrap_or_default()
                        .into_boxed_str()
                }
                "linkname" => e.set_rare(
                    map.next_value::<Option<String>>()?.unwrap_or_default(),
                    |r| &mut r.link_name,
                ),
                "mode" => e.mode = num(&mut map)?,
                "size" => e.size = num(&mut map)?,
                "uid" => e.uid = num(&mut map)?,
                "gid" => e.gid = num(&mut map)?,
                "modtime" => {
                    e.modtime = map.next_value_seed(ModTime {
                        last: &mut *last_modtime,
                    })?
                }
                "accesstime" => {
                    e.set_rare(time_value(&mut map, "accesstime")?, |r| &mut r.accesstime)
                }
                "changetime" => {
                    e.set_rare(time_value(&mut map, "changetime")?, |r| &mut r.changetime)
                }
                "devmajor" => e.set_rare(num(&mut map)?, |r| &mut r.dev_major),
                "devminor" => e.set_rare(num(&mut map)?, |r| &mut r.dev_minor),
                "xattrs" => e.set_rare(
                    map.next_value::<Option<BTreeMap<String, String>>>()?
                        .unwrap_or_default(),
                    |r| &mut r.xattrs,
                ),
                "digest" => e.digest = digest_value(&mut map, "digest")?,
                "offset" => e.offset = num(&mut map)?,
                "endoffset" => e.end_offset = num(&mut map)?,
                "chunksize" => e.set_rare(num(&mut map)?, |r| &mut r.chunk_size),
                "chunkoffset" => e.set_rare(num(&mut map)?, |r| &mut r.chunk_offset),
                "chunkdigest" => e.set_rare(digest_value(&mut map, "chunkDigest")?, |r| {
                    &mut r.chunk_digest
                }),
                "chunktype" => e.set_rare(
                    map.next_value::<Option<String>>()?.unwrap_or_default(),
                    |r| &mut r.chunk_type,
                ),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        e.kind =
            kind.ok_or_else(|| de::Error::custom(format!("entry {:?} has no type", e.name)))?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_unknown_keys_skipped() {
        let j = br#"{"VERSION":1,"Entries":[{"TYPE":"reg","NaMe":"a","SIZE":3,"offset":10,"endOffset":20,"future":{"x":[1]}},{"type":"dir","name":"d/","\u212Aey":1}]}  "#;
        let t = parse(j).unwrap();
        assert_eq!(t.version, 1);
        assert_eq!(t.entries.len(), 2);
        assert_eq!(
            (t.entries[0].kind, &*t.entries[0].name, t.entries[0].size),
            (EntryType::Reg, "a", 3)
        );
        assert_eq!(t.entries[0].end_offset, 20);
    }

    #[test]
    fn rare_fields_are_boxed_only_when_present() {
        let j = br#"{"entries":[
            {"type":"reg","name":"a","linkName":"","devMajor":0,"xattrs":{},"chunkType":""},
            {"type":"symlink","name":"l","linkName":"a","accessTime":"2023-11-14T22:13:20Z"},
            {"type":"reg","name":"b","offset":10,"endOffset":20,"xattrs":{"user.x":"eA=="}},
            {"type":"chunk","name":"b","offset":15,"chunkSize":3,"chunkOffset":4,"chunkType":"zeros",
             "chunkDigest":"sha256:6757aca7ed7f6b1f73fdbaf3bcf9974ecd59d2c4cfd740f5b1b7240f84bcbbb7"},
            {"type":"char","name":"c","devMajor":1,"devMinor":3,"changeTime":"2023-11-14T22:13:20Z"}]}"#;
        let t = parse(j).unwrap();
        let e = &t.entries;
        assert!(e[0].rare.is_none());
        assert_eq!(
            e[0],
            TocEntry {
                kind: EntryType::Reg,
                name: "a".into(),
                ..TocEntry::default()
            }
        );
        assert_eq!(e[1].link_name(), "a");
        assert_eq!(e[1].accesstime(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(
            e[2].xattrs().get("user.x").map(String::as_str),
            Some("eA==")
        );
        assert_eq!(
            (e[3].chunk_size(), e[3].chunk_offset(), e[3].chunk_type()),
            (3, 4, "zeros")
        );
        assert!(e[3].chunk_digest().is_some());
        assert_eq!((e[4].dev_major(), e[4].dev_minor()), (1, 3));
        assert_eq!(e[4].changetime(), Some("2023-11-14T22:13:20Z"));
        // An absent Rare equals an all-absent one.
        let mut x = e[0].clone();
        x.rare_mut();
        assert_eq!(x, e[0]);
        assert!(std::mem::size_of::<TocEntry>() <= 128);
    }

    #[test]
    fn the_entries_hint_counts_name_keys_up_to_the_cap() {
        // Against a plain count, at every alignment of the key and in the tail after the words.
        let naive = |j: &[u8]| j.windows(7).filter(|w| *w == b"\"name\":").count();
        for pad in 0..17 {
            let mut j = " ".repeat(pad).into_bytes();
            j.extend_from_slice(
                br#"{"entries":[{"type":"dir","name":"a:b","uid":0},{"name":"c","type":"reg"},{"type":"reg","name":"d","xattrs":{"name":"x"}}]}"#,
            );
            for cut in [j.len(), j.len() - 1, j.len() - 5] {
                let j = &j[..cut];
                assert_eq!(
                    entries_hint(j),
                    naive(j).min(j.len() / 12),
                    "pad {pad} cut {cut}"
                );
            }
            // 4 here: one in `xattrs` too (a capacity only; shrunk after the parse).
            assert_eq!(entries_hint(&j), 4);
        }
        // Keys across the scan's block boundaries, at every offset of the colon around them.
        for at in HINT_BLOCK - 8..HINT_BLOCK + 8 {
            let mut j = vec![b' '; 3 * HINT_BLOCK + 5];
            for block in 1..=2 {
                let k = at + (block - 1) * HINT_BLOCK;
                j[k - 6..=k].copy_from_slice(br#""name":"#);
            }
            assert_eq!((entries_hint(&j), naive(&j)), (2, 2), "colon at {at}");
        }
        assert_eq!(entries_hint(b""), 0);
        assert_eq!(
            entries_hint(br#""name":"#),
            0,
            "7 bytes: below one named entry"
        );
        // The cap: one per 12 bytes, whatever the text repeats.
        let hostile = br#""name":"#.repeat(1200);
        assert_eq!(entries_hint(&hostile), 700);
        // Other spellings are not counted: the Vec grows as it did.
        assert_eq!(
            entries_hint(br#"{"entries":[{"Name":"a","type":"dir"}]}"#),
            0
        );
    }

    #[test]
    fn a_hint_above_or_below_the_count_parses_the_same() {
        let j = br#"{"entries":[{"type":"dir","name":"a","xattrs":{"name":"eA=="}},{"type":"dir","NAME":"b"}, {"type":"dir", "name" : "c"}]}"#;
        let t = parse(j).unwrap();
        assert_eq!(entries_hint(j), 2);
        let names: Vec<&str> = t.entries.iter().map(|e| &*e.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(t.entries.capacity(), 3);
        let over =
            br#"{"entries":[{"type":"dir","name":"a","xattrs":{"name":"","name":"","name":""}}]}"#;
        let t = parse(over).unwrap();
        assert_eq!(
            (entries_hint(over), t.entries.len(), t.entries.capacity()),
            (4, 1, 1)
        );
        assert_eq!(t, serde_json::from_slice::<Toc>(over).unwrap());
    }

    #[test]
    fn rejects_bad_tocs() {
        let cases: &[&[u8]] = &[
            br#"{"entries":[]} x"#,
            br#"{"entries":[]}{}"#,
            br#"{"entries":[{"type":"weird","name":"a"}]}"#,
            br#"{"entries":[{"name":"a"}]}"#,
            br#"{"entries":[{"type":"reg","name":"a","size":-1}]}"#,
            br#"{"entries":[{"type":"reg","name":"a","size":1.5}]}"#,
            br#"{"entries":[{"type":"reg","name":"a","offset":9007199254740993}]}"#,
            br#"{"entries":[{"type":"reg","name":"a","digest":"sha256:zz"}]}"#,
            br#"{"entries":[{"type":"reg","name":"a","modtime":"yesterday"}]}"#,
            br#"{"tarSplitDigest":"nope"}"#,
            br#"[1,2]"#,
            b"",
        ];
        for c in cases {
            assert!(
                matches!(parse(c), Err(Error::Toc(_))),
                "{}",
                String::from_utf8_lossy(c)
            );
        }
    }
}
