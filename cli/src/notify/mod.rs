//! Pieces every notification supervisor in the CLI shares (`run`, `trace`, `learn`, `agent`): choosing the
//! answer to a notification and sending it.

pub mod act;
pub mod answer;
pub mod emulate_rules;
pub mod log;
pub mod rules;
