//! Key and value serdes: KAFKA, JSON, DELIMITED and NONE. Errors are values the runtime can
//! route to the processing log, never panics.
