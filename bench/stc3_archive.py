#!/usr/bin/env python3
"""A real-text chat archive of N messages for the text path's benchmarks: the
dialogues of a chat log in callqa's format (e.g. the 390 dialogues of STC-3 made by
scripts/stc3_to_jsonl.py) copied over and over with fresh conversation ids, spread
over 400 agents and 91 days, until N messages. The messages of 64 conversations at
a time are shuffled together, so a conversation's messages are spread over the file
as in a real export.

    python3 scripts/stc3_to_jsonl.py ../shared/data/stc3/test_data_cn.json /tmp/stc3.jsonl
    python3 bench/stc3_archive.py /tmp/stc3.jsonl /tmp/stc3-1m.jsonl --messages 1000000

Only the standard library; the same seed gives the same file.
"""

import argparse
import json
import random
from datetime import datetime, timedelta

AGENTS = 400
DAYS = 91
BLOCK = 64


def dialogues(path):
    """The source's conversations, in order of first appearance."""
    convs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                m = json.loads(line)
                convs.setdefault(m["conversation_id"], []).append(m)
    return list(convs.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", help="chat log in callqa's JSONL format")
    ap.add_argument("out", help="archive to write (JSONL)")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    source = dialogues(args.source)
    written = 0
    copy = 0
    with open(args.out, "w", encoding="utf-8") as out:
        while written < args.messages:
            block = []
            for _ in range(BLOCK):
                if written + len(block) >= args.messages:
                    break
                conv = source[copy % len(source)]
                agent = f"A{copy % AGENTS:03d}"
                shift = timedelta(days=copy % DAYS)
                cid = f"c{copy:08d}"
                copy += 1
                for m in conv:
                    ts = datetime.fromisoformat(m["ts"]) + shift
                    block.append(
                        {
                            "conversation_id": cid,
                            "agent_id": agent,
                            "ts": ts.isoformat(),
                            "role": m["role"],
                            "text": m["text"],
                        }
                    )
            rng.shuffle(block)
            for m in block:
                out.write(json.dumps(m, ensure_ascii=False) + "\n")
            written += len(block)
    print(f"{written} messages, {copy} conversations -> {args.out}")


if __name__ == "__main__":
    main()
