//! Exit codes.

/// No finding at or above `--fail-on`, no error.
pub const OK: u8 = 0;
/// Findings at or above `--fail-on`.
pub const FINDINGS: u8 = 1;
/// Errors in policies, inputs or usage.
pub const ERROR: u8 = 2;
