//! Pieces every notification supervisor in the CLI shares (`run`, `trace`, `learn`, `agent`): choosing the
//! answer to a notification, the handler rules, and logging.

pub mod act;
pub mod answer;
pub mod log;
pub mod rules;

use crate::decode::{Memory, ReadMem, Value};
use seccomp_supervisor::Call;

/// Reads a call's target memory for a log line only (re-validated like every read, see
/// [`Call::peek_for_log`]): decisions never depend on it.
pub struct Peek<'c, 'a>(pub &'c Call<'a>);

impl Memory for Peek<'_, '_> {
    fn with(&mut self, read: &mut dyn FnMut(&mut dyn ReadMem) -> Vec<Value>) -> Option<Vec<Value>> {
        self.0.peek_for_log(|memory| Ok(read(memory))).ok()
    }
}
