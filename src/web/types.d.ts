/** Where an image lives, and how to authenticate to its registry. */
export interface Target {
  /**
   * `http(s)://host[:port]`; a bare host means https. A path prefix is kept
   * (`http://127.0.0.1:8080/registry/https/registry.example.com`: a registry reached through
   * `chunkscope serve`'s gateway); credentials go only to URLs under it and to the token realm.
   */
  registry: string;
  repository: string;
  /** A tag or a digest; default `latest`. */
  reference?: string;
  /** `os/arch[/variant]`, used when the reference is an image index (default linux/amd64). */
  platform?: string;
  /** A Bearer token to send as is. */
  token?: string;
  /** Basic credentials (sent to the registry, or to its token realm). */
  username?: string;
  password?: string;
  /** Token endpoint to use when the registry does not expose WWW-Authenticate. */
  realm?: string;
  service?: string;
  /** How long a request may stall (waiting for the answer's headers, or for the next chunk of
   *  its body) before it is aborted and fails with kind `network`, `details.stage` `headers` or
   *  `body`; default 30000. */
  stallTimeoutMs?: number;
}

/** What kind of failure an error is (the Rust `ErrorKind`); pages switch on this, never on text. */
export type ErrorKind =
  | "input"
  | "usage"
  | "network"
  | "cors"
  | "http-status"
  | "auth"
  | "not-found"
  | "range-ignored"
  | "format"
  | "verification"
  | "limit"
  | "unsupported"
  | "io"
  | "internal";

/** A typed error as JSON (`layer.error`, `Error.details`): the kind, the message built from the fields, and the fields the kind carries. */
export interface ChunkscopeErrorDetails {
  kind: ErrorKind;
  message: string;
  status?: number;
  url?: string;
  what?: string;
  size?: number;
  limit?: number;
  expected?: string | number;
  actual?: string | number;
  needed?: number;
  got?: number;
  key?: string;
  value?: string;
  blobSize?: number;
  preflight?: boolean;
  /** `network` time-outs: where the server stalled, and the stall limit in seconds. */
  stage?: TimeoutStage;
  seconds?: number;
  /** The registry's own error code from its JSON errors body (HTTP errors only). */
  registryCode?: RegistryCode;
  /** `not-found` in an OCI layout folder: the missing file (`oci-layout`, `index.json`, `blobs/sha256/<hex>`). */
  path?: string;
}

export type TimeoutStage = "connect" | "headers" | "body";

/** A code from the OCI distribution spec's JSON errors body; distribution answers `MANIFEST_UNKNOWN` for a missing repository's manifest too, so chunkscope asks the tag list, which says `NAME_UNKNOWN`. */
export type RegistryCode =
  | "BLOB_UNKNOWN"
  | "MANIFEST_UNKNOWN"
  | "NAME_UNKNOWN"
  | "NAME_INVALID"
  | "TAG_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS";

/** What a file starts with, by its magic bytes (`sniff`). */
export type Sniffed = "zstd" | "gzip" | "tar" | "unknown";

/** How a registry answers byte ranges (see README, "Registry behaviour classes"). */
export type BehaviourClass =
  | "multipart"
  | "whole-body"
  | "rejected"
  | "range-cap"
  | "first-range-only"
  | "no-range"
  | "first-200";

/** A registry's range behaviour: its class, the status it refuses multi-range requests with, and the largest range count it accepts. */
export interface RegistryBehaviour {
  class: BehaviourClass;
  status?: number | null;
  cap?: number | null;
}

/** Every promise of this module rejects with such an `Error`. */
export interface ChunkscopeError extends Error {
  kind: ErrorKind;
  status?: number;
  url?: string;
  /** As `details.registryCode`. */
  registryCode?: RegistryCode;
  details: ChunkscopeErrorDetails;
}

export type ProgressPhase = "manifest" | "config" | "layer" | "metadata" | "token" | "ping" | "probe" | "tags" | "file" | "body" | "layer-done" | "done";

export interface ProgressEvent {
  /**
   * `body`: part of a long answer arrived (every 256 KiB; `bytesFetched` then counts the bytes
   * received so far, the request in flight included). `layer-done`: layer `layer` was inspected;
   * `entries` is its TOC entry count.
   */
  phase: ProgressPhase;
  layer: number | null;
  bytesFetched: number;
  requests: number;
  /** With `layer-done`: the layer's TOC entries (counting `chunk` entries). */
  entries?: number;
}

