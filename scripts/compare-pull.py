#!/usr/bin/env python3
"""compare-pull.py: compare what a real `podman pull` asked a registry for with chunkscope's plan.

Usage: compare-pull.py RUN.json

RUN.json is written by scripts/measure-pull.sh:

  {"registry": "http://127.0.0.1:PORT",          # the registry itself (manifests, TOCs)
   "front": {"kind": "log", "url": ..., "header_limit": 8192},
   "podman": {"version", "storage", "image", "annotation_keys": [...], ...},
   "results": "PATH.json",                        # where the comparison is written
   "cache": "PATH.json",                          # manifests and TOCs read (re-runs offline)
   "scenarios": [{"name", "note", "steps": [
       {"image": "pair-a", "tag": "latest", "access_log": PATH, "podman_log": PATH,
        "podman_rc": 0, "plan": PATH | null, "plan_error": null, "have": []}, ...]}]}

For every step (one pull into the store that the scenario's earlier steps filled) and every
layer it compares three things:

  podman   the blob requests in the logging front's access log (JSON lines of
           scripts/registry.sh: uri, range, status, body_bytes_sent, content_type);
  planner  `chunkscope plan` (it models podman 5.4 / containers-storage 1.57);
  model    an emulation of containers-storage 1.43 (the library in Debian 12's podman 4.3.1),
           used only when the podman binary knows no io.github.containers.zstd-chunked.*
           annotation (it predates them). Read from c/storage 1.43.0 pkg/chunked: layer
           recognised only by io.containers.zstd-chunked.manifest-checksum; metadata = one
           GET of the TOC alone (from manifest-position; the footer first if that is absent);
           files reused by full digest and chunks by chunkDigest only from layers that were
           themselves pulled partially (their TOC is stored); zeros chunks are holes; a
           multi-chunk file's last chunk reads up to the next entry's offset; missing parts
           merged only when they touch and belong to the same file, then cost-merged down to
           1024 parts; a 400 answer makes it merge to half the parts and ask again (fewer than
           64 parts: give up, pull the blob whole).

A step/layer is OK when podman's requests equal the planner's (same number of GETs, the same
ranges in each). Otherwise it is EXPLAINED when podman's requests equal the old-storage model
(its partial pull of legacy layers, its full pull of layers with only the new annotations,
including a front that rejected an over-long Range header), and UNEXPLAINED otherwise.
Exit status: 0 all OK or explained, 1 something unexplained, 2 the comparison itself failed.
Standard library only, plus the `zstd` command to decompress TOCs.
"""
import json
import re
import subprocess
import sys
import urllib.request

GITHUB_PREFIX = "io.github.containers.zstd-chunked."
LEGACY_PREFIX = "io.containers.zstd-chunked."
LEGACY_CHECKSUM = LEGACY_PREFIX + "manifest-checksum"
LEGACY_POSITION = LEGACY_PREFIX + "manifest-position"
GITHUB_POSITION = GITHUB_PREFIX + "manifest-position"
CS143_MAX_PARTS = 1024      # maxNumberMissingChunks
CS143_MIN_RETRY_PARTS = 64  # below this a 400 is final
CS143_FOOTER = 40           # internal.FooterSizeSupported

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


# ------------------------------------------------------------------ registry access
def http_get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.read(), dict(r.headers)


# manifests and TOCs read from the registry, kept in a file next to the results so that the
# comparison can be re-run after the registry is gone ("cache" in RUN.json)
_saved = {"manifests": {}, "tocs": {}}


def fetch_manifest(registry, repo, ref):
    key = f"{repo}:{ref}"
    if key in _saved["manifests"]:
        return _saved["manifests"][key]
    _, body, _ = http_get(f"{registry}/v2/{repo}/manifests/{ref}", {"Accept": MANIFEST_ACCEPT})
    m = json.loads(body)
    _saved["manifests"][key] = m
    if "manifests" in m:  # an index: linux/amd64 like podman on this machine
        pick = [d for d in m["manifests"]
                if d.get("platform", {}).get("os") == "linux"
                and d.get("platform", {}).get("architecture") == "amd64"] or m["manifests"]
        return fetch_manifest(registry, repo, pick[0]["digest"])
    return m


