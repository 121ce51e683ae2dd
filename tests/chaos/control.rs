//! The control next to weir: copies of the ecosystem client's transactional copy loop
//! (`tests/support/py/copy_loop.py`), killed and restarted like weir's replicas, each with a
//! transactional id of its own slot so that a restart fences its predecessor.

use std::process::{Child, Stdio};

use crate::input::EVENTS;
use crate::support::python;

pub const SINK: &str = "CONTROL_COPY";
const GROUP: &str = "chaos-control";

/// The copy loops of a run, by slot.
pub struct Control {
    bootstrap: String,
    loops: Vec<Option<Child>>,
    pub restarts: u32,
}

impl Control {
    pub fn start(bootstrap: &str, count: usize) -> Control {
        let mut control = Control {
            bootstrap: bootstrap.to_owned(),
            loops: (0..count).map(|_| None).collect(),
            restarts: 0,
        };
        for slot in 0..count {
            control.spawn(slot);
        }
        control
    }

    fn spawn(&mut self, slot: usize) {
        let transactional_id = format!("chaos-control-{slot}");
        let child = python::script(
            "copy_loop.py",
            &[&self.bootstrap, &transactional_id, EVENTS, SINK, GROUP],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the control copy loop");
        self.loops[slot] = Some(child);
    }

    pub fn slots(&self) -> usize {
        self.loops.len()
    }

    /// SIGKILL of the loop in `slot`.
    pub fn kill(&mut self, slot: usize) {
        if let Some(mut child) = self.loops[slot].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the loop in `slot` again if it is not running.
    pub fn restart(&mut self, slot: usize) {
        if self.loops[slot].is_none() {
            self.spawn(slot);
            self.restarts += 1;
        }
    }

    /// Starts again every loop that exited by itself (a fatal client error ends it).
    pub fn revive(&mut self) {
        for slot in 0..self.loops.len() {
            let exited = self.loops[slot]
                .as_mut()
                .is_some_and(|child| child.try_wait().ok().flatten().is_some());
            if exited {
                self.loops[slot] = None;
                self.restart(slot);
            }
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        for slot in 0..self.loops.len() {
            self.kill(slot);
        }
    }
}