export interface InspectImageOptions extends Target {
  /** Include every file with its chunks (`fileList`) in each layer report. */
  files?: boolean;
  /**
   * Include every file as a columnar `fileTable` (typed arrays) instead of `fileList` objects:
   * much cheaper to make for big layers, and transferable from a worker without copying.
   */
  fileTable?: boolean;
  /** Read the tar-split in the same single range as the TOC, and check it. */
  verifyTarSplit?: boolean;
  /** Also read the footer (72 more bytes, same range). */
  footer?: boolean;
  onProgress?: (ev: ProgressEvent) => void;
}

/** `FileTable.types` codes, in order: `FILE_TYPES[types[i]]` is file `i`'s `type`. */
export type FileTypeCode = 0 | 1 | 2 | 3 | 4 | 5 | 6; // reg, dir, symlink, hardlink, char, block, fifo

/**
 * A layer's files as columns (`inspectImage({fileTable: true})`), in TOC order; file `i` is the
 * `FileReport` `fileList[i]` would be. Offsets into the buffers are ends: file `i`'s name is
 * `names[nameEnds[i-1] .. nameEnds[i]]` (0 for i = 0), UTF-8; its chunks are
 * `chunkStarts[i] .. chunkStarts[i+1]` in the chunk columns.
 */
export interface FileTable {
  count: number;
  /** Every path, UTF-8, one after the other. */
  names: Uint8Array;
  /** Byte end of each name in `names`. */
  nameEnds: Uint32Array;
  /** UTF-16 end of each name in `new TextDecoder().decode(names)` (slice the decoded text). */
  nameEnds16: Uint32Array;
  types: Uint8Array;
  sizes: Float64Array;
  modes: Float64Array;
  uids: Float64Array;
  gids: Float64Array;
  /** `count + 1` entries. */
  chunkStarts: Uint32Array;
  chunkOffsets: Float64Array;
  chunkCompressed: Float64Array;
  chunkUncompressedOffsets: Float64Array;
  chunkUncompressedLengths: Float64Array;
  /** 1 for a zeros chunk. */
  chunkZeros: Uint8Array;
  /** Per file, a JSON object `FileTableExtra`, UTF-8, one after the other. */
  extras: Uint8Array;
  /** Byte end of each file's JSON in `extras`. */
  extraEnds: Uint32Array;
}

/** The fields of a `FileReport` a row does not show; absent ones are left out. */
export interface FileTableExtra {
  modtime?: string;
  linkName?: string;
  digest?: string;
  /** xattr name → base64 of the raw value. */
  xattrs?: Record<string, string>;
  devMajor?: number;
  devMinor?: number;
  /** The chunks' digests in order; absent when each is the file's `digest`. */
  chunkDigests?: (string | null)[];
}

export interface InspectLayerOptions extends Target {
  digest: string;
  size: number;
  mediaType?: string;
  annotations?: Record<string, string>;
  files?: boolean;
  verifyTarSplit?: boolean;
  onProgress?: (ev: ProgressEvent) => void;
}

export interface ProbeOptions extends Target {
  digest: string;
  size?: number;
  /** Send the 2-range request (reads at most 8 KiB of the answer). */
  multiRange?: boolean;
  /** Also send 16, 64, 256 and 1024 ranges and bisect to find a range cap (256 bytes read each). */
  ladder?: boolean;
  /** An earlier read saw a cancelled 200, then a 206 for the same range (the `first-200` behaviour). */
  first200Seen?: boolean;
}

/** The probe's verdict for the reference puller (registry::probe::Verdict). */
export type ProbeVerdict =
  | "partial-pulls-work" | "partial-pulls-retry" | "whole-layers" | "full-pull-fallback" | "pull-fails" | "unknown";

export interface SingleRangeAnswer { status: number; ok: boolean; contentRangeExposed: boolean }

export type MultiRangeKind = "multipart" | "whole-body" | "single-part" | "rejected" | "failed" | "not-tried";

/** One ladder request: `ranges` one-byte ranges in one request. */
export interface LadderStep { ranges: number; status: number; kind: MultiRangeKind; accepted: boolean }

export interface ReadFileOptions extends Target {
  layerDigest: string;
  layerSize?: number;
  /** Blob offset of the file's first chunk. */
  offset: number;
  /** Compressed bytes from the first chunk to the end of the last. */
  length: number;
  /** Uncompressed size (TOC `size`). */
  size: number;
  /** TOC `digest`; the content is verified against it. */
  digest?: string;
  /** The layer's `format`: for "estargz" and "stargz-zstdchunked" the extent runs to the next
   *  payload and only the first `size` bytes are decompressed. */
  format?: LayerFormat;
}

