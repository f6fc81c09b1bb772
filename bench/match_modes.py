#!/usr/bin/env python3
"""Precision and recall of exact vs pinyin matching on the sample calls.

    bench/match_modes.py OUT_DIR_OF_A_SCAN_OF_samples/calls/manifest.csv

Re-scores the transcripts stored by that scan (`callqa rescore`, no new
transcription) with the phrase rules of rules/default.toml switched to each match
mode, and compares every (call, rule) outcome with samples/calls/expected.toml.
A positive is "the phrase was said" (a required rule passes, a forbidden rule is
violated); TP/FP/FN count calls where callqa's detection agrees or not.
"""
import json, os, re, subprocess, sys, tempfile, tomllib

out_dir = sys.argv[1]
callqa = os.environ.get("CALLQA", "target/release/callqa")
expected = tomllib.load(open("samples/calls/expected.toml", "rb"))
PHRASE_RULES = {"call.greeting": "required", "call.staff-id": "required", "call.closing": "required",
                "forbidden.dont-know": "forbidden", "forbidden.no-way": "forbidden", "forbidden.not-my-job": "forbidden"}
base = open("rules/default.toml", encoding="utf-8").read()

def variant(mode, distance):
    """rules/default.toml with every phrase rule set to one match mode."""
    blocks = base.split("[[rule]]")
    out = [blocks[0]]
    for b in blocks[1:]:
        m = re.search(r'^id = "([^"]+)"', b, re.M)
        b = re.sub(r'^(match|max-distance) = .*\n', "", b, flags=re.M)
        if m and m.group(1) in PHRASE_RULES and mode == "pinyin":
            b = b.replace('\nkind = ', f'\nmatch = "pinyin"\nmax-distance = {distance}\nkind = ', 1)
        out.append(b)
    return "[[rule]]".join(out)

rows = []
for mode, dist in [("exact", 0), ("pinyin", 0), ("pinyin", 1), ("pinyin", 2)]:
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules.toml")
        open(rules, "w", encoding="utf-8").write(variant(mode, dist))
        res_dir = os.path.join(tmp, "out")
        subprocess.run([callqa, "rescore", "--rules", rules, "--db", os.path.join(out_dir, "callqa.db"),
                        "--out", res_dir], check=True, capture_output=True)
        results = {r["interaction_id"]: r for r in map(json.loads, open(os.path.join(res_dir, "results.jsonl")))}
    for kind in ("required", "forbidden"):
        tp = fp = fn = 0
        for call, outcomes in expected.items():
            r = results[call]
            violated = {v["rule_id"] for v in r["violations"]}
            for rule, want in outcomes.items():
                if PHRASE_RULES.get(rule) != kind:
                    continue
                said = (want == "pass") if kind == "required" else (want == "violated")
                found = (rule not in violated) if kind == "required" else (rule in violated)
                tp += said and found
                fp += found and not said
                fn += said and not found
        p = tp / (tp + fp) if tp + fp else float("nan")
        rcl = tp / (tp + fn) if tp + fn else float("nan")
        label = mode if mode == "exact" else f"pinyin, max-distance {dist}"
        rows.append((label, kind, tp, fp, fn, p, rcl))

print("| match mode | rules | TP | FP | FN | precision | recall |")
print("|---|---|---|---|---|---|---|")
for label, kind, tp, fp, fn, p, r in rows:
    print(f"| {label} | {kind} | {tp} | {fp} | {fn} | {p:.2f} | {r:.2f} |")
