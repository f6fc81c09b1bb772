#!/usr/bin/env python3
"""Writes the binary members of the bad-input corpus (tests/data/bad_inputs/):
files that cannot be written by hand in a text editor. Deterministic: running it
again gives byte-identical files. The text members are committed as they are."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "bad_inputs")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def chat_csv_gbk():
    rows = ["conversation_id,agent_id,ts,role,text"]
    for n in range(3):
        rows.append(f"g-{n},A07,2026-11-16T09:0{n}:00+08:00,customer,你好，我的订单还没到")
        rows.append(f"g-{n},A07,2026-11-16T09:0{n}:30+08:00,agent,您好，这个我不知道")
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def garbage(n):
    # A fixed byte pattern that is neither UTF-8 nor GB18030 (0xFF never starts a
    # GB18030 character).
    return bytes([0xFF, 0xFE, 0x81, 0x00] * n)


def mono_wav(seconds=1.0, rate=8000):
    samples = int(seconds * rate)
    body = b"".join(struct.pack("<h", 0) for _ in range(samples))
    header = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(body)) + body


write("gbk_chat.csv", chat_csv_gbk())
write("garbage.jsonl", garbage(64))
os.makedirs(os.path.join(HERE, "rejected_row"), exist_ok=True)
write("rejected_row/late.wav", mono_wav())
