//! The annotation editor's model, free of any UI: what one annotator has drawn
//! on one clip, every change as an undoable step, and for each step the writes
//! that save it. The desktop shows and edits a [`ClipDocument`]; the store
//! thread applies the [`Persist`] values it returns, so every edit is saved
//! the moment it is made and undo is saved the same way.

mod document;
mod persist;

pub use document::{ClipDocument, ContourState, KeyFrameMark};
pub use persist::{Mutation, Persist};
