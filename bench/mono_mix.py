#!/usr/bin/env python3
"""Every call of a call set as a mono recording, for measuring mono roles on more
voice pairs than the set's own mono calls: stereo calls are mixed down with sox
(`remix 1,2`, 16-bit PCM at the call's rate, no dither), mono calls are copied; the manifest
says `mono` for all, and the labels (expected.toml, timeline.tsv, phrases.tsv,
cases.tsv) are copied as they are, since who said what does not change.

    python3 bench/mono_mix.py [--set /work/devcalls] [--out /tmp/mono40]
    python3 bench/calls_accuracy.py --set /tmp/mono40 --callqa target/release/callqa --out OUT

Needs sox. Standard library only.
"""
import argparse, csv, os, shutil, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("--set", default="/work/devcalls")
ap.add_argument("--out", default="/tmp/mono40")
a = ap.parse_args()

os.makedirs(a.out, exist_ok=True)
rows = list(csv.DictReader(open(os.path.join(a.set, "manifest.csv"), newline="")))
with open(os.path.join(a.out, "manifest.csv"), "w", newline="") as out:
    w = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
    w.writeheader()
    for r in rows:
        src = os.path.join(a.set, r["file"])
        dst = os.path.join(a.out, r["call_id"] + ".wav")
        if r["channel_layout"] == "mono":
            shutil.copyfile(src, dst)
        else:
            subprocess.run(["sox", "-D", src, "-e", "signed-integer", "-b", "16", dst, "remix", "1,2"], check=True)
        w.writerow(dict(r, file=os.path.basename(dst), channel_layout="mono"))
for name in ("expected.toml", "timeline.tsv", "phrases.tsv", "cases.tsv"):
    if os.path.exists(os.path.join(a.set, name)):
        shutil.copyfile(os.path.join(a.set, name), os.path.join(a.out, name))
print(f"{len(rows)} mono calls in {a.out}")
