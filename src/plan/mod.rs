//! Query plans: the logical plan of each persistent query and its physical steps, plain serde
//! data with versioned tags. Store and internal-topic names derive from plan paths, never from
//! counters. Plans hold no runtime objects.
//!
//! Lands with the front-end issue; empty until then.
