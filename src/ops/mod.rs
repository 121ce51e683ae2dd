//! Synchronous processors, one per file (source, filter, project, flat-map, repartition,
//! aggregate, joins, suppress, sink), and the builder that turns physical steps into a graph of
//! them. Processors never await and never do I/O.
//!
//! Lands with the engine issue; empty until then.
