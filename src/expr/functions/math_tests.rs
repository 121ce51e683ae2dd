//! The math functions' cases: rounding and its result types, the DOUBLE functions at their
//! extremes, GEO_DISTANCE and RANDOM, with NULLs and edge values.

use super::super::test_support::*;
use super::*;

fn d(text: &str) -> Value {
    Value::Decimal(text.parse().unwrap())
}

#[test]
fn round_and_trunc_widen_int_to_bigint() {
    for name in ["ROUND", "TRUNC"] {
        assert_eq!(call(name, SqlType::Bigint, &[i(-7)]), Ok(Value::Bigint(-7)));
        assert_eq!(
            call(name, SqlType::Bigint, &[i(i32::MIN)]),
            Ok(Value::Bigint(i64::from(i32::MIN)))
        );
        let max = (Value::Bigint(i64::MAX), SqlType::Bigint);
        assert_eq!(
            call(name, SqlType::Bigint, &[max]),
            Ok(Value::Bigint(i64::MAX))
        );
        assert_eq!(
            call(name, SqlType::Bigint, &[null(SqlType::Int)]),
            Ok(Value::Null)
        );
    }
}

#[test]
fn ceil_and_floor_keep_the_decimal_type() {
    let dec = SqlType::Decimal {
        precision: 3,
        scale: 1,
    };
    let x = (d("9.5"), dec.clone());
    assert_eq!(
        call("CEIL", dec.clone(), std::slice::from_ref(&x)),
        Ok(d("10.0"))
    );
    assert_eq!(
        call("FLOOR", dec.clone(), std::slice::from_ref(&x)),
        Ok(d("9.0"))
    );
    let y = (d("-0.5"), dec.clone());
    assert_eq!(
        call("CEIL", dec.clone(), std::slice::from_ref(&y)),
        Ok(d("0.0"))
    );
    assert_eq!(
        call("FLOOR", dec.clone(), std::slice::from_ref(&y)),
        Ok(d("-1.0"))
    );
    assert_eq!(call("CEIL", dec.clone(), &[null(dec)]), Ok(Value::Null));
}

#[test]
fn rounding_family() {
    let dec = |p, s| SqlType::Decimal {
        precision: p,
        scale: s,
    };
    let x = (d("-12.35"), dec(4, 2));
    assert_eq!(
        call("CEIL", dec(4, 2), std::slice::from_ref(&x)),
        Ok(d("-12.00"))
    );
    assert_eq!(
        call("FLOOR", dec(4, 2), std::slice::from_ref(&x)),
        Ok(d("-13.00"))
    );
    assert_eq!(
        call("TRUNC", dec(2, 0), std::slice::from_ref(&x)),
        Ok(d("-12"))
    );
    assert_eq!(
        call("TRUNC", dec(4, 2), &[x.clone(), i(1)]),
        Ok(d("-12.30"))
    );
    assert_eq!(call("ROUND", dec(4, 2), &[x, i(1)]), Ok(d("-12.30")));
    assert_eq!(
        call("ROUND", dec(4, 2), &[(d("12.35"), dec(4, 2)), i(1)]),
        Ok(d("12.40"))
    );
    let sinh = (Value::Double(-548.316_123_273_246_5), SqlType::Double);
    assert_eq!(
        call("ROUND", SqlType::Double, &[sinh, i(13)]),
        Ok(Value::Double(-548.316_123_273_246_5))
    );
    let y = (Value::Double(-1.789), SqlType::Double);
    assert_eq!(
        call("TRUNC", SqlType::Bigint, std::slice::from_ref(&y)),
        Ok(Value::Bigint(-1))
    );
    assert_eq!(
        call("TRUNC", SqlType::Double, &[y.clone(), i(2)]),
        Ok(Value::Double(-1.78))
    );
    assert_eq!(
        call("CEIL", SqlType::Double, std::slice::from_ref(&y)),
        Ok(Value::Double(-1.0))
    );
    assert_eq!(call("SIGN", SqlType::Int, &[y]), Ok(Value::Int(-1)));
    assert_eq!(
        call(
            "ROUND",
            SqlType::Bigint,
            &[(Value::Double(2.5), SqlType::Double)]
        ),
        Ok(Value::Bigint(3))
    );
}