def parse_position(value):
    parts = [int(x) for x in value.split(":")]
    return parts  # offset:length:uncompressed:type (4 values)


def fetch_toc(registry, repo, layer):
    """The layer's TOC entries (raw JSON), located by its annotations, or None."""
    key = layer["digest"]
    if key in _saved["tocs"]:
        return _saved["tocs"][key]
    ann = layer.get("annotations") or {}
    pos = ann.get(LEGACY_POSITION) or ann.get(GITHUB_POSITION)
    toc = None
    if pos:
        off, length = parse_position(pos)[:2]
        status, body, _ = http_get(f"{registry}/v2/{repo}/blobs/{key}",
                                   {"Range": f"bytes={off}-{off + length - 1}"})
        if status == 206 and len(body) == length:
            raw = subprocess.run(["zstd", "-dc"], input=body, capture_output=True, check=True).stdout
            toc = json.loads(raw)
    _saved["tocs"][key] = toc
    return toc


def annotation_flavour(layer):
    keys = set((layer.get("annotations") or {}).keys())
    gh = any(k.startswith(GITHUB_PREFIX) for k in keys)
    lg = any(k.startswith(LEGACY_PREFIX) for k in keys)
    if gh and lg:
        return "both"
    if gh:
        return "current"
    if lg:
        return "legacy"
    return "none"


# ------------------------------------------------------------------ access log
BLOB_RE = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
MANIFEST_RE = re.compile(r"^/v2/(.+)/manifests/(.+)$")


def parse_range(value):
    if not value:
        return []
    if not value.startswith("bytes="):
        return None
    out = []
    for part in value[len("bytes="):].split(","):
        a, _, b = part.strip().partition("-")
        if a == "" or b == "":
            return None  # suffix or open ranges: podman never sends them
        out.append((int(a), int(b)))
    return out


