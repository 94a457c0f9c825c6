//! The annotation editor's model, free of any UI: what one annotator has drawn
//! on one clip, every change as an undoable step, and for each step the writes
//! that save it. The desktop shows and edits a [`ClipDocument`]; the store
//! thread applies the [`Persist`] values it returns, so every edit is saved
//! the moment it is made and undo is saved the same way. The editing rules
//! the desktop applies (which key frame is next, which one to copy from,
//! how Smooth smooths, what a takeover copies, how active time per frame is
//! counted) live here too, with tests.

mod document;
mod navigation;
mod persist;
mod smoothing;
mod study_change;
mod takeover;
mod timing;

pub use document::{ClipDocument, ContourState, KeyFrameMark};
pub use navigation::{other_key_frame, step_key_frame};
pub use persist::{Mutation, Persist};
pub use smoothing::smooth_for_editing;
pub use study_change::{StudyChange, Work};
pub use takeover::{TakeoverPlan, plan_takeover};
pub use timing::{FrameTimer, IDLE_GAP};
