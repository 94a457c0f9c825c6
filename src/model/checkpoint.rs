//! Model files: a header line, the network's [`ModelConfig`] as one JSON
//! line, then burn's record of the weights (batch-norm statistics included).
//! The config travels with the weights so any file can be loaded on its own.

use std::path::Path;

use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::config::ModelConfig;
use super::loss::LossKind;
use super::unet::McdUNet;

const MAGIC: &str = "ECHOLABEL-MODEL 1";

/// What the file says about the model besides its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    pub config: ModelConfig,
    pub loss: LossKind,
    /// Validation metrics at the time of saving, e.g. `{"dice_lv": 0.93}`.
    #[serde(default)]
    pub metrics: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: not an EchoLabel model file")]
    NotAModel(String),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The model as bytes.
pub fn to_bytes(header: &ModelHeader, model: &McdUNet) -> Vec<u8> {
    let weights = model
        .clone()
        .valid()
        .into_record()
        .into_bytes()
        .expect("a module record always serialises");
    let mut bytes = format!(
        "{MAGIC}\n{}\n",
        serde_json::to_string(header).expect("headers serialise")
    )
    .into_bytes();
    bytes.extend_from_slice(&weights);
    bytes
}

/// The header of a model file, without building the network.
pub fn header_of(bytes: &[u8], origin: &str) -> Result<ModelHeader, CheckpointError> {
    split(bytes, origin).map(|(header, _)| header)
}

/// The header and the weights' bytes.
fn split<'a>(bytes: &'a [u8], origin: &str) -> Result<(ModelHeader, &'a [u8]), CheckpointError> {
    let invalid = |message: String| CheckpointError::Invalid {
        path: origin.to_string(),
        message,
    };
    let mut lines = bytes.splitn(3, |&b| b == b'\n');
    if lines.next() != Some(MAGIC.as_bytes()) {
        return Err(CheckpointError::NotAModel(origin.to_string()));
    }
    let header: ModelHeader = lines
        .next()
        .ok_or_else(|| invalid("the header is missing".into()))
        .and_then(|line| {
            serde_json::from_slice(line).map_err(|e| invalid(format!("bad header: {e}")))
        })?;
    header.config.validate().map_err(invalid)?;
    let weights = lines
        .next()
        .ok_or_else(|| invalid("the weights are missing".into()))?;
    Ok((header, weights))
}

/// A model from bytes, built on `device`. `origin` names the source in errors.
pub fn from_bytes(
    bytes: &[u8],
    device: &Device,
    origin: &str,
) -> Result<(ModelHeader, McdUNet), CheckpointError> {
    let invalid = |message: String| CheckpointError::Invalid {
        path: origin.to_string(),
        message,
    };
    let (header, weights) = split(bytes, origin)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
        .map_err(|e| invalid(format!("unreadable weights: {e:?}")))?;
    let model = McdUNet::new(&header.config, device)
        .try_load_record(record)
        .map_err(|e| invalid(format!("the weights do not fit the network: {e:?}")))?;
    Ok((header, model))
}

/// Writes the model atomically (a temporary file renamed into place).
pub fn save(path: &Path, header: &ModelHeader, model: &McdUNet) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, to_bytes(header, model)).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

pub fn load(path: &Path, device: &Device) -> Result<(ModelHeader, McdUNet), CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_bytes(&bytes, device, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{batch, tiny_config, trained};
    use super::*;

    #[test]
    fn a_saved_model_loads_back_with_the_same_outputs() {
        let device = Device::flex();
        let (model, samples) = trained();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models").join("tiny.elm");
        let header = ModelHeader {
            config: tiny_config(),
            loss: LossKind::Dice,
            metrics: serde_json::json!({"dice_lv_endocardium": 0.5}),
        };
        save(&path, &header, model).unwrap();
        let (read_header, loaded) = load(&path, &device).unwrap();
        assert_eq!(read_header, header);
        let x = batch(samples, 2, &device);
        let before: Vec<f32> = model.forward(x.clone(), false).try_into_vec_as().unwrap();
        let after: Vec<f32> = loaded.forward(x, false).try_into_vec_as().unwrap();
        assert_eq!(
            before, after,
            "weights and batch-norm statistics round-trip exactly"
        );
    }

    #[test]
    fn other_files_are_refused_with_their_name() {
        let device = Device::flex();
        let error = from_bytes(b"PNG\n...", &device, "photo.png").unwrap_err();
        assert_eq!(error.to_string(), "photo.png: not an EchoLabel model file");
        let mut bytes = to_bytes(
            &ModelHeader {
                config: tiny_config(),
                loss: LossKind::Dice,
                metrics: serde_json::Value::Null,
            },
            &trained().0,
        );
        bytes.truncate(bytes.len() / 2);
        let error = from_bytes(&bytes, &device, "cut.elm")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("cut.elm: "), "{error}");
    }
}
