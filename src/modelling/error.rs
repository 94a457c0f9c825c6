use std::path::PathBuf;

use crate::dicom::ClipError;
use crate::model::CheckpointError;
use crate::model::train::TrainError;
use crate::store::StoreError;

/// Why a model task failed. Each variant keeps the error it comes from, so
/// a caller can tell a busy database from a broken model file; the text is
/// made only where a person reads it.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Clip(#[from] ClipError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The model configuration failed its own check (which words it).
    #[error("{0}")]
    Config(String),
    /// Training failed; `skipped` lists what the training data left out, as
    /// it often explains why.
    #[error("{source}{}", skipped_note(skipped))]
    Train {
        #[source]
        source: TrainError,
        skipped: Vec<String>,
    },
    #[error("the model returned nothing")]
    NoPrediction,
    #[error("the model does not segment the LV endocardium, so it cannot find ED/ES")]
    NoLvClass,
    #[error("no free checkpoint name")]
    NoFreeCheckpointName,
}

fn skipped_note(skipped: &[String]) -> String {
    if skipped.is_empty() {
        String::new()
    } else {
        format!(" ({})", skipped.join("; "))
    }
}
