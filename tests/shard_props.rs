//! Sharding: shards 0..N partition any set of ids (disjoint, union = all), the
//! split is roughly even, and `--shard` values parse or fail with a useful message.

use callqa::batch::shard::{shard_of, ShardError, ShardSpec};
use proptest::prelude::*;
use std::collections::HashMap;

proptest! {
    #[test]
    fn shards_partition_any_id_set(ids in prop::collection::hash_set(".{0,20}", 0..200), count in 1u32..17) {
        let shards: Vec<ShardSpec> = (0..count).map(|index| ShardSpec { index, count }).collect();
        for id in &ids {
            let owners = shards.iter().filter(|s| s.owns(id)).count();
            prop_assert_eq!(owners, 1, "id {:?} owned by {} shards", id, owners);
        }
    }
}

#[test]
fn the_split_is_roughly_even() {
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for i in 0..8000 {
        *counts.entry(shard_of(&format!("call-{i}"), 8)).or_default() += 1;
    }
    assert_eq!(counts.len(), 8);
    for (shard, n) in counts {
        assert!((800..1200).contains(&n), "shard {shard} got {n} of 8000");
    }
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.get(name).cloned()
}

#[test]
fn explicit_and_auto_shards_parse() {
    let none = env(&[]);
    assert_eq!(
        ShardSpec::parse_with_env("3/8", &none),
        Ok(ShardSpec { index: 3, count: 8 })
    );
    assert_eq!(
        ShardSpec::parse_with_env(" 0 / 1 ", &none),
        Ok(ShardSpec::ALL)
    );
    let k8s = env(&[("JOB_COMPLETION_INDEX", "5"), ("SLURM_ARRAY_TASK_ID", "1")]);
    assert_eq!(
        ShardSpec::parse_with_env("auto/8", &k8s),
        Ok(ShardSpec { index: 5, count: 8 }),
        "Kubernetes wins"
    );
    let slurm = env(&[("SLURM_ARRAY_TASK_ID", "4")]);
    assert_eq!(
        ShardSpec::parse_with_env("auto/8", &slurm),
        Ok(ShardSpec { index: 4, count: 8 })
    );
    let slurm_from_one = env(&[("SLURM_ARRAY_TASK_ID", "8"), ("SLURM_ARRAY_TASK_MIN", "1")]);
    assert_eq!(
        ShardSpec::parse_with_env("auto/8", &slurm_from_one),
        Ok(ShardSpec { index: 7, count: 8 })
    );
    assert_eq!(ShardSpec { index: 7, count: 8 }.to_string(), "7/8");
}

#[test]
fn bad_shards_say_what_is_wrong() {
    let none = env(&[]);
    for bad in ["", "3", "3/", "/8", "x/8", "-1/8", "3/8/2", "3/eight"] {
        assert!(
            matches!(
                ShardSpec::parse_with_env(bad, &none),
                Err(ShardError::Syntax { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        ShardSpec::parse_with_env("8/8", &none),
        Err(ShardError::OutOfRange { .. })
    ));
    assert!(matches!(
        ShardSpec::parse_with_env("0/0", &none),
        Err(ShardError::ZeroCount { .. })
    ));
    let msg = ShardSpec::parse_with_env("auto/4", &none)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("JOB_COMPLETION_INDEX") && msg.contains("SLURM_ARRAY_TASK_ID"),
        "{msg}"
    );
    let msg = ShardSpec::parse_with_env("auto/4", env(&[("JOB_COMPLETION_INDEX", "4")]))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("does not exist"), "{msg}");
    let msg = ShardSpec::parse_with_env("auto/4", env(&[("SLURM_ARRAY_TASK_ID", "two")]))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("SLURM_ARRAY_TASK_ID") && msg.contains("two"),
        "{msg}"
    );
    let below = env(&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1")]);
    assert!(ShardSpec::parse_with_env("auto/4", below).is_err());
}
