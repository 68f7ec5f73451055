//! Parameter values as the command line gives them: every type's parsing and checks, datetimes (absolute and
//! relative, resolved against a clock), durations (signed too) and their formatting back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::foundation::datetime::DateTimeSpec;
use runbook::language::raw::ParamTypeName;
use runbook::language::runbook::Constraints;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let constraints = Constraints::default();
    for ty in [
        ParamTypeName::String,
        ParamTypeName::Integer,
        ParamTypeName::Number,
        ParamTypeName::Boolean,
        ParamTypeName::Datetime,
        ParamTypeName::Duration,
        ParamTypeName::List,
        ParamTypeName::Map,
    ] {
        let _ = runbook::language::param_value::parse_cli(ty, &constraints, text);
    }
    if let Some(spec) = DateTimeSpec::parse(text) {
        // A fixed clock, so that a crash reproduces.
        let now = jiff::Timestamp::from_second(1_767_100_000).expect("a valid instant");
        let _ = spec.resolve(now);
    }
    if let Some(parsed) = runbook::foundation::duration::parse(text) {
        let written = runbook::foundation::duration::format(parsed);
        assert_eq!(
            runbook::foundation::duration::parse(&written),
            Some(parsed),
            "{text:?} -> {written}"
        );
        let _ = runbook::foundation::duration::format_short(parsed);
    }
    let _ = runbook::foundation::duration::parse_signed(text);
});
