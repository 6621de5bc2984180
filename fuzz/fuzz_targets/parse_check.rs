//! The policy parser, checker and compiler over arbitrary text, with the
//! standard library loaded; when the text parses, the formatter's output
//! must parse too and format to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_engine::EngineBuilder;
use ward_lang::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EngineBuilder::std_only().policy("fuzz.ward", text).build();
    if let Ok(m) = ward_lang::parse(FileId(0), text) {
        let once = ward_lang::fmt::format(text, &m);
        let again = ward_lang::parse(FileId(0), &once)
            .unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{once}"));
        let twice = ward_lang::fmt::format(&once, &again);
        assert_eq!(once, twice, "formatting is not idempotent");
    }
});
