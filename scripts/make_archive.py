#!/usr/bin/env python3
"""Generate a chat archive the size of a real centre's quarter, to see how the report
holds up: N interactions (default 200,000) over 400 agents in 30 teams, spread over
about three months (Asia/Shanghai, +08:00), one JSONL file per day in the chat format
of samples/chats (conversation_id, agent_id, ts, role, text), and a roster.csv
(agent_id,name,team) with a few agents deliberately left out.

Agents differ: each has its own habits (skipping the greeting or the closing, no
apology, slow first replies, forbidden phrases, reading a phone number out in full),
teams share part of them, and some agents get worse or better month by month, so the
report has worst agents, weak dimensions, weak teams and alerts to show.

    python3 scripts/make_archive.py --out /tmp/archive [--interactions 200000] [--seed 7]

Only the standard library; the same seed gives the same archive.
"""

import argparse
import csv
import json
import os
import random
from datetime import datetime, timedelta, timezone

AGENTS = 400
TEAMS = 30
DAYS = 91
START = datetime(2026, 9, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
UNROSTERED = {"A097", "A213", "A288", "A351", "A399"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建国红梅飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣慧颖琳晶婷雪倩"
NUMERALS = "一二三四五六七八九十"

ISSUES = [
    ("我的订单一直没发货", "我帮您查一下物流，仓库今天下午会安排发出"),
    ("账单上扣了两次钱", "重复扣款会在三个工作日内原路退回"),
    ("密码忘了登不上去", "您可以在登录页点击忘记密码，用手机验证码重置"),
    ("快递显示签收了但我没收到", "我这边给您登记了，快递员会在两小时内联系您"),
    ("优惠券用不了", "这张券需要满一百元才能使用，我给您补发一张无门槛的"),
    ("想改一下收货地址", "订单还没出库，地址已经帮您改好了"),
    ("会员自动续费了我想退", "已经为您关闭自动续费，本期费用会退回到原账户"),
    ("发票怎么开", "您在订单详情页点申请发票，填写抬头就可以了"),
]
CUSTOMER_FOLLOWUPS = ["好的", "嗯，那大概什么时候能好", "行吧", "谢谢", "明白了"]
GREETINGS = ["您好，很高兴为您服务", "您好，请问有什么可以帮您", "你好，欢迎咨询"]
NO_GREETING = ["请问什么事", "说吧", "什么问题"]
APOLOGIES = ["不好意思让您久等了", "非常抱歉给您带来不便", "理解您的心情"]
CLOSINGS = ["请问还有什么可以帮您？", "感谢您的咨询，祝您生活愉快"]
NO_CLOSING = ["好了", "嗯"]
FORBIDDEN = [
    "这个我也不知道",
    "系统就是这样，我们这边没办法",
    "这个不归我管，您找财务",
    "您自己看一下页面吧，我已经说过了",
    "这个我不清楚，您等等吧",
]
RUDE = ["你烦不烦啊", "爱投诉就投诉"]
THREATS = ["再这样我就投诉了", "我要打12315"]


def agent_id(i):
    return f"A{i + 1:03d}"


def team_of(i):
    return i * TEAMS // AGENTS


def team_name(t):
    n = t + 1
    if n <= 10:
        zh = NUMERALS[n - 1]
    elif n < 20:
        zh = "十" + NUMERALS[n - 11]
    elif n % 10 == 0:
        zh = NUMERALS[n // 10 - 1] + "十"
    else:
        zh = NUMERALS[n // 10 - 1] + "十" + NUMERALS[n % 10 - 1]
    return f"{zh}组 Team {n:02d}"


def profiles(rng):
    """Per agent: how likely each bad habit is, and how it drifts per month."""
    team_skill = [rng.gauss(0, 0.6) for _ in range(TEAMS)]
    out = []
    for i in range(AGENTS):
        # Lower is better; a long tail of weak agents.
        base = max(0.0, rng.gammavariate(1.4, 0.5) + team_skill[team_of(i)] * 0.4)
        habit = lambda: min(0.95, base * rng.uniform(0.0, 0.35) * rng.choice([0.2, 1, 1, 2]))
        p = {
            "no_greeting": habit(),
            "no_closing": habit(),
            "no_apology": habit(),
            "slow": habit(),
            "forbidden": habit(),
            "rude": min(0.2, base * rng.uniform(0, 0.01)),
            "privacy": min(0.3, base * rng.uniform(0, 0.03)),
            # Per month: >0 worse, <0 better.
            "drift": rng.choice([0.0, 0.0, 0.0, 0.15, -0.1, 0.3]),
        }
        out.append(p)
    # A few agents are clearly failing, two months running (alerts).
    for i in rng.sample(range(AGENTS), 8):
        out[i].update(no_greeting=0.6, no_closing=0.6, no_apology=0.7, slow=0.6, forbidden=0.55, drift=0.2)
    return out


def fmt(t):
    return t.isoformat(timespec="seconds")


def conversation(rng, cid, agent, p, month, start):
    grow = max(0.0, 1.0 + p["drift"] * month)
    hit = lambda key: rng.random() < min(0.97, p[key] * grow)
    issue, answer = rng.choice(ISSUES)
    msgs = []
    t = start

    def say(role, text, gap):
        nonlocal t
        t = t + timedelta(seconds=gap)
        msgs.append({"conversation_id": cid, "agent_id": agent, "ts": fmt(t), "role": role, "text": text})

    say("customer", "你好，" + issue, 0)
    first = rng.randint(70, 240) if hit("slow") else rng.randint(3, 45)
    say("agent", rng.choice(NO_GREETING if hit("no_greeting") else GREETINGS), first)
    say("customer", rng.choice(["是这样的，", "就是"]) + issue + (
        "，" + rng.choice(THREATS) if rng.random() < 0.05 else ""), rng.randint(5, 40))
    reply = answer
    if not hit("no_apology"):
        reply = rng.choice(APOLOGIES) + "，" + reply
    if hit("forbidden"):
        reply = rng.choice(FORBIDDEN) + "。" + reply
    if hit("rude"):
        reply = rng.choice(RUDE) + "！" + reply
    if hit("privacy"):
        reply += "，您的手机号是1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9)) + "对吗"
    say("agent", reply, rng.randint(200, 260) if hit("slow") else rng.randint(8, 60))
    say("customer", rng.choice(CUSTOMER_FOLLOWUPS), rng.randint(5, 30))
    if hit("no_closing"):
        say("agent", NO_CLOSING[0], rng.randint(5, 30))
        say("agent", NO_CLOSING[1], rng.randint(2, 10))
    else:
        say("agent", rng.choice(CLOSINGS), rng.randint(5, 30))
    return msgs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory to write (created)")
    ap.add_argument("--interactions", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)

    names = set()
    roster = []
    for i in range(AGENTS):
        while True:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            if name not in names:
                names.add(name)
                break
        if agent_id(i) not in UNROSTERED:
            roster.append((agent_id(i), name, team_name(team_of(i))))
    with open(os.path.join(args.out, "roster.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["agent_id", "name", "team"])
        w.writerows(roster)

    prof = profiles(rng)
    # Busier and quieter agents.
    load = [rng.uniform(0.5, 1.5) for _ in range(AGENTS)]
    total_load = sum(load)
    per_day = [args.interactions // DAYS + (1 if d < args.interactions % DAYS else 0) for d in range(DAYS)]
    n = 0
    for d in range(DAYS):
        day = START + timedelta(days=d)
        month = (day.year - START.year) * 12 + day.month - START.month
        path = os.path.join(args.out, f"chats-{day:%Y-%m-%d}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(per_day[d]):
                r = rng.random() * total_load
                i = 0
                while i < AGENTS - 1 and r >= load[i]:
                    r -= load[i]
                    i += 1
                n += 1
                start = day + timedelta(seconds=rng.randint(0, 12 * 3600))
                for m in conversation(rng, f"c-{n:07d}", agent_id(i), prof[i], month, start):
                    f.write(json.dumps(m, ensure_ascii=False))
                    f.write("\n")
    print(f"{n} interactions over {AGENTS} agents in {TEAMS} teams, {DAYS} days -> {args.out}")


if __name__ == "__main__":
    main()
