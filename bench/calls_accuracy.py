#!/usr/bin/env python3
"""Accuracy of callqa on the development call set (issue 12).

Runs `callqa scan SET/manifest.csv --rules bench/dev_rules.toml --out OUT
--no-redact` (or reads an existing OUT/results.jsonl with --results) and
compares it with what scripts/make_dev_calls.py wrote beside the calls
(expected.toml, timeline.tsv, phrases.tsv):

- verdicts: precision / recall / F1 over (call, violated rule) pairs, overall
  and per rule kind (required / forbidden / metric) and per rule; calls with
  every verdict right;
- conversation CER: all turns of a call in time order, concatenated, against
  the scripted utterances in time order; per-speaker CER: the agent's turns
  against the agent's lines, the customer's against the customer's (stereo
  calls only, where roles come from the channels). Both sides are normalized
  the same way: NFKC, lower case, punctuation and whitespace removed, the
  numerals 零一二三四五六七八九幺两 mapped to digits (--fold-traditional also
  maps a small built-in table of Traditional characters to Simplified);
- phrase-time error: |start_s of a rule hit - the scripted onset of that
  phrase| (hits: the evidence of every violation, and for required rules that
  passed the rule's phrases found in the turns, timed by the turn's spans;
  scripted onsets: exact character times from the synthesizer, phrases.tsv,
  or linear interpolation in the utterance if that file is missing); median,
  90th percentile and share within 0.5 s;
- mono role accuracy: the share of scripted speech time on mono calls whose
  covering turn in the result has the true speaker ("unknown" and no turn
  count as wrong).

Standard library only. Usage:

    python3 bench/calls_accuracy.py [--set /work/devcalls] [--out /tmp/calls_accuracy]
        [--results OUT/results.jsonl] [--callqa target/release/callqa] [--model M]
        [--compare] [--json] [--fold-traditional]
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from rule_literals import literal_spans  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

NUMERALS = str.maketrans("零〇一二三四五六七八九幺两兩", "00123456789122")
# A small Traditional -> Simplified table (characters of the dev set's
# vocabulary and common recognizer output), used with --fold-traditional.
T2S = dict(zip(
    "這們麼時問號謝來電還幫沒辦歸關為務歡話網寬帶處理單訂遞達預計際號碼轉個過聽說對會費點嗎啊讓請許總後從開戶"
    "見氣業廳門負責營屬應該換錢給錯別聯繫係實際發現現實題幾親愛驗證碼設置密碼賬戶續員號線維修區條東優惠"
    "套餐選擇須記錄檢查確認無聲與於專屬經濟紀錄級傳統壞師傅預約約東單元樓層樂兩萬億個體當隊們鐘頭長",
    "这们么时问号谢来电还帮没办归关为务欢话网宽带处理单订递达预计际号码转个过听说对会费点吗啊让请许总后从开户"
    "见气业厅门负责营属应该换钱给错别联系系实际发现现实题几亲爱验证码设置密码账户续员号线维修区条东优惠"
    "套餐选择须记录检查确认无声与于专属经济纪录级传统坏师傅预约约东单元楼层乐两万亿个体当队们钟头长",
))


def norm(text, fold=False):
    """Text as compared for CER: NFKC, lower case, no punctuation or
    whitespace, numerals as digits."""
    t = unicodedata.normalize("NFKC", text).lower()
    if fold:
        t = "".join(T2S.get(c, c) for c in t)
    t = "".join(c for c in t if not (unicodedata.category(c)[0] in "PSZC"))
    return t.translate(NUMERALS)


def match_norm(text):
    """Text as a literal rule sees it (no numeral mapping), with the index of
    each kept character in the original string."""
    out, idx = [], []
    for i, c in enumerate(text):
        c2 = unicodedata.normalize("NFKC", c).lower()
        if c2 and unicodedata.category(c2[0])[0] not in "PSZC":
            out.append(c2[0])
            idx.append(i)
    return "".join(out), idx


def edit_distance(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
def load_set(d):
    with open(os.path.join(d, "manifest.csv"), newline="", encoding="utf-8") as f:
        manifest = {r["call_id"]: r for r in csv.DictReader(f)}
    with open(os.path.join(d, "expected.toml"), "rb") as f:
        expected = tomllib.load(f)
    timeline = {}
    with open(os.path.join(d, "timeline.tsv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            timeline.setdefault(r["call_id"], []).append(
                dict(speaker=r["speaker"], start=float(r["start_s"]), end=float(r["end_s"]), text=r["text"]))
    phrases = {}
    p = os.path.join(d, "phrases.tsv")
    if os.path.exists(p):
        with open(p, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                phrases.setdefault((r["call_id"], r["rule_id"]), []).append(
                    dict(speaker=r["speaker"], start=float(r["start_s"]), end=float(r["end_s"]), matched=r["matched"], counts=r["counts"]))
    for tl in timeline.values():
        tl.sort(key=lambda u: u["start"])
    return manifest, expected, timeline, phrases


def load_rules(path):
    with open(path, "rb") as f:
        return {r["id"]: r for r in tomllib.load(f)["rule"]}


def scripted_phrases(call, rid, rule, timeline, phrases):
    """Scripted occurrences of a rule's phrases: from phrases.tsv, or found in
    the timeline text with linear interpolation of the character position."""
    if phrases:
        return phrases.get((call, rid), [])
    out = []
    for u in timeline.get(call, []):
        s, idx = match_norm(u["text"])
        for a, b, m in find_rule(rule, s):
            pos = lambda k: u["start"] + (u["end"] - u["start"]) * idx[k] / max(len(u["text"]), 1)
            out.append(dict(speaker=u["speaker"], start=pos(a), end=pos(b - 1), matched=m, counts="?"))
    return out


def find_rule(rule, s):
    """Literal phrase and pattern hits of a rule in normalized text s, except
    contexts removed: [(start, end, matched)]."""
    return [(a, b, s[a:b]) for a, b, excepted in literal_spans(rule, s) if not excepted]


def time_at(turn, char_index):
    """Time of a character of a turn's text, from its spans (byte ranges with
    times), else interpolated over the turn."""
    text = turn["text"]
    byte = len(text[:char_index].encode("utf-8"))
    for sp in turn.get("spans") or []:
        if sp["start_byte"] <= byte < sp["end_byte"]:
            frac = (byte - sp["start_byte"]) / max(sp["end_byte"] - sp["start_byte"], 1)
            return sp["start_s"] + (sp["end_s"] - sp["start_s"]) * frac
    total = max(len(text.encode("utf-8")), 1)
    return turn["start_s"] + (turn["end_s"] - turn["start_s"]) * byte / total


def run_scan(args, manifest_path):
    os.makedirs(args.out, exist_ok=True)
    cmd = [args.callqa, "scan", manifest_path, "--rules", args.rules, "--out", args.out, "--no-redact"]
    if args.model:
        cmd += ["--model", args.model]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    print("running:", " ".join(cmd), file=sys.stderr)
    t0 = time.monotonic()
    rc = subprocess.call(cmd)
    wall = time.monotonic() - t0
    if rc not in (0, 65):
        sys.exit(f"callqa scan failed with exit code {rc}")
    return os.path.join(args.out, "results.jsonl"), wall, rc


def load_results(path):
    res, errors = {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if "interaction_id" in r:
                res[r["interaction_id"]] = r
            else:
                errors.append(r)
    return res, errors


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------
def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(manifest, expected, timeline, phrases, rules, results, fold):
    calls = sorted(expected)
    rule_ids = [r for r in rules if any(r in expected[c] for c in calls)]
    counts = {k: [0, 0, 0] for k in ("all", "required", "forbidden", "metric", "stereo calls", "mono calls")}
    per_rule = {r: [0, 0, 0] for r in rule_ids}
    wrong, fully_right, verdicts = [], 0, {}
    for c in calls:
        res = results.get(c)
        got = {}
        if res is not None:
            violated = {v["rule_id"] for v in res["violations"]}
            got = {r: ("violated" if r in violated else "pass") for r in rule_ids}
        ok_all = res is not None
        for r in rule_ids:
            want = expected[c].get(r)
            if want is None:
                continue
            g = got.get(r, "missing")
            kind = rules[r]["kind"]
            verdicts[(c, r)] = (want, g)
            tp = want == "violated" and g == "violated"
            fp = want != "violated" and g == "violated"
            fn = want == "violated" and g != "violated"
            layout = "mono calls" if manifest[c]["channel_layout"] == "mono" else "stereo calls"
            for k in ("all", kind, layout):
                counts[k][0] += tp
                counts[k][1] += fp
                counts[k][2] += fn
            per_rule[r][0] += tp
            per_rule[r][1] += fp
            per_rule[r][2] += fn
            if g != want:
                ok_all = False
                wrong.append((c, r, want, g))
        fully_right += ok_all

    # CER
    conv = {"all": [0, 0], "stereo": [0, 0], "mono": [0, 0]}
    spk = [0, 0]
    per_call_cer = {}
    for c in calls:
        res = results.get(c)
        if res is None:
            continue
        mono = manifest[c]["channel_layout"] == "mono"
        ref = norm("".join(u["text"] for u in timeline[c]), fold)
        turns = sorted(res["turns"], key=lambda t: (t["start_s"], t["end_s"]))
        hyp = norm("".join(t["text"] for t in turns), fold)
        e = edit_distance(ref, hyp)
        per_call_cer[c] = e / max(len(ref), 1)
        for k in ("all", "mono" if mono else "stereo"):
            conv[k][0] += e
            conv[k][1] += len(ref)
        if not mono:
            for who in ("agent", "customer"):
                r_ = norm("".join(u["text"] for u in timeline[c] if u["speaker"] == who), fold)
                h_ = norm("".join(t["text"] for t in turns if t["speaker"] == who), fold)
                spk[0] += edit_distance(r_, h_)
                spk[1] += len(r_)

    # Phrase-time error
    errs, unmatched = [], []
    by_rule_err = {}
    for c in calls:
        res = results.get(c)
        if res is None:
            continue
        hits = []  # (rule, speaker, start_s, matched)
        for v in res["violations"]:
            for e in list(v.get("evidence", [])) + list(v.get("outside_window", [])):
                hits.append((v["rule_id"], e["speaker"], e["start_s"], e["matched"]))
        passed = set(res.get("passed_rules", []))
        for r in rule_ids:
            if r not in passed or rules[r]["kind"] != "required":
                continue
            want_spk = rules[r].get("speaker", "agent")
            for t in res["turns"]:
                if want_spk != "any" and t["speaker"] not in (want_spk, "unknown"):
                    continue
                s, idx = match_norm(t["text"])
                for a, b, m in find_rule(rules[r], s):
                    hits.append((r, t["speaker"], time_at(t, idx[a]), m))
        for r, who, t0, m in hits:
            if r not in rules or rules[r]["kind"] == "metric":
                continue
            cands = scripted_phrases(c, r, rules[r], timeline, phrases)
            if who in ("agent", "customer"):
                same = [p for p in cands if p["speaker"] == who]
                cands = same or cands
            best = min(cands, key=lambda p: abs(p["start"] - t0)) if cands else None
            if best is None or abs(best["start"] - t0) > 3.0:
                unmatched.append(dict(call=c, rule=r, speaker=who, start_s=round(t0, 2), matched=m))
                continue
            d = abs(best["start"] - t0)
            errs.append(d)
            by_rule_err.setdefault(r, []).append(d)

    # Mono role accuracy
    right = total = uncovered = 0.0
    step = 0.02
    per_call_roles = {}
    for c in calls:
        res = results.get(c)
        if res is None or manifest[c]["channel_layout"] != "mono":
            continue
        turns = res["turns"]
        call_right = call_total = 0.0
        for u in timeline[c]:
            t = u["start"] + step / 2
            while t < u["end"]:
                cover = [x for x in turns if x["start_s"] <= t < x["end_s"]]
                call_total += step
                if not cover:
                    uncovered += step
                else:
                    x = max(cover, key=lambda x: x["start_s"])
                    call_right += step * (x["speaker"] == u["speaker"])
                t += step
        right += call_right
        total += call_total
        per_call_roles[c] = dict(roles=res.get("roles"), accuracy=call_right / call_total if call_total else None)

    out = {
        "calls": len(calls),
        "calls_scored": sum(c in results for c in calls),
        "calls_fully_right": fully_right,
        "verdicts": {k: dict(zip(("tp", "fp", "fn"), v), **dict(zip(("precision", "recall", "f1"), prf(*v)))) for k, v in counts.items()},
        "per_rule": {r: dict(zip(("tp", "fp", "fn"), v), **dict(zip(("precision", "recall", "f1"), prf(*v)))) for r, v in per_rule.items()},
        "conversation_cer": conv["all"][0] / max(conv["all"][1], 1),
        "conversation_cer_stereo": conv["stereo"][0] / max(conv["stereo"][1], 1),
        "conversation_cer_mono": conv["mono"][0] / max(conv["mono"][1], 1) if conv["mono"][1] else None,
        "per_speaker_cer_stereo": spk[0] / max(spk[1], 1),
        "per_call_conversation_cer": per_call_cer,
        "phrase_time_error_s": {
            "n": len(errs), "unmatched": len(unmatched), "unmatched_hits": unmatched,
            "median": statistics.median(errs) if errs else None,
            "p90": percentile(errs, 0.9),
            "within_0_5s": sum(e <= 0.5 for e in errs) / len(errs) if errs else None,
            "per_rule_median": {r: statistics.median(v) for r, v in sorted(by_rule_err.items())},
        },
        "mono_role_accuracy": right / total if total else None,
        "mono_role_accuracy_per_call": per_call_roles,
        "mono_speech_uncovered": uncovered / total if total else None,
        "wrong": [dict(call=c, rule=r, expected=w, got=g) for c, r, w, g in wrong],
    }
    return out


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------
def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def print_table(s, extra):
    print(f"calls: {s['calls']} ({s['calls_scored']} scored), fully right: {s['calls_fully_right']}" + extra)
    print()
    print(f"{'verdicts':<24} {'TP':>4} {'FP':>4} {'FN':>4} {'prec':>6} {'recall':>6} {'F1':>6}")
    rows = [(k, s["verdicts"][k]) for k in ("all", "required", "forbidden", "metric", "stereo calls", "mono calls")]
    rows += [("  " + r, v) for r, v in s["per_rule"].items()]
    for name, v in rows:
        print(f"{name:<24} {v['tp']:>4} {v['fp']:>4} {v['fn']:>4} {v['precision']:>6.2f} {v['recall']:>6.2f} {v['f1']:>6.2f}")
    print()
    print(f"conversation CER       all {fmt(s['conversation_cer'])}  stereo {fmt(s['conversation_cer_stereo'])}  mono {fmt(s['conversation_cer_mono'])}")
    print(f"per-speaker CER        stereo {fmt(s['per_speaker_cer_stereo'])}  (gap to conversation CER on stereo: {fmt(s['conversation_cer_stereo'] - s['per_speaker_cer_stereo'])})")
    pt = s["phrase_time_error_s"]
    print(f"phrase-time error (s)  median {fmt(pt['median'], 2)}  p90 {fmt(pt['p90'], 2)}  within 0.5 s {fmt(pt['within_0_5s'], 2)}  (n {pt['n']}, unmatched {pt['unmatched']})")
    if pt["per_rule_median"]:
        print("  median per rule: " + ", ".join(f"{r} {v:.2f}" for r, v in pt["per_rule_median"].items()))
    print(f"mono role accuracy     {fmt(s['mono_role_accuracy'])}  (speech time with no turn: {fmt(s['mono_speech_uncovered'])})")
    if s["mono_role_accuracy_per_call"]:
        print("  per call: " + ", ".join(f"{c} {v['roles']} {fmt(v['accuracy'])}" for c, v in sorted(s["mono_role_accuracy_per_call"].items())))


def print_compare(s, results, expected, timeline, phrases, rules):
    um = s["phrase_time_error_s"]["unmatched_hits"]
    if um:
        print(f"\nrule hits with no scripted phrase of the rule within 3 s ({len(um)}; not in the phrase-time error):")
        for h in um:
            print(f"   {h['call']} {h['rule']} {h['speaker']} {h['start_s']:.2f}s {h['matched']!r}")
    if not s["wrong"]:
        print("\nno wrong verdicts")
        return
    print(f"\nwrong verdicts ({len(s['wrong'])}):")
    for w in s["wrong"]:
        c, r = w["call"], w["rule"]
        res = results.get(c)
        print(f"\n{c} {r}: expected {w['expected']}, callqa {w['got']}")
        if res is None:
            print("   (no result for this call)")
            continue
        v = next((v for v in res["violations"] if v["rule_id"] == r), None)
        if v is not None:
            if "value" in v:
                print(f"   value {v.get('value')} limit {v.get('limit')}")
            if v.get("detail"):
                print(f"   detail: {v['detail']}")
            for e in v.get("evidence", []):
                fz = " fuzzy" if e.get("fuzzy") else ""
                print(f"   evidence {e['speaker']} {e['start_s']:.2f}s {e['matched']!r}{fz} in: {e['text']}")
            for e in v.get("outside_window", []):
                print(f"   outside window {e['speaker']} {e['start_s']:.2f}s {e['matched']!r} in: {e['text']}")
        rule = rules[r]
        if rule["kind"] != "metric":
            for p in scripted_phrases(c, r, rule, timeline, phrases):
                print(f"   script: {p['speaker']} {p['start']:.2f}-{p['end']:.2f}s {p['matched']!r} ({'counts' if p['counts'] == 'yes' else p['counts']})")
                for t in res["turns"]:
                    if t["start_s"] - 1.0 <= p["start"] <= t["end_s"] + 1.0:
                        print(f"      turn {t['speaker']} {t['start_s']:.2f}-{t['end_s']:.2f}: {t['text']}")
            if v is None and rule["kind"] == "required":
                want_spk = rule.get("speaker", "agent")
                for t in res["turns"]:
                    if want_spk != "any" and t["speaker"] not in (want_spk, "unknown"):
                        continue
                    s_, idx = match_norm(t["text"])
                    for a, b, m in find_rule(rule, s_):
                        print(f"   passed on: {t['speaker']} {time_at(t, idx[a]):.2f}s {m!r} in: {t['text']}")
        else:
            print(f"   metrics: {json.dumps(res.get('metrics', {}), ensure_ascii=False)}")
            ivs = sorted((u["start"], u["end"]) for u in timeline[c])
            t, best, at = ivs[0][1], 0.0, None
            for a, b in ivs[1:]:
                if a - t > best:
                    best, at = a - t, (t, a)
                t = max(t, b)
            if at:
                print(f"   script: longest silence {best:.2f}s ({at[0]:.2f}-{at[1]:.2f}s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="/work/devcalls", help="directory written by scripts/make_dev_calls.py")
    ap.add_argument("--rules", default=os.path.join(HERE, "dev_rules.toml"))
    ap.add_argument("--out", default="/tmp/calls_accuracy", help="callqa --out directory")
    ap.add_argument("--results", help="score this results.jsonl instead of running callqa")
    ap.add_argument("--callqa", default=os.path.join(ROOT, "target", "release", "callqa"))
    ap.add_argument("--model", help="callqa --model (default: callqa's default)")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--compare", action="store_true", help="list every wrong verdict with its evidence")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--fold-traditional", action="store_true", help="map a built-in table of Traditional characters to Simplified before CER")
    args = ap.parse_args()

    manifest, expected, timeline, phrases = load_set(args.set)
    rules = load_rules(args.rules)
    wall, rc = None, None
    path = args.results
    if not path:
        path, wall, rc = run_scan(args, os.path.join(args.set, "manifest.csv"))
    results, errors = load_results(path)
    for e in errors:
        print(f"input error: {e.get('source')}: {e.get('error')}", file=sys.stderr)
    s = score(manifest, expected, timeline, phrases, rules, results, args.fold_traditional)
    s["results"] = path
    s["scan_wall_s"] = wall
    audio_s = sum(r.get("duration_s", 0) for r in results.values())
    s["audio_s"] = audio_s
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=1))
    else:
        extra = f"; audio {audio_s:.0f} s" + (f", scan wall {wall:.0f} s" if wall else "")
        print_table(s, extra)
    if args.compare:
        print_compare(s, results, expected, timeline, phrases, rules)


if __name__ == "__main__":
    main()