/** `checkRegistry(target)`: the registry's `GET /v2/` answered (200, or 401: it wants credentials) and this page may read it. */
export interface RegistryCheck {
  status: number;
  requests: number;
}

/** `readBlobFile(blob, …)`: a file of a local layer blob (one `Blob.slice`). */
export interface ReadBlobFileOptions {
  offset: number;
  length: number;
  size: number;
  digest?: string;
}

/** `inspectLayout(folder, options)`: an OCI image layout folder (`folder`: path relative to the layout's root → Blob). */
export interface InspectLayoutOptions {
  /** The `org.opencontainers.image.ref.name` of the image, when index.json holds several. */
  tag?: string;
  /** `os/arch[/variant]` when the image is an index. */
  platform?: string;
  files?: boolean;
  verifyTarSplit?: boolean;
  footer?: boolean;
  /** Hash each layer blob whole and compare with its descriptor's digest (a mismatch is the layer's `verification` error). */
  verifyLayers?: boolean;
}

/** `planLayout(options)`: `planPull`'s options for a cold pull of the layout image read last
 *  (nothing is read, so no targets and no progress). */
export type PlanLayoutOptions = Omit<PlanOptions, "want" | "have" | "onProgress">;

export interface BlobOptions {
  annotations?: Record<string, string>;
  files?: boolean;
  verifyTarSplit?: boolean;
}

/** Why a request was made. */
export type RequestPurpose =
  | "ping"
  | "token"
  | "manifest"
  | "config"
  | "metadata"
  | "probe"
  | "tags"
  | "file";

export interface RequestRecord {
  url: string;
  range: string | null;
  status: number;
  bytes: number;
  purpose: RequestPurpose;
  aborted: boolean;
}

export interface Chunk {
  offset: number;
  compressedLength: number;
  uncompressedOffset: number;
  uncompressedLength: number;
  digest: string | null;
  zeros: boolean;
}

export interface FileReport {
  path: string;
  type: "reg" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  size: number;
  mode: number;
  uid: number;
  gid: number;
  modtime: string | null;
  linkName: string | null;
  digest: string | null;
  /** xattr name → base64 of the raw value. */
  xattrs: Record<string, string>;
  devMajor: number | null;
  devMinor: number | null;
  chunks: Chunk[];
}

/** What the reference puller does with a layer. */
export type PullOutcome = "partial" | "full-pull" | "fails";
/** Which containers/storage rule decided the verdict (README "The puller's verdict"). */
export type VerdictCode =
  | "eligible" | "tar-split-not-checked" | "no-toc-annotation" | "legacy-annotations" | "both-toc-kinds" | "bad-annotations"
  | "estargz-refused" | "toc-over-limit" | "no-tar-split-digest" | "no-tar-split-position"
  | "invalid-toc" | "invalid-tar-split" | "toc-tar-split-mismatch" | "metadata-unreadable"
  | "estargz-footer-unparsable";
/** One TOC ↔ tar-split difference, one per entry, in containers/storage's terms. */
export interface TocTarSplitDifference {
  kind: "duplicate-in-toc" | "missing-in-toc" | "missing-in-tar-split" | "unknown-type" | "mismatch" | "unreadable-header";
  /** The entry's name as Go's %q prints it (invalid UTF-8 bytes as \xNN). */
  path: string;
  /** For "mismatch": the first attribute that differs, in upstream's order. */
  field: "type" | "linkname" | "mode" | "size" | "uid" | "gid" | "mod-time" | "access-time" | "change-time"
       | "devmajor" | "devminor" | "xattrs" | null;
  /** containers/storage's error text for this entry. */
  message: string;
  note: string | null;
}
/** What a pull loses (README "Pull hazards"). */
export type HazardKind = "dir-mtime" | "fifo-dropped" | "device-dropped" | "symlink-mtime" | "mtime-out-of-range" | "selinux-xattr-dropped";
/** The kind of pull that loses it. */
export type HazardPull = "partial" | "full-pull";
/** One pull hazard of a layer (README "Pull hazards"). */
export interface PullHazard {
  kind: HazardKind;
  /** The kind of pull that loses it. */
  pull: HazardPull;
  count: number;
  /** At most 5 affected paths, as the TOC names them (untrusted text). */
  examples: string[];
  detail: string;
}
/** The upstream rule (containers/storage file and function) that decided a verdict. */
export type RuleSource =
  | "containers/storage v1.57.2 pkg/chunked/storage_linux.go getProperDiffer"
  | "containers/storage v1.57.2 pkg/chunked/storage_linux.go makeZstdChunkedDiffer"
  | "containers/storage v1.57.2 pkg/chunked/compression_linux.go readZstdChunkedManifest"
  | "containers/storage v1.57.2 pkg/chunked/compression_linux.go ensureTOCMatchesTarSplit"
  | "containers/storage v1.57.2 pkg/chunked/compression_linux.go readEstargzChunkedManifest"
  | "containers/storage v1.57.2 pkg/chunked/storage_linux.go makeEstargzChunkedDiffer";
