//! What the two OS tables are made of: a field's name, kind and source,
//! and what reading a source gives.

use core::ops::Range;

/// The buffer one value is read into (the first model name in /proc/cpuinfo
/// is well inside its first 4 KiB).
pub const BUF: usize = 4096;

/// One field of the host description, and where this OS keeps its value.
pub struct Field<Source> {
    pub name: &'static str,
    pub kind: Kind,
    pub source: Source,
}

/// How a field is shown: a number (a JSON number) or text (a JSON string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
}

/// What a source gave: text somewhere in the buffer, or a number.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Got {
    Text(Range<usize>),
    Number(u64),
}

/// Shorthand for the tables: `field("ncpu", Number, source)`.
pub const fn field<Source>(name: &'static str, kind: Kind, source: Source) -> Field<Source> {
    Field { name, kind, source }
}
