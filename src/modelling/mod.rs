//! Model work on a project, as the desktop and the CLI start it: which model
//! a project uses ([`ModelChoice`]), contour and ED/ES proposals for a clip
//! ([`proposals`]), the training frames made from the project's finished
//! annotations ([`training_data`]) and training a new model version from
//! them ([`training`]). Each runs to completion on the calling thread (the app
//! puts it in a background job) and checks for cancellation.
//!
//! This is where [`crate::model`] meets [`crate::store`]: the engine itself
//! never sees a project.

mod choice;
mod error;
pub mod proposals;
pub mod training;
pub mod training_data;

pub use choice::ModelChoice;
pub use error::TaskError;
pub use proposals::{FrameProposal, propose_frame, propose_key_frames};
pub use training::{ProjectTraining, TrainedVersion, train_project};
pub use training_data::{ProjectFrames, counts_for_training, project_frames, training_sets};