#[test]
fn doubles_extremes_and_random() {
    let x = |v: f64| (Value::Double(v), SqlType::Double);
    assert_eq!(
        call("SQRT", SqlType::Double, &[x(9.0)]),
        Ok(Value::Double(3.0))
    );
    assert_eq!(
        call("POWER", SqlType::Double, &[x(2.0), x(10.0)]),
        Ok(Value::Double(1024.0))
    );
    assert_eq!(
        call("LOG", SqlType::Double, &[x(2.0), x(8.0)]),
        Ok(Value::Double(3.0))
    );
    assert_eq!(
        call("LEAST", SqlType::Int, &[i(3), null(SqlType::Int), i(1)]),
        Ok(Value::Int(1))
    );
    let Ok(Value::Double(r)) = call("RANDOM", SqlType::Double, &[]) else {
        panic!("RANDOM is a double");
    };
    assert!((0.0..1.0).contains(&r));
}

#[test]
fn geo_distance_in_km_and_miles() {
    let x = |v: f64| (Value::Double(v), SqlType::Double);
    let Ok(Value::Double(km)) = call(
        "GEO_DISTANCE",
        SqlType::Double,
        &[x(37.4439), x(-122.1663), x(51.5257), x(-0.1122)],
    ) else {
        panic!("a distance");
    };
    assert!((km - 8634.6528).abs() < 0.01, "{km}");
    let Ok(Value::Double(mi)) = call(
        "GEO_DISTANCE",
        SqlType::Double,
        &[x(37.4439), x(-122.1663), x(51.5257), x(-0.1122), s("MI")],
    ) else {
        panic!("a distance");
    };
    assert!((mi - 5365.6).abs() < 0.1, "{mi}");
    assert!(
        call(
            "GEO_DISTANCE",
            SqlType::Double,
            &[x(91.0), x(0.0), x(0.0), x(0.0)]
        )
        .is_err()
    );
}

#[test]
fn random_is_uniform_in_the_unit_interval_and_unpredictable() {
    let random = || match call("RANDOM", SqlType::Double, &[]) {
        Ok(Value::Double(d)) => d,
        other => panic!("RANDOM gave {other:?}"),
    };
    let values: Vec<f64> = (0..10_000).map(|_| random()).collect();
    assert!(values.iter().all(|d| (0.0..1.0).contains(d)));
    let distinct: std::collections::HashSet<u64> = values.iter().map(|d| d.to_bits()).collect();
    assert_eq!(distinct.len(), values.len());
    let below_half = values.iter().filter(|d| **d < 0.5).count();
    assert!(
        (4_500..5_500).contains(&below_half),
        "{below_half} of 10000 below 0.5"
    );
    // No value gives the next one away, as a clock-seeded splitmix64 sequence would: try
    // each of the 2^11 completions of a value's 53 bits.
    for pair in values[..50].windows(2) {
        let high = (pair[0] * (1u64 << 53) as f64) as u64;
        let next_high = (pair[1] * (1u64 << 53) as f64) as u64;
        assert!(
            (0..1u64 << 11).all(|low| splitmix64_successor(high << 11 | low) >> 11 != next_high),
            "{} follows {} as in a splitmix64 sequence",
            pair[1],
            pair[0]
        );
    }
}

#[test]
fn random_differs_across_threads_started_at_once() {
    let threads = 8;
    let start = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                (0..100)
                    .map(|_| match call("RANDOM", SqlType::Double, &[]) {
                        Ok(Value::Double(d)) => d.to_bits(),
                        other => panic!("RANDOM gave {other:?}"),
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let distinct: std::collections::HashSet<&u64> = all.iter().collect();
    assert_eq!(distinct.len(), threads * 100);
}
