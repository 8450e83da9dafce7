#!/usr/bin/env python3
"""compare-predict.py - podman's real requests on each behaviour front vs chunkscope's prediction.

Usage: compare-predict.py RUN.json      (written by `scripts/measure-pull.sh fronts`)

RUN.json: {"podman": "...", "runs": [{"front", "behaviour", "error_body", "scenario", "image",
"podman_rc", "podman_error", "log" (the front's JSON log lines of this pull), "plan" (path of
`chunkscope plan --json --registry-behaviour ...`), "config_digest"}]}.

Per run and layer it compares the sequence of (ranges, status) podman sent for the layer's blob,
as the front logged it, with the prediction's requests (over every attempt); the config GETs
with the predicted attempts; podman's exit status with the predicted outcome (`fails` <=> exit
status != 0); and prints the layer bytes the front sent next to the predicted bytes. Exit
status 0 when every run matches, 1 otherwise.
"""
import json
import sys


def load_lines(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def main():
    run = json.load(open(sys.argv[1]))
    print(f"podman: {run.get('podman', '?')}")
    print(f"{'front':<20} {'scenario':<12} {'predicted':<16} {'podman':<8} {'req p/m':>9} "
          f"{'bytes predicted':>16} {'bytes sent':>12}  verdict")
    ok_all = True
    results = []
    for r in run["runs"]:
        plan = json.load(open(r["plan"]))
        pt = plan["totals"]["predicted"]
        log = load_lines(r["log"])
        blobs = [e for e in log if "/blobs/" in e["path"]]
        config = [e for e in blobs if e["path"].endswith(r["config_digest"])]
        problems = []
        sent = 0
        for layer in plan["layers"]:
            pred = layer.get("predicted")
            got = [(e["ranges"], e["status"]) for e in blobs if e["path"].endswith(layer["digest"])]
            sent += sum(e["bytes"] for e in blobs if e["path"].endswith(layer["digest"]))
            want = [(len(q["ranges"]), q["status"]) for q in pred["requests"]] if pred else []
            if got != want:
                problems.append(f"layer {layer['index']}: podman {got} predicted {want}")
        if len(config) != pt["attempts"]:
            problems.append(f"config GETs: podman {len(config)}, predicted attempts {pt['attempts']}")
        failed = r["podman_rc"] != 0
        if failed != (pt["outcome"] == "fails"):
            problems.append(f"podman exit {r['podman_rc']} but predicted {pt['outcome']}")
        layer_reqs = sum(1 for e in blobs if e not in config)
        verdict = "match" if not problems else "MISMATCH"
        ok_all &= not problems
        print(f"{r['front']:<20} {r['scenario']:<12} {pt['outcome']:<16} "
              f"{'fails' if failed else 'ok':<8} {str(pt['requests']) + '/' + str(layer_reqs + len(config)):>9} "
              f"{pt['bytes']:>16,} {sent:>12,}  {verdict}")
        for p in problems:
            print(f"    {p}")
        if failed and r.get("podman_error"):
            print(f"    podman: {r['podman_error'][:200]}")
            if pt.get("error"):
                print(f"    predicted: {pt['error'][:200]}")
        results.append({"front": r["front"], "scenario": r["scenario"], "behaviour": r["behaviour"],
                        "predicted": pt, "podman_rc": r["podman_rc"], "podman_error": r.get("podman_error"),
                        "layer_bytes_sent": sent, "requests_logged": layer_reqs + len(config),
                        "problems": problems})
    out = sys.argv[1].replace("run.json", "results.json")
    if out != sys.argv[1]:
        json.dump(results, open(out, "w"), indent=1)
    print("VERDICT:", "every pull as predicted" if ok_all else "differences found")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
