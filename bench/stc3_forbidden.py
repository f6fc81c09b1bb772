#!/usr/bin/env python3
"""Forbidden-phrase hits on the 390 NTCIR-14 STC-3 helpdesk dialogues, scanned
twice: as typed chats (exact matching) and as transcripts of a recognizer (the
tolerant matching speech gets: sound-alike words, digits heard as words). Lists
every forbidden hit the transcript scan makes beyond the chat scan, with the text
it quotes, so each can be judged by hand.

    python3 bench/stc3_forbidden.py [--stc3 ../shared/data/stc3/test_data_cn.json]
        [--callqa target/release/callqa] [--rules rules/default.toml] [--out /tmp/stc3-forbidden]

Validation only: the data set is for research use and is not shipped; the
project's tests do not use it. Standard library only.
"""
import argparse, json, os, shutil, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--stc3", default="../shared/data/stc3/test_data_cn.json")
ap.add_argument("--callqa", default="target/release/callqa")
ap.add_argument("--rules", default="rules/default.toml")
ap.add_argument("--out", default="/tmp/stc3-forbidden")
a = ap.parse_args()

dialogues = json.load(open(a.stc3, encoding="utf-8"))
shutil.rmtree(a.out, ignore_errors=True)
chats, transcripts = os.path.join(a.out, "chats"), os.path.join(a.out, "transcripts")
os.makedirs(chats)
os.makedirs(transcripts)
with open(os.path.join(chats, "stc3.jsonl"), "w", encoding="utf-8") as out:
    for n, d in enumerate(dialogues):
        segments, t = [], 0.0
        minute = 0
        for turn in d["turns"]:
            role = "agent" if turn["sender"] == "helpdesk" else "customer"
            for u in turn["utterances"]:
                if not u.strip():
                    continue
                minute += 1
                out.write(json.dumps({"conversation_id": f"stc3-{d['id']}", "agent_id": "weibo-helpdesk",
                                      "ts": f"2026-11-16T09:{minute % 60:02d}:00+08:00", "role": role, "text": u},
                                     ensure_ascii=False) + "\n")
                # About four characters a second, as read aloud.
                length = max(1.0, len(u) / 4.0)
                segments.append({"speaker": role, "start_s": round(t, 2), "end_s": round(t + length, 2), "text": u})
                t += length + 0.5
        json.dump({"interaction_id": f"stc3-{d['id']}", "agent_id": "weibo-helpdesk",
                   "started_at": "2026-11-16T09:00:00+08:00", "segments": segments},
                  open(os.path.join(transcripts, f"stc3-{d['id']}.json"), "w", encoding="utf-8"), ensure_ascii=False)


def forbidden_hits(src, name):
    out = os.path.join(a.out, "out-" + name)
    subprocess.run([a.callqa, "scan", src, "--rules", a.rules, "--out", out, "--quiet"],
                   check=False, stdout=subprocess.DEVNULL)
    hits = {}
    for line in open(os.path.join(out, "results.jsonl"), encoding="utf-8"):
        r = json.loads(line)
        for v in r["violations"]:
            if v.get("kind", "forbidden") != "forbidden" and not v["rule_id"].startswith("forbidden"):
                continue
            for e in v.get("evidence", []):
                hits.setdefault((r["interaction_id"], v["rule_id"]), []).append(e)
    return hits


chat = forbidden_hits(chats, "chats")
asr = forbidden_hits(transcripts, "transcripts")
print(f"dialogues {len(dialogues)}; forbidden hits (interaction, rule): chats {len(chat)}, as transcripts {len(asr)}")
extra = sorted(set(asr) - set(chat))
lost = sorted(set(chat) - set(asr))
print(f"only as transcripts: {len(extra)}; only as chats: {len(lost)}")
for k in extra:
    for e in asr[k]:
        print(f"  + {k[0]} {k[1]}: {json.dumps(e, ensure_ascii=False)[:240]}")
for k in lost:
    print(f"  - {k[0]} {k[1]}")
