use std::sync::Arc;

use super::TaskError;
use crate::model::shipped::{STARTING_MODEL_BYTES, STARTING_MODEL_NAME};
use crate::model::{CheckpointError, ComputeDevice, ModelHeader, Segmenter, checkpoint};
use crate::store::Project;

/// A model file in memory with where it came from; cheap to clone, turned
/// into a network on a device by each task that needs one.
#[derive(Clone)]
pub struct ModelChoice {
    pub bytes: Arc<Vec<u8>>,
    /// The project's model version, or `None` for the shipped starting model.
    pub version_id: Option<i64>,
    pub name: String,
}

impl ModelChoice {
    pub fn starting_model() -> ModelChoice {
        ModelChoice {
            bytes: Arc::new(STARTING_MODEL_BYTES.to_vec()),
            version_id: None,
            name: STARTING_MODEL_NAME.to_string(),
        }
    }

    /// The project's newest model version, or the starting model when it has none.
    pub fn for_project(project: &Project) -> Result<ModelChoice, TaskError> {
        let Some(version) = project.model_versions()?.pop() else {
            return Ok(ModelChoice::starting_model());
        };
        let path = project.root().join(&version.checkpoint_path);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(source) => return Err(TaskError::Io { path, source }),
        };
        Ok(ModelChoice {
            bytes: Arc::new(bytes),
            version_id: Some(version.id),
            name: format!("model version {} ({})", version.id, version.name),
        })
    }

    pub fn header(&self) -> Result<ModelHeader, CheckpointError> {
        checkpoint::header_of(&self.bytes, &self.name)
    }

    pub fn load(&self, device: &ComputeDevice) -> Result<Segmenter, CheckpointError> {
        Segmenter::from_bytes(&self.bytes, &device.device, &self.name)
    }
}