/** What kind of layer it is (`LayerReport.format`). */
export type LayerFormat = "zstd:chunked" | "zstd:chunked-legacy" | "estargz" | "stargz-zstdchunked" | "zstd" | "gzip" | "tar" | "unknown";
/** Which annotations described the layer's metadata. */
export type AnnotationNamespace = "current" | "legacy" | "estargz" | "none";
/** Which footer layout the blob ends with (zstd:chunked and eStargz). */
export type FooterVariant = "current-72" | "v1.47-64" | "legacy-48" | "estargz-51" | "estargz-legacy-47";
/** Which of the TOC's declared sizes (`notRead.what`). */
export type TocSize = "TOC (compressed)" | "TOC (uncompressed)";
/** One of the tar-split's two declared sizes (`notRead.what` of a tar-split). */
export type TarSplitSize = "tar-split (compressed)" | "tar-split (uncompressed)";
/** Which eStargz writer made the layer. */
export type EstargzKind = "estargz" | "stargz-zstdchunked";
/** The landmark entry of an eStargz TOC. */
export type Landmark = "prefetch" | "no-prefetch";

export interface PullVerdict {
  outcome: PullOutcome;
  code: VerdictCode;
  reason: string;
  /** `fails`: the puller's error text; `full-pull`: its "Failed to retrieve partial blob" log line. */
  error: string | null;
  /** Upstream file and function of the deciding rule. */
  source: RuleSource;
}

/** The name of one check of a layer (README "checks"). */
export type CheckName =
  | "blob_size_matches_footer" | "blob_size_matches_metadata" | "chunk_extents" | "estargz_toc_digest"
  | "footer_magic" | "footer_matches_annotations" | "tarsplit_digest" | "tarsplit_follows_toc"
  | "tarsplit_in_skippable_frame" | "tarsplit_records_match_headers" | "tarsplit_uncompressed_length"
  | "toc_digest" | "toc_matches_tarsplit" | "toc_tar_name" | "toc_uncompressed_length";
export type CheckState = "pass" | "fail";
/** One check's outcome. */
export interface Check {
  state: CheckState;
  /** What was compared, with the values; why it failed. */
  detail?: string;
}

export interface LayerReport {
  digest: string;
  mediaType: string;
  size: number;
  format: LayerFormat;
  annotations: AnnotationNamespace;
  toc: { offset: number; length: number; uncompressedLength: number; digestVerified: boolean } | null;
  /** `notRead`: the tar-split was over chunkscope's own cap (1 GiB compressed, 8 GiB
   *  uncompressed; the reference puller has none) and was not read: the layer was inspected as
   *  with `verifyTarSplit: false`. */
  tarSplit: { offset: number; length: number; uncompressedLength: number; digestVerified: boolean; tarSize: number | null; notRead: { code: NotReadCode; what: TarSplitSize; size: number; limit: number } | null } | null;
  footer: { variant: FooterVariant; tocOffset: number; tocLength: number; tocUncompressedLength: number;
            tarSplitOffset: number | null; tarSplitLength: number | null; tarSplitUncompressedLength: number | null } | null;
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  chunks: number;
  zeroChunks: number;
  multiChunkFiles: number;
  payloadBytes: number;
  /** Check name → its state and what was compared (and why it failed). Only checks that ran. */
  checks: Partial<Record<CheckName, Check>>;
  /** What the reference puller (containers/storage 1.57.2) does with the layer: PullVerdict
   *  plus `eligible` (= outcome "partial") and `reason` (null when eligible). */
  partialPull: { eligible: boolean; reason: string | null; outcome: PullOutcome; code: VerdictCode;
                 error: string | null; source: RuleSource };
  /** At most 20; empty when the TOC and tar-split agree or the tar-split was not read. */
  tocTarSplitDifferences: TocTarSplitDifference[];
  /** What the stored layer loses, by kind of pull; only kinds that occur in the layer. */
  pullHazards: PullHazard[];
  bytesRead: number;
  reads: number;
  readLog: { offset: number; length: number }[];
  fileList?: FileReport[];
  /** With `inspectImage({fileTable: true})`: the files as columns, instead of `fileList`. */
  fileTable?: FileTable;
  /** A section deliberately not read, because the reference puller does not read it either
   *  (a TOC over its 150 MiB limit); not an error: `partialPull` says what the puller does. */
  notRead: { code: NotReadCode; what: TocSize; size: number; limit: number } | null;
  /** Why the inspection stopped early, if it did. */
  error: ChunkscopeErrorDetails | null;
  /** eStargz layers and stargz-snapshotter's zstd:chunked ones; null for any other layer. */
  estargz: EstargzReport | null;
}

