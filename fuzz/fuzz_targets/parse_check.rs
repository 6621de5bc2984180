//! The policy parser, checker and compiler over arbitrary text; when the
//! text parses, the formatter's output must parse too and format to itself.
//! (The standard library is left out so each run is fast; `use std...`
//! lines are then unknown packages, which the checker reports like any
//! other error. `tests/hostile/policies/` covers the checker with it.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_lang::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = ward_lang::parse(FileId(0), text) else {
        return;
    };
    let checked = ward_lang::check(std::slice::from_ref(&m));
    if !checked.has_errors() {
        let _ = ward_engine::compile::compile(&checked.program);
    }
    let once = ward_lang::fmt::format(text, &m);
    let again = ward_lang::parse(FileId(0), &once)
        .unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{once}"));
    let twice = ward_lang::fmt::format(&once, &again);
    assert_eq!(once, twice, "formatting is not idempotent");
});
