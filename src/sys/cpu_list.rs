//! CPU lists in the kernel's notation ("0-3,8,10-11"): parsed from `/sys` (the online CPUs)
//! and written the same way wherever the tool shows a set of CPUs (the affinity mask, the CPUs
//! a mode ran on). Pure text work, kept apart from the facts that use it so that its round trip
//! is tested on its own.

/// Formats CPU numbers compactly: `[0, 1, 2, 5]` as "0-2,5".
pub(crate) fn cpu_list(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// Parses a kernel CPU list such as "0-3,8,10-11".
pub(crate) fn parse_cpu_list(text: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                // No kernel numbers CPUs this far: a list that does is not one.
                if b < a || b >= 1 << 20 {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    Some(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_round_trip() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(cpu_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpu_list(&[1]), "1");
        assert!(parse_cpu_list("x").is_none());
        // A range backwards, or to a CPU no kernel numbers, is not a list (nor a reason to
        // allocate a billion numbers).
        assert!(parse_cpu_list("3-1").is_none());
        assert!(parse_cpu_list("0-4000000000").is_none());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// A list of CPUs, written and read back, is the same CPUs sorted and once each,
            /// and writing is canonical: the order and repeats of the input do not show, and a
            /// written list reads and writes back to itself.
            #[test]
            fn cpu_lists_round_trip_in_canonical_form(
                cpus in proptest::collection::vec(0..300usize, 0..40).prop_shuffle(),
            ) {
                let text = cpu_list(&cpus);
                let mut canonical = cpus.clone();
                canonical.sort_unstable();
                canonical.dedup();
                prop_assert_eq!(parse_cpu_list(&text), Some(canonical.clone()));
                prop_assert_eq!(&cpu_list(&canonical), &text);
                prop_assert_eq!(&cpu_list(&parse_cpu_list(&text).unwrap()), &text);
                // Canonical: ranges only where 2 or more CPUs follow on, and parts apart.
                let bounds: Vec<(usize, usize)> = text
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('-') {
                        Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                        None => (p.parse().unwrap(), p.parse().unwrap()),
                    })
                    .collect();
                prop_assert!(bounds.iter().all(|&(a, b)| a <= b), "{}", text);
                prop_assert!(bounds.windows(2).all(|w| w[1].0 > w[0].1 + 1), "{}", text);
                prop_assert!(text.split(',').all(|p| match p.split_once('-') {
                    Some((a, b)) => a != b,
                    None => true,
                }), "{}", text);
            }
        }
    }
}
