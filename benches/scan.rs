//! Scanner throughput: Chinese chat text against a ruleset of 500+ phrases.
//! Reports bytes/second of original text for
//! 1. `normalize`: normalization alone;
//! 2. `match_500_phrases`: the scanner, i.e. what finds the evidence: normalize each
//!    turn, run the shared automaton and the regexes, resolve each rule's hits
//!    leftmost-longest, apply except phrases and patterns, near and not-near, speaker
//!    filters and windows, find `after` triggers, quote evidence from the original
//!    text (the ruleset has one rule of each condition kind);
//! 3. `scan_500_phrases`: the scanner plus scoring and building the result record
//!    of each interaction (violations, metrics, passed rules; the turns move into
//!    the result as in the batch path), results dropped inside the timing.
//!
//! Run: `cargo bench --bench scan`.

use callqa::interaction::{Interaction, InteractionKind, Roles, Speaker, Turn};
use callqa::rules::Ruleset;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;

const WORDS: &[&str] = &[
    "您好",
    "请问",
    "订单",
    "快递",
    "退款",
    "发票",
    "账户",
    "密码",
    "登录",
    "会员",
    "优惠券",
    "积分",
    "物流",
    "地址",
    "修改",
    "已经",
    "帮您",
    "查询",
    "一下",
    "稍等",
    "谢谢",
    "不好意思",
    "抱歉",
    "明天",
    "送达",
    "处理",
    "申请",
    "审核",
    "通过",
    "工作日",
    "我们",
    "这边",
    "系统",
    "显示",
    "问题",
    "反馈",
    "售后",
    "客服",
    "电话",
    "短信",
    "验证码",
    "银行卡",
    "支付",
    "成功",
    "失败",
    "還有",
    "什麼",
    "可以",
    "幫您",
    "，",
    "。",
    "？",
    "！",
    " ",
];

/// Deterministic pseudo-random text (xorshift), so every run scans the same bytes.
fn text(len_bytes: usize, seed: &mut u64) -> String {
    let mut s = String::new();
    while s.len() < len_bytes {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        s.push_str(WORDS[(*seed % WORDS.len() as u64) as usize]);
    }
    s
}

fn ruleset(phrases: usize) -> Ruleset {
    let chars: Vec<char> = "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只从现因开些长样".chars().collect();
    let mut rules = String::from("[ruleset]\nname = \"bench\"\nversion = \"1\"\npass-score = 80\n");
    let mut seed = 0x9e3779b97f4a7c15u64;
    let per_rule = 10;
    for r in 0..phrases / per_rule {
        let list: Vec<String> = (0..per_rule)
            .map(|_| {
                (0..3)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        chars[(seed % chars.len() as u64) as usize]
                    })
                    .collect::<String>()
            })
            .map(|p| format!("{p:?}"))
            .collect();
        let kind = if r % 5 == 0 { "required" } else { "forbidden" };
        rules.push_str(&format!(
            "[[rule]]\nid = \"r{r}\"\nkind = \"{kind}\"\nphrases = [{}]\nexcept = [\"不知道您\"]\ndeduct = 1\n",
            list.join(", ")
        ));
    }
    rules.push_str("[[rule]]\nid = \"real\"\nkind = \"forbidden\"\nphrases = [\"不知道\", \"没办法\", \"不归我管\"]\npatterns = ['1[3-9]\\d{9}']\ndeduct = 10\n");
    // One rule of each condition kind. Their phrases are as rare in the text as the
    // other rules' (made of the same characters), so the figure compares with the
    // plain ruleset; `CALLQA_BENCH_DENSE=1` puts them on words of the text instead,
    // so that nearly every turn has a hit and a trigger.
    let dense = std::env::var("CALLQA_BENCH_DENSE").as_deref() == Ok("1");
    let w = |dense_word: &'static str, rare: &'static str| if dense { dense_word } else { rare };
    rules.push_str(&format!(
        concat!(
            "[[rule]]\nid = \"near\"\nkind = \"forbidden\"\nphrases = [\"{}\"]\nnear = {{ phrases = [\"{}\"], within-chars = 4 }}\ndeduct = 1\n",
            "[[rule]]\nid = \"not-near\"\nkind = \"forbidden\"\nphrases = [\"{}\"]\nnot-near = {{ phrases = [\"{}\"], within-chars = 4 }}\nexcept-patterns = ['{}.{{0,4}}{}']\ndeduct = 1\n",
            "[[rule]]\nid = \"answer\"\nkind = \"required\"\nphrases = [\"{}\"]\nafter = {{ speaker = \"customer\", phrases = [\"{}\"], patterns = ['{}.{{0,2}}{}'], within-turns = 2 }}\ndeduct = 1\n",
            "[[rule]]\nid = \"after-forbidden\"\nkind = \"forbidden\"\nphrases = [\"{}\"]\nafter = {{ speaker = \"customer\", phrases = [\"{}\"], within-seconds = 60 }}\ndeduct = 1\n",
            "[[rule]]\nid = \"all-of\"\nkind = \"required\"\nall-of = [[\"{}\"], [\"{}\", \"{}\"]]\nwithin = {{ first-turns = 2 }}\ndeduct = 1\n",
        ),
        w("订单", "军二无"), w("查询", "同么经"),
        w("退款", "法当起"), w("帮您", "与好看"), w("已经", "学进种"), w("退款", "法当起"),
        w("抱歉", "将还分"), w("快递", "此心前"), w("发票", "面又定"), w("地址", "见只从"),
        w("稍等", "现因开"), w("密码", "些长样"),
        w("您好", "自会那"), w("请问", "后能对"), w("谢谢", "着事其"),
    ));
    Ruleset::from_sources(&[(PathBuf::from("bench.toml"), rules)]).expect("bench rules load")
}

fn interactions(total_bytes: usize) -> (Vec<Interaction>, usize) {
    let mut seed = 42u64;
    let mut out = Vec::new();
    let mut bytes = 0;
    while bytes < total_bytes {
        let turns: Vec<Turn> = (0..12)
            .map(|i| {
                let t = text(60, &mut seed);
                bytes += t.len();
                let speaker = if i % 2 == 0 {
                    Speaker::Customer
                } else {
                    Speaker::Agent
                };
                Turn::new(speaker, i as f64 * 20.0, i as f64 * 20.0, t)
            })
            .collect();
        out.push(Interaction {
            id: format!("b{}", out.len()),
            kind: Some(InteractionKind::Chat),
            source: "bench".into(),
            agent_id: "A".into(),
            started_at: None,
            duration_s: 220.0,
            roles: Roles::Known,
            roles_reason: None,
            turns,
            measured: Default::default(),
        });
    }
    (out, bytes)
}

fn bench(c: &mut Criterion) {
    let rules = ruleset(500);
    let phrase_count: usize = rules.rules.iter().map(|r| r.phrases.len()).sum();
    assert!(phrase_count >= 500, "{phrase_count} phrases");
    let (items, bytes) = interactions(4 << 20);
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("normalize", |b| {
        b.iter(|| {
            for i in &items {
                for t in &i.turns {
                    black_box(callqa::text::normalize::normalize_str(&t.text));
                }
            }
        })
    });
    group.bench_function("match_500_phrases", |b| {
        b.iter(|| {
            for i in &items {
                black_box(callqa::scan::matcher::find_hits(i, &rules));
            }
        })
    });
    group.bench_function("scan_500_phrases", |b| {
        b.iter_batched(
            || items.clone(),
            |owned| {
                for i in owned {
                    black_box(callqa::scan::scan_owned(i, &rules));
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
