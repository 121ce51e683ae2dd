//! placeholder

use super::{CallSite, FnImpl};

pub fn lookup(_site: &CallSite<'_>) -> Option<FnImpl> {
    None
}
