#!/usr/bin/env python3
"""Convert the NTCIR-14 STC-3 Chinese helpdesk dialogues to callqa chat-log JSONL.

    scripts/stc3_to_jsonl.py ../shared/data/stc3/test_data_cn.json /tmp/stc3.jsonl

Validation only: the data set is for research use and is not shipped. Each dialogue
becomes a conversation; `helpdesk` turns are the agent, each utterance a message,
one minute apart (the data set has no times), all in ISO week 47 of 2026.
"""
import datetime, json, sys

src, dst = sys.argv[1], sys.argv[2]
dialogues = json.load(open(src, encoding="utf-8"))
base = datetime.datetime(2026, 11, 16, 9, 0, 0)
with open(dst, "w", encoding="utf-8") as out:
    for n, d in enumerate(dialogues):
        t = base + datetime.timedelta(minutes=10 * n)
        for turn in d["turns"]:
            role = "agent" if turn["sender"] == "helpdesk" else "customer"
            for u in turn["utterances"]:
                if not u.strip():
                    continue
                t += datetime.timedelta(minutes=1)
                out.write(json.dumps({"conversation_id": f"stc3-{d['id']}", "agent_id": "weibo-helpdesk",
                                      "ts": t.strftime("%Y-%m-%dT%H:%M:%S+08:00"), "role": role, "text": u},
                                     ensure_ascii=False) + "\n")
