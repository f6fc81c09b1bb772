#!/usr/bin/env python3
"""Generate a large synthetic chat log for throughput benchmarks.

    scripts/gen_chats.py --messages 1000000 --out /tmp/chats-1m.jsonl [--seed 1]

Conversations of 6-14 messages, 40 agents over 4 ISO weeks, Chinese customer-service
sentences (some with forbidden phrases, Traditional characters and phone numbers),
written in shuffled blocks so conversations interleave as real exports do.
"""
import argparse, datetime, json, random

CUSTOMER = ["你好，我的快递三天没更新了", "请问退款什么时候到账", "发票抬头写错了，要重开", "我登录不上去了，提示密码错误",
            "会员怎么取消自动续费", "订单能改地址吗", "优惠券用不了", "积分怎么少了", "我不知道怎么绑定银行卡", "再不处理我就投诉",
            "好的谢谢", "在吗？", "手机号是13812345678", "人呢？怎么没人回复", "這個問題什麼時候能解決"]
AGENT = ["您好，很高兴为您服务，请问有什么可以帮您", "非常抱歉给您带来不便，我这边帮您查询一下", "请您提供一下订单号",
         "物流显示明天送达，请您耐心等待", "退款一般三到五个工作日到账", "如果您不清楚密码，可以点击忘记密码重置",
         "我帮您看看有没有办法加急处理", "这个我也不知道", "这个没办法修改", "这不归我管", "请问还有什么可以帮您？",
         "感谢您的咨询，祝您生活愉快", "好的，已经为您登记", "請稍等，正在為您查詢", "您的手机号是13812345678对吗"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    base = datetime.datetime(2026, 11, 2, 8, 0, 0)
    written, conv = 0, 0
    with open(a.out, "w", encoding="utf-8") as f:
        block = []
        while written < a.messages:
            conv += 1
            n = min(rnd.randint(6, 14), a.messages - written)
            agent = f"A{rnd.randint(1, 40):02d}"
            t = base + datetime.timedelta(minutes=rnd.randint(0, 28 * 24 * 60))
            for i in range(n):
                t += datetime.timedelta(seconds=rnd.randint(5, 240))
                role = "customer" if i % 2 == 0 else "agent"
                text = rnd.choice(CUSTOMER if role == "customer" else AGENT)
                block.append({"conversation_id": f"c{conv:08d}", "agent_id": agent,
                              "ts": t.strftime("%Y-%m-%dT%H:%M:%S+08:00"), "role": role, "text": text})
            written += n
            if len(block) > 5000 or written >= a.messages:
                rnd.shuffle(block)
                for m in block:
                    f.write(json.dumps(m, ensure_ascii=False) + "\n")
                block = []

if __name__ == "__main__":
    main()