/** What only eStargz layers (and stargz-snapshotter's zstd:chunked ones) have. */
export interface EstargzReport {
  kind: EstargzKind;
  /** `containerd.io/snapshot/stargz/toc.digest`: sha256 of the uncompressed TOC JSON. */
  tocDigest: string;
  tocDigestVerified: boolean;
  /** The TOC member's tar entry (gzip eStargz): "stargz.index.json". */
  tocTarName: string | null;
  landmark: Landmark | null;
  /** Regular files before `.prefetch.landmark`, in TOC order. */
  prioritizedFiles: string[];
  /** containers/storage's eStargz reader on the last 51 bytes, when it fails
   *  (`parse ToC offset: strconv.ParseInt: parsing "…": invalid syntax`). */
  referenceFooterError: string | null;
  /** The verdict with `insecure_allow_unpredictable_image_contents` (same shape as partialPull). */
  insecurePull: LayerReport["partialPull"];
  /** What that partial pull loses: the layer's "partial" pullHazards, "symlink-mtime" included. */
  insecurePullHazards: PullHazard[];
}

export type NotReadCode = "toc-over-limit" | "tar-split-over-limit";

export interface ImageReport {
  source: string;
  manifestDigest: string | null;
  manifestMediaType: string | null;
  platform: string | null;
  platforms: string[];
  configDigest: string | null;
  diffIds: string[];
  layers: LayerReport[];
  bytesRead: number;
  reads: number;
  requests: number;
  bytesFetched: number;
  requestLog: RequestRecord[];
}

export interface LayerInspection extends LayerReport {
  requests: number;
  bytesFetched: number;
  requestLog: RequestRecord[];
}

export interface ProbeReport {
  /** What `GET /v2/` answered: 200, or 401 when the registry wants credentials. */
  apiStatus: number;
  blob: string;
  blobSize: number | null;
  /** The first single-range request. */
  singleRange: SingleRangeAnswer;
  /** The same range again (a `first-200` registry answers this one with 206). */
  repeatRange: SingleRangeAnswer;
  multiRange: { status: number | null; kind: MultiRangeKind };
  /** The ladder's requests in order (empty without `ladder`). */
  ladder: LadderStep[];
  /** The behaviour class; null when multi-range was not tried and single ranges work. */
  class: BehaviourClass | null;
  /** What multi-range requests got, for `rejected` and `range-cap`. */
  status: number | null;
  /** The largest range count answered with multipart, for `range-cap` (ladder only). */
  cap: number | null;
  acceptRanges: string | null;
  /** The origin the blob request was redirected to (object storage), if any. */
  redirectedTo: string | null;
  verdict: ProbeVerdict;
  /** The verdict in words (for people; never switch on it). */
  verdictText: string;
  /** Configuration lines that would fix what was found for podman / CRI-O. */
  fix: string;
  /** What a browser needs besides the registry's CORS headers: the CORS rules of the object storage blobs are redirected to ('' without a redirect). */
  browserFix: string;
  /** The CORS configuration the inspector needs. */
  corsFix: string;
  bytesFetched: number;
  requests: number;
  requestLog: RequestRecord[];
}

export interface FileContent {
  bytes: Uint8Array;
  /** true: matched the TOC digest; null: the TOC has no digest (a mismatch rejects). */
  verified: true | null;
  bytesFetched: number;
  requests: number;
}