def read_access_log(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                rec = json.loads(line)
                rec["_n"] = n
                lines.append(rec)
    return lines


def front_rejected(rec):
    """nginx answered itself: 400 before any upstream (e.g. a Range header over
    large_client_header_buffers, whose value is then not logged)."""
    return rec.get("status") == 400 and not rec.get("upstream_status")


def classify(lines, manifest, repo):
    """Split a pull's requests: per layer digest, and the rest described."""
    layers = {l["digest"]: [] for l in manifest["layers"]}
    other = []
    for rec in lines:
        uri = rec.get("uri") or ""
        m = BLOB_RE.match(uri.split("?")[0])
        if m and m.group(2) in layers:
            layers[m.group(2)].append(rec)
            continue
        if uri == "" and rec.get("status") == 400:
            what = "TLS attempt on the plain-HTTP front (podman tries https first)"
        elif uri == "/v2/":
            what = "ping /v2/"
        elif MANIFEST_RE.match(uri):
            what = "manifest"
        elif m and m.group(2) == manifest.get("config", {}).get("digest"):
            what = "config"
        else:
            what = "other"
        other.append({"what": what, "method": rec.get("method"), "uri": uri,
                      "status": rec.get("status"), "bytes": rec.get("body_bytes_sent", 0)})
    return layers, other


def measured_layer(recs, size):
    reqs = []
    for r in recs:
        rng = parse_range(r.get("range", ""))
        rejected = front_rejected(r)
        reqs.append({
            "ranges": rng or [],
            "full": not r.get("range") and not rejected,
            "rejected": rejected,
            "status": r.get("status"),
            "requested": sum(b - a + 1 for a, b in rng) if rng else (0 if rejected else size),
            "received": int(r.get("body_bytes_sent") or 0),
            "content_type": r.get("content_type", ""),
            "line": r["_n"],
        })
    if not reqs:
        mode = "none"
    elif any(q["ranges"] for q in reqs):
        mode = "partial, then full" if reqs[-1]["full"] else "partial"
    else:
        mode = "full"
    return {"requests": reqs, "mode": mode}


# ------------------------------------------------------------------ planner
def planner_layer(plan_layer):
    reqs = []
    for q in plan_layer.get("requestList", []):
        rng = [(r["offset"], r["offset"] + r["length"] - 1) for r in q.get("ranges", [])]
        full = q.get("kind") == "full"
        reqs.append({"ranges": rng, "full": full, "rejected": False, "kind": q.get("kind"),
                     "requested": q.get("bytes", 0)})
    if plan_layer.get("reused"):
        mode = "none"
    elif plan_layer.get("fallback"):
        mode = "full"
    else:
        mode = "partial"
    return {"requests": reqs, "mode": mode, "fallback": plan_layer.get("fallback"),
            "reused": plan_layer.get("reused"), "reusedBy": plan_layer.get("reusedBy")}


# ------------------------------------------------------------------ c/storage 1.43 model
def cs143_tags(toc):
    """digest -> file offset of its first location (writeCache + findTag: earliest entry)."""
    tags = {}
    seen_chunks = set()
    for e in toc.get("entries", []):
        d = e.get("digest", "")
        cd = e.get("chunkDigest", "")
        if not d:
            if not cd or cd in seen_chunks:
                continue
            seen_chunks.add(cd)
        if d:
            tags.setdefault(d, 0)
        if cd:
            tags.setdefault(cd, int(e.get("chunkOffset", 0)))
    return tags


def cs143_merge_entries(entries, toc_offset):
    merged = []
    i = 0
    while i < len(entries):
        e = dict(entries[i])
        if e.get("type") == "chunk":
            raise ValueError("chunk type without a regular file")
        if e.get("type") == "reg":
            n = 0
            while i + 1 + n < len(entries) and entries[i + 1 + n].get("type") == "chunk":
                n += 1
            e["_chunks"] = [dict(x) for x in entries[i:i + n + 1]]
            e["endOffset"] = entries[i + n].get("endOffset", 0)
            i += n
        else:
            e["_chunks"] = []
        merged.append(e)
        i += 1
    last = toc_offset
    for e in reversed(merged):
        if not e.get("endOffset"):
            e["endOffset"] = last
        if e.get("offset"):
            last = e["offset"]
        last_chunk = e["endOffset"]
        for c in reversed(e["_chunks"]):
            c["endOffset"] = last_chunk
            last_chunk = c.get("offset", 0)
    return merged


def cs143_merge_missing(parts, target):
    """mergeMissingChunks of c/storage 1.43.0, on dicts {off, len, file, origin, hole, nchunks}."""
    def gap(ps, i):
        return ps[i]["off"] - (ps[i - 1]["off"] + ps[i - 1]["len"])

    def cost(ps, i):
        c = gap(ps, i)
        if ps[i - 1]["origin"]:
            c += ps[i - 1]["len"]
        if ps[i]["origin"]:
            c += ps[i]["len"]
        return c

    if not parts:
        return parts
    new = [dict(parts[0])]
    for i in range(1, len(parts)):
        p, q = new[-1], parts[i]
        if (gap(parts, i) == 0 and not p["origin"] and not q["origin"] and not p["hole"]
                and not q["hole"] and p["nchunks"] == 1 and q["nchunks"] == 1
                and p["file"] == q["file"]):
            p["len"] += q["len"]
        else:
            new.append(dict(q))
    parts = new
    if len(parts) <= target:
        return parts
    costs = sorted(cost(parts, i) for i in range(1, len(parts)))
    shrink = len(parts) - target
    if shrink >= len(costs):
        shrink = len(costs) - 1
    limit = costs[shrink]
    new = [dict(parts[0])]
    for i in range(1, len(parts)):
        if cost(parts, i) > limit:
            new.append(dict(parts[i]))
        else:
            g = gap(parts, i)
            p = new[-1]
            p["len"] += g + parts[i]["len"]
            p["hole"] = False
            p["origin"] = False
            p["nchunks"] += (1 if g > 0 else 0) + parts[i]["nchunks"]
    return new


def range_header_len(ranges):
    return len("Range: bytes=" + ",".join(f"{a}-{b}" for a, b in ranges)) + 2


def cs143_layer(layer, toc, have_tags, in_store, header_limit):
    """What c/storage 1.43 + c/image 5.23 request for one layer."""
    size = layer["size"]
    ann = layer.get("annotations") or {}
    if in_store:
        return {"mode": "none", "requests": [], "why": "blob already in the store (skipped)"}
    full = {"mode": "full", "requests": [{"ranges": [], "full": True, "rejected": False,
                                          "requested": size}]}
    if LEGACY_CHECKSUM not in ann:
        full["why"] = ("no io.containers.zstd-chunked.manifest-checksum annotation: 'blob type not "
                       "supported for partial retrieval', whole blob")
        return full
    reqs = []
    pos = ann.get(LEGACY_POSITION)
    if pos:
        off, length = parse_position(pos)[:2]
    else:
        reqs.append({"ranges": [(size - CS143_FOOTER, size - 1)], "full": False, "rejected": False,
                     "requested": CS143_FOOTER})
        if toc is None:
            return {"mode": "unknown", "requests": reqs, "why": "footer-located TOC not modelled"}
        off, length = toc["_offset"], toc["_length"]
    reqs.append({"ranges": [(off, off + length - 1)], "full": False, "rejected": False,
                 "requested": length, "kind": "metadata"})
    if toc is None:
        return {"mode": "unknown", "requests": reqs, "why": "TOC could not be read"}
    merged = cs143_merge_entries(toc["entries"], off)
    parts = []
    missing_size = total_size = 0
    files_found = files_missing = chunks_found = holes = 0
    for e in merged:
        t = e.get("type")
        if t in ("dir", "symlink", "hardlink"):
            continue
        if t == "reg" and not e.get("size"):
            continue
        total_size += e.get("size", 0)
        if t != "reg":
            continue  # char, block, fifo: not fetched
        d = e.get("digest", "")
        if d and have_tags.get(d) == 0:
            files_found += 1
            continue
        files_missing += 1
        missing_size += e["size"]
        remaining = e["size"]
        for c in e["_chunks"]:
            csize = c.get("chunkSize") or remaining
            remaining -= csize
            part = {"off": c.get("offset", 0), "len": c["endOffset"] - c.get("offset", 0),
                    "file": e["name"], "origin": False, "hole": False, "nchunks": 1}
            ctype = c.get("chunkType", "")
            if ctype == "":
                cd = c.get("chunkDigest", "")
                if cd and cd in have_tags:
                    part["origin"] = True
                    missing_size -= csize
                    chunks_found += 1
            elif ctype == "zeros":
                part["hole"] = True
                missing_size -= csize
                holes += 1
            parts.append(part)
    stats = {"files_found": files_found, "files_missing": files_missing,
             "chunks_found": chunks_found, "holes": holes,
             "missing_bytes": missing_size, "total_bytes": total_size}
    if parts:
        parts = cs143_merge_missing(parts, CS143_MAX_PARTS)
        while True:
            ranges = [(p["off"], p["off"] + p["len"] - 1) for p in parts
                      if not p["origin"] and not p["hole"]]
            hlen = range_header_len(ranges)
            if header_limit and hlen > header_limit:
                reqs.append({"ranges": ranges, "full": False, "rejected": True, "requested": 0,
                             "header_bytes": hlen, "kind": "data"})
                if len(parts) < CS143_MIN_RETRY_PARTS:
                    reqs.append(dict(full["requests"][0]))
                    return {"mode": "full", "requests": reqs, "stats": stats,
                            "why": "400 with fewer than 64 parts: partial pull abandoned"}
                parts = cs143_merge_missing(parts, len(parts) // 2)
                continue
            reqs.append({"ranges": ranges, "full": False, "rejected": False,
                         "requested": sum(b - a + 1 for a, b in ranges), "header_bytes": hlen,
                         "kind": "data"})
            break
    return {"mode": "partial", "requests": reqs, "stats": stats,
            "why": "legacy annotations: partial pull (TOC only, no tar-split)"}


# ------------------------------------------------------------------ comparing
def same_requests(a, b):
    """Same GETs with the same ranges. Requests rejected by the front are compared as
    'rejected' only (their Range header was not logged)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x["rejected"] or y["rejected"]:
            if x["rejected"] != y["rejected"]:
                return False
            continue
        if x["full"] != y["full"]:
            return False
        if not x["full"] and list(map(tuple, x["ranges"])) != list(map(tuple, y["ranges"])):
            return False
    return True


def first_difference(a, b):
    if len(a) != len(b):
        return f"podman {len(a)} GET{'s' if len(a) != 1 else ''}, it {len(b)}"
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x["rejected"] != y["rejected"] or x["full"] != y["full"]:
            return f"GET {i}: podman {describe_req(x)}, it {describe_req(y)}"
        if x["rejected"] or x["full"]:
            continue
        xr, yr = list(map(tuple, x["ranges"])), list(map(tuple, y["ranges"]))
        if xr != yr:
            if len(xr) != len(yr):
                return f"GET {i}: podman {len(xr)} ranges, it {len(yr)}"
            for k, (p, q) in enumerate(zip(xr, yr), 1):
                if p != q:
                    return f"GET {i}, range {k}: podman {p[0]}-{p[1]}, it {q[0]}-{q[1]}"
    return ""


def describe_req(q):
    if q["rejected"]:
        return "rejected by the front (400)"
    if q["full"]:
        return "whole blob"
    return f"{len(q['ranges'])} ranges"


def ranges_per_get(reqs):
    out = []
    for q in reqs:
        if q["rejected"]:
            n = len(q["ranges"])
            out.append(f"400[{n}]" if n else "400")
        elif q["full"]:
            out.append("full")
        else:
            out.append(str(len(q["ranges"])))
    return ",".join(out) if out else "-"


def fmt(n):
    return "-" if n is None else f"{n:,}"


NOT_CANDIDATE = "blob type not supported for partial retrieval"


def partial_then_full(meas, pl, model, facts):
    """podman's requests = a model's partial requests + one whole-blob GET, and its log says a
    partial pull failed for a reason other than 'not a candidate': (who, errors) or None."""
    reqs = meas["requests"]
    if len(reqs) < 2 or not reqs[-1]["full"] or reqs[-1]["status"] != 200:
        return None
    errors = sorted({e for e in facts["partial_failed"] if e != NOT_CANDIDATE})
    if not errors:
        return None
    for who, r in (("planner", pl), ("model", model)):
        if r is not None and r["mode"] == "partial" and same_requests(reqs[:-1], r["requests"]):
            return who, errors
    return None


def podman_log_facts(path):
    facts = {"partial_failed": [], "partial_ok": [], "skipped": [], "missing": [], "errors": []}
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return facts
    for m in re.finditer(r'Failed to retrieve partial blob: ((?:[^"\\]|\\.)*)"', text):
        facts["partial_failed"].append(m.group(1).replace('\\"', '"'))
    facts["partial_ok"] = re.findall(r"Retrieved partial blob (sha256:[0-9a-f]{64})", text)
    facts["skipped"] = re.findall(r"Skipping blob (sha256:[0-9a-f]{64}) \(already present", text)
    facts["missing"] = [(int(a), int(b)) for a, b in
                        re.findall(r"Missing (\d+) bytes out of (\d+) \(", text)]
    facts["errors"] = [e.replace('\\"', '"') for e in
                       re.findall(r'level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"', text)]
    return facts


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    run = json.load(open(sys.argv[1], encoding="utf-8"))
    registry = run["registry"]
    if run.get("cache"):
        try:
            _saved.update(json.load(open(run["cache"], encoding="utf-8")))
        except (OSError, ValueError):
            pass
    podman = run["podman"]
    front = run.get("front", {})
    header_limit = front.get("header_limit")
    old_storage = not any(k.startswith(GITHUB_PREFIX) for k in podman.get("annotation_keys", []))
    knows_legacy = any(k.startswith(LEGACY_PREFIX) for k in podman.get("annotation_keys", []))
    pv = podman.get("version", "?")
    model_name = f"c/storage {re.sub(r'[+~-].*', '', podman.get('storage', '') or '?')} model"

    print(f"podman {pv} (containers/storage {podman.get('storage', '?')}, containers/image "
          f"{podman.get('image', '?')}); zstd:chunked annotation keys compiled in: "
          f"{', '.join(podman.get('annotation_keys', [])) or 'none'}")
    if old_storage:
        print(f"  -> it predates the io.github.containers.zstd-chunked.* annotations"
              f"{' and reads only the legacy io.containers.* ones' if knows_legacy else ''}: "
              f"the planner (podman 5.4 model) cannot predict it; the {model_name} "
              f"(emulated here from its source) is used to explain the differences")
    print(f"front: {front.get('kind')} {front.get('url')} (longest Range header line it accepts: "
          f"{fmt(header_limit) + ' bytes' if header_limit else 'no limit known'})")

    results = {"podman": podman, "front": front, "scenarios": []}
    counts = {"OK": 0, "EXPLAINED": 0, "FRONT": 0, "UNEXPLAINED": 0}
    failures = []
    total_failed_partials = []
    for scn in run["scenarios"]:
        print()
        print(f"=== scenario {scn['name']}: {scn.get('note', '')}")
        store_layers = set()       # blob digests in the store
        cache_tocs = []            # TOCs of layers pulled partially (c/storage's layers cache)
        sres = {"name": scn["name"], "steps": []}
        for step in scn["steps"]:
            repo, tag = step["image"], step.get("tag", "latest")
            manifest = fetch_manifest(registry, repo, tag)
            lines = read_access_log(step["access_log"])
            per_layer, other = classify(lines, manifest, repo)
            facts = podman_log_facts(step["podman_log"])
            plan = None
            if step.get("plan"):
                try:
                    plan = json.load(open(step["plan"], encoding="utf-8"))
                except (OSError, ValueError):
                    plan = None
            plan_by_digest = {l["digest"]: l for l in (plan or {}).get("layers", [])}
            have_tags = {}
            for toc in cache_tocs:
                for d, o in cs143_tags(toc).items():
                    have_tags.setdefault(d, o)
            have = ", ".join(step.get("have") or []) or "empty store"
            print(f"--- podman pull {repo}:{tag}  (store: {have}; podman rc {step['podman_rc']})")
            if step.get("plan_error"):
                print(f"    planner failed: {step['plan_error']}")
            hdr = f"    {'layer':<22} {'who':<26} {'GETs':>4}  {'ranges/GET':<12} {'requested':>11} {'received':>11}  mode"
            print(hdr)
            step_res = {"image": repo, "tag": tag, "podman_rc": step["podman_rc"], "layers": [],
                        "other_requests": other, "podman_log": facts}
            model_missing = []
            failed_partials = []
            for idx, layer in enumerate(manifest["layers"], 1):
                dg, size = layer["digest"], layer["size"]
                flav = annotation_flavour(layer)
                meas = measured_layer(per_layer.get(dg, []), size)
                pl = planner_layer(plan_by_digest[dg]) if dg in plan_by_digest else None
                toc = None
                if old_storage and LEGACY_CHECKSUM in (layer.get("annotations") or {}):
                    toc = fetch_toc(registry, repo, layer)
                model = cs143_layer(layer, toc, have_tags, dg in store_layers, header_limit) \
                    if old_storage else None

                label = f"L{idx} {dg[7:19]}"
                rows = [("podman " + pv, meas)]
                if pl:
                    rows.append(("planner (podman 5.4)", pl))
                if model:
                    rows.append((model_name[:26], model))
                for who, r in rows:
                    req = sum(q["requested"] for q in r["requests"])
                    rec = sum(q.get("received", 0) for q in r["requests"]) if who.startswith("podman") else None
                    print(f"    {label:<22} {who:<26} {len(r['requests']):>4}  "
                          f"{ranges_per_get(r['requests']):<12} {fmt(req):>11} {fmt(rec):>11}  {r['mode']}")
                    label = ""
                # verdict
                notes = []
                if pl is not None and same_requests(meas["requests"], pl["requests"]):
                    verdict = "OK"
                    notes.append("exactly the planned requests" + (" and ranges" if meas["mode"] == "partial" else ""))
                elif model is not None and same_requests(meas["requests"], model["requests"]):
                    verdict = "EXPLAINED"
                    if pl is None:
                        notes.append("no plan to compare with")
                    else:
                        notes.append(f"planner: {first_difference(meas['requests'], pl['requests'])}"
                                     f" ({'fallback: ' + pl['fallback'] if pl.get('fallback') else pl['mode']})")
                    notes.append(f"= {model_name}: {model.get('why', '')}")
                    if flav == "current" and meas["mode"] == "full" and pl and pl["mode"] == "partial":
                        notes.append(f"podman {pv} does not know the io.github.* annotations, so this current-format layer "
                                     "is to it what a legacy layer is to podman 5.4: the planner's fallback "
                                     f"(one plain GET of {fmt(size)} bytes) is what it did")
                    if any(q["rejected"] for q in meas["requests"]):
                        rej = [q for q in model["requests"] if q["rejected"]]
                        notes.append("the front answered 400 to " + ", ".join(
                            f"a Range header of {fmt(q.get('header_bytes'))} bytes ({len(q['ranges'])} ranges)"
                            for q in rej) + f" (nginx large_client_header_buffers, {fmt(header_limit)} bytes); "
                            "c/storage then merged to half the parts and asked again: a front artefact, "
                            "the registry itself takes such headers")
                elif (aborted := partial_then_full(meas, pl, model, facts)):
                    # podman made the predicted partial requests, then its partial pull failed
                    # locally and c/image fetched the whole blob
                    verdict = "EXPLAINED"
                    who, errors = aborted
                    failed_partials.append(dg)
                    notes.append(f"podman made exactly the {who}'s requests, then its partial pull FAILED "
                                 f"locally ({'; '.join(errors)}) and c/image fell back to one plain GET "
                                 f"of the whole blob: {fmt(size)} bytes more")
                    if who != "planner" and pl is not None:
                        notes.append(f"planner: {first_difference(meas['requests'], pl['requests'])}")
                elif any(q["rejected"] for q in meas["requests"]):
                    # the front itself refused a request: what followed is the puller's retry,
                    # which no model here predicts; the measurement is not comparable
                    verdict = "FRONT"
                    big = [q for q in (pl or {"requests": []})["requests"]
                           if q["ranges"] and range_header_len(q["ranges"]) > (header_limit or 1 << 62)]
                    notes.append("the front answered 400 itself (no upstream) to "
                                 f"{sum(q['rejected'] for q in meas['requests'])} request(s): a Range header "
                                 f"longer than its {fmt(header_limit)}-byte header buffer"
                                 + (f" (the planner's {len(big[0]['ranges'])}-range request needs "
                                    f"{fmt(range_header_len(big[0]['ranges']))} bytes)" if big else "")
                                 + "; the puller then retried with merged ranges. Not comparable: "
                                 "raise large_client_header_buffers on the LOG front in scripts/registry.sh")
                    failures.append(f"{scn['name']}/{repo} L{idx} (front rejected a request)")
                else:
                    verdict = "UNEXPLAINED"
                    if pl is not None:
                        notes.append(f"planner: {first_difference(meas['requests'], pl['requests'])}")
                    if model is not None:
                        notes.append(f"{model_name}: {first_difference(meas['requests'], model['requests'])}")
                    failures.append(f"{scn['name']}/{repo} L{idx}")
                counts[verdict] += 1
                if model and model.get("stats") and dg not in failed_partials and meas["mode"] == "partial":
                    model_missing.append((model["stats"]["missing_bytes"], model["stats"]["total_bytes"]))
                if meas["mode"] != "none" and any(q["status"] not in (200, 206) and not q["rejected"]
                                                   for q in meas["requests"]):
                    notes.append("unexpected statuses: " + ",".join(str(q["status"]) for q in meas["requests"]))
                print(f"    {'':<22} => {verdict}: " + "; ".join(notes))
                step_res["layers"].append({
                    "index": idx, "digest": dg, "size": size, "annotations": flav,
                    "podman": meas, "planner": pl, "model": model, "verdict": verdict, "notes": notes})
            # podman's own debug numbers against the model's
            if old_storage and (facts["missing"] or model_missing):
                ok = sorted(facts["missing"]) == sorted(model_missing)
                print(f"    podman debug 'Missing X bytes out of Y': {facts['missing'] or 'none'}; "
                      f"model: {model_missing or 'none'} -> {'same' if ok else 'DIFFERENT'}")
                step_res["missing_check"] = ok
                if not ok:
                    failures.append(f"{scn['name']}/{repo} 'Missing' numbers")
                    counts["UNEXPLAINED"] += 1
            for e in sorted(set(facts["partial_failed"])):
                print(f"    podman debug: Failed to retrieve partial blob: {e} "
                      f"(x{facts['partial_failed'].count(e)})")
            step_res["partial_pull_failed"] = failed_partials
            total_failed_partials.extend(failed_partials)
            if facts["errors"]:
                print(f"    podman errors: {'; '.join(facts['errors'][:3])}")
            tot_sent = sum(int(r.get("body_bytes_sent") or 0) for r in lines)
            print(f"    all requests: {len(lines)} ({', '.join(o['what'] for o in other)} + layer blobs), "
                  f"{fmt(tot_sent)} bytes received")
            if step["podman_rc"] != 0:
                failures.append(f"{scn['name']}/{repo}: podman rc {step['podman_rc']}")
                counts["UNEXPLAINED"] += 1
            # the store after this pull
            for idx, layer in enumerate(manifest["layers"], 1):
                dg = layer["digest"]
                meas = step_res["layers"][idx - 1]["podman"]
                if dg not in store_layers and meas["mode"] == "partial":
                    toc = fetch_toc(registry, repo, layer)
                    if toc is not None:
                        cache_tocs.append(toc)
                store_layers.add(dg)
            sres["steps"].append(step_res)
        results["scenarios"].append(sres)

    print()
    verdict = "PASS" if not failures else "FAIL"
    summary = (f"VERDICT: {verdict}: {counts['OK']} layer pulls as planned, {counts['EXPLAINED']} different "
               f"but explained, {counts['UNEXPLAINED']} unexplained"
               + (f", {counts['FRONT']} not comparable (front rejected requests)" if counts["FRONT"] else "")
               + (f"; podman's partial pull failed and fell back to a full pull for {len(total_failed_partials)} "
                  "layer(s)" if total_failed_partials else ""))
    if failures:
        summary += " (" + "; ".join(failures) + ")"
    print(summary)
    results["verdict"] = verdict
    results["counts"] = counts
    results["failures"] = failures
    results["partial_pull_failed"] = total_failed_partials
    if run.get("cache"):
        with open(run["cache"], "w", encoding="utf-8") as f:
            json.dump(_saved, f)
    if run.get("results"):
        with open(run["results"], "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, default=list)
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # the comparison itself broke: not a verdict
        import traceback
        traceback.print_exc()
        print(f"VERDICT: ERROR: the comparison failed: {e}", file=sys.stderr)
        sys.exit(2)
