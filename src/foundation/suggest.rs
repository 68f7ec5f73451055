//! "Did you mean ...?" hints by edit distance, so a typo costs seconds rather than a search through the docs.

/// The closest candidate to `wrong`, if one is close enough to be a plausible typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&wrong_lower, &candidate.to_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| {
            let longest = wrong.chars().count().max(candidate.chars().count());
            *distance <= (longest / 3).max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `did you mean `x`?` for the closest candidate.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(wrong, candidates).map(|found| format!("did you mean `{found}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("nedds", ["needs", "when", "with"]), Some("needs"));
        assert_eq!(
            closest("restore_tme", ["restore_time", "table"]),
            Some("restore_time")
        );
        assert_eq!(
            closest("describetable", ["DescribeTable"]),
            Some("DescribeTable")
        );
        assert_eq!(closest("zzz", ["needs", "when"]), None);
    }
}