export interface PlanOptions {
  want: Target;
  have?: Target[];
  /** Reuse chunks of changed files found by chunk digest (podman 5.4 does). Default true. */
  chunkReuse?: boolean;
  /** containers/storage `use_hard_links`: match files by hard-link fingerprint. */
  hardLinks?: boolean;
  /** Data requests allowed per layer in the single-range plan; default: chosen per layer. */
  budget?: number;
  /** containers-storage.conf `insecure_allow_unpredictable_image_contents`: eStargz layers are
   *  pulled partially (footer, TOC, missing chunks). Default false. */
  insecureAllowUnpredictableImageContents?: boolean;
  /** Predict what podman really does on a registry answering ranges this way (`predicted`). */
  registryBehaviour?: PlanRegistryBehaviour;
  /** Whether the registry's refusals are registry JSON errors (podman retries those). Default "text". */
  errorBody?: PredictErrorBody;
  /** podman's --retry for the prediction; default 3. */
  retries?: number;
  onProgress?: (ev: ProgressEvent) => void;
}

/** A registry's range behaviour (src/registry/behaviour.rs), as `planPull` takes it. */
export interface PlanRegistryBehaviour {
  class: BehaviourClass;
  /** The refusal status, for "rejected" and "range-cap". */
  status?: number | null;
  /** The most ranges answered, for "range-cap". */
  cap?: number | null;
}

export type PredictErrorBody = "json" | "text";
export type PredictOutcome = "partial" | "double-download" | "full-fallback" | "fails";
export type PredictRequestKind = "metadata" | "data" | "full";

/** One request podman would send on the registry, and its answer. */
export interface PredictedRequest {
  kind: PredictRequestKind;
  ranges: { offset: number; length: number }[];
  /** Body bytes received (the blob for a 200, 0 for a refusal). */
  bytes: number;
  status: number;
  /** 1, then 2… for podman's retries of a failing pull. */
  attempt: number;
}

/** What podman really does with one layer on the registry. */
export interface LayerPrediction {
  outcome: PredictOutcome;
  requests: PredictedRequest[];
  bytes: number;
  error: string | null;
}

export interface PredictedTotals {
  /** CLASS[:STATUS][:CAP] */
  behaviour: string;
  errorBody: PredictErrorBody;
  outcome: PredictOutcome;
  attempts: number;
  layerRequests: number;
  /** Layer requests + one config GET per attempt. */
  requests: number;
  bytes: number;
  configBytes: number;
  error: string | null;
}

export interface SingleRangePlan {
  budget: number;
  metadataBytes: number;
  dataRanges: number;
  requests: number;
  bytes: number;
  ranges: { offset: number; length: number }[];
  /** Data requests ↔ data bytes, at most ~64 points. */
  curve: { requests: number; bytes: number }[];
}

/** How a wanted layer was found in the store. */
export type ReuseReason = "blob digest" | "TOC digest";

export interface LayerPlan {
  index: number;
  digest: string;
  reused: boolean;
  reusedBy: ReuseReason | null;
  metadataBytes: number;
  metadataRequests: number;
  missingFiles: number;
  missingChunks: number;
  localFiles: number;
  localChunks: number;
  zeroChunks: number;
  missingBytes: number;
  ranges: number;
  rangesPerRequest: number[];
  requests: number;
  fetchBytes: number;
  bridgedBytes: number;
  fullPullBytes: number;
  savedBytes: number;
  singleRange: SingleRangePlan;
  ignoresMultiRangeBytes: number;
  fallback: string | null;
  /** The reference puller's verdict (null when the layer is reused). */
  verdict: PullVerdict | null;
  requestList: { kind: PredictRequestKind; ranges: { offset: number; length: number }[]; bytes: number }[];
  /** Present when a registry behaviour was given and the layer is not reused. */
  predicted?: LayerPrediction;
}

export interface PlanReport {
  options: { chunkReuse: boolean; hardLinks: boolean; budget: number | null; insecureAllowUnpredictableImageContents: boolean };
  layers: LayerPlan[];
  totals: {
    layers: number; reusedLayers: number; fallbackLayers: number; failingLayers: number;
    metadataBytes: number; metadataRequests: number; missingFiles: number; localFiles: number;
    missingChunks: number; localChunks: number; missingBytes: number; ranges: number;
    requests: number; fetchBytes: number; fullPullBytes: number; savedBytes: number;
    singleRange: { requests: number; bytes: number };
    ignoresMultiRangeBytes: number;
    /** Present when a registry behaviour was given. */
    predicted?: PredictedTotals;
  };
  want: ImageReport;
  have: ImageReport[];
  bytesFetched: number;
  requests: number;
}
