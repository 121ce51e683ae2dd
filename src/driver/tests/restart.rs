//! Restarts: tasks and stores rebuilt from changelog topics give the outputs of an
//! uninterrupted run.

use super::*;
use crate::driver::*;

#[test]
fn restart_restores_from_changelogs_and_gives_the_same_outputs() {
    let inputs: Vec<(&str, Option<&str>, i64)> = vec![
        ("a", Some("x"), 1),
        ("b", Some("x"), 2),
        ("a", Some("x"), 3),
        ("a", None, 4),
        ("b", Some("x"), 5),
        ("a", Some("x"), 6),
        ("b", Some("x"), 7),
    ];
    let mut straight = Driver::new();
    straight.register("q", counting()).unwrap();
    for &(k, v, ts) in &inputs {
        pipe(&mut straight, k, v, ts);
    }
    let mut restarted = Driver::new();
    restarted.register("q", counting()).unwrap();
    for (i, &(k, v, ts)) in inputs.iter().enumerate() {
        if i == 3 || i == 5 {
            restarted.restart().unwrap();
        }
        pipe(&mut restarted, k, v, ts);
    }
    assert_eq!(outputs(&restarted, "out"), outputs(&straight, "out"));
    // The second restart replays the five writes made before it (4 puts, 1 delete).
    assert_eq!(restarted.restored(), [("counts".to_owned(), 5)]);
}

#[test]
fn windows_close_and_stay_closed_across_a_restart() {
    let mut driver = Driver::new();
    driver.register("q", windowed()).unwrap();
    pipe(&mut driver, "k", Some("v"), 1);
    pipe(&mut driver, "k", Some("v"), 5);
    pipe(&mut driver, "k", Some("v"), 12);
    driver.restart().unwrap();
    pipe(&mut driver, "k", Some("v"), 3); // window [0, 10) closed at stream time 12
    pipe(&mut driver, "k", Some("v"), 15);
    assert_eq!(
        outputs(&driver, "out"),
        [
            out("k@0", Some("1"), 1),
            out("k@0", Some("2"), 5),
            out("k@10", Some("1"), 12),
            out("k@10", Some("2"), 15),
        ]
    );
    assert_eq!(driver.late_dropped(), 1);
}

mod property {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;

    type Input = (u8, Option<bool>, i64, bool);

    fn run(
        factory: fn() -> Arc<Factory>,
        partitions: i32,
        inputs: &[Input],
        restarts: bool,
    ) -> Vec<Out> {
        let mut driver = Driver::new();
        driver.create_topic("in", partitions);
        driver.register("q", factory()).unwrap();
        for &(key, value, ts, restart) in inputs {
            if restarts && restart {
                driver.restart().unwrap();
            }
            let value = value.map(|drop| if drop { "drop" } else { "x" });
            pipe(&mut driver, &format!("k{key}"), value, ts);
        }
        outputs(&driver, "out")
    }

    proptest! {
        #[test]
        fn restarting_anywhere_changes_no_output(
            inputs in proptest::collection::vec(
                (0u8..3, proptest::option::of(any::<bool>()), 0i64..60, any::<bool>()),
                0..25,
            ),
            partitions in 1i32..3,
        ) {
            for factory in [counting as fn() -> Arc<Factory>, windowed, repartitioned] {
                prop_assert_eq!(
                    run(factory, partitions, &inputs, true),
                    run(factory, partitions, &inputs, false)
                );
            }
        }
    }
}
