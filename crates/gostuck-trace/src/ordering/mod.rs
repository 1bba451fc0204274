//! The second layer: generations (string and stack tables, frequency,
//! clock snapshot) and the partial-order merge of every thread's batches
//! into one stream of [`crate::Event`]s, in the order Go's own reader
//! produces them.

pub(crate) mod access;
pub(crate) mod display;
pub(crate) mod event;
pub(crate) mod generation;
pub(crate) mod order;
pub(crate) mod order_more;
pub(crate) mod order_state;
pub(crate) mod reader;
pub(crate) mod table;
