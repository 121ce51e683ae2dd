//! Unit tests of the aggregate operators.
