//! The shape of a segmentation network, stored with every checkpoint so a
//! model file says what it is.

use serde::{Deserialize, Serialize};

/// Classes of the multi-class CAMUS output, in output-channel order.
pub const CAMUS_CLASSES: [&str; 4] = ["background", "LV endocardium", "Myocardium", "Left atrium"];
/// Classes of the binary LV output.
pub const LV_CLASSES: [&str; 2] = ["background", "LV endocardium"];

/// The network family: the plain MCD U-Net, or its residual variants for
/// the multi-architecture ensemble. All share the levels, the dropout layers
/// and the split at the first dropout layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Two conv–BN–ReLU per level.
    #[default]
    #[value(name = "unet")]
    UNet,
    /// Residual levels (identity or 1×1-projected shortcuts).
    #[value(name = "resunet")]
    ResUNet,
    /// Residual levels with squeeze-excitation, an ASPP bridge and attention-gated skips.
    #[value(name = "resunet++")]
    #[serde(rename = "resunet++")]
    ResUNetPlusPlus,
}

impl Architecture {
    pub fn name(self) -> &'static str {
        match self {
            Architecture::UNet => "mcd-unet",
            Architecture::ResUNet => "mcd-resunet",
            Architecture::ResUNetPlusPlus => "mcd-resunet++",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Files written before the residual variants existed are U-Nets.
    #[serde(default)]
    pub architecture: Architecture,
    /// Side of the square input; a multiple of 2^(depth − 1).
    pub input_size: usize,
    /// Output classes, background first: [`CAMUS_CLASSES`] or [`LV_CLASSES`].
    pub classes: Vec<String>,
    /// Filters at the first level; doubled at each level down.
    pub base_filters: usize,
    /// Levels including the bottleneck (5 for the MCD U-Net).
    pub depth: usize,
    /// Probability of dropping an activation in the dropout layers.
    pub dropout: f64,
    /// How many of the deepest encoder levels (bottleneck included) end in
    /// dropout; the first as many decoder levels minus one do too.
    pub dropout_levels: usize,
}

impl ModelConfig {
    /// The MCD U-Net for the CAMUS structures at `input_size`.
    pub fn camus(input_size: usize, base_filters: usize) -> ModelConfig {
        ModelConfig {
            architecture: Architecture::UNet,
            input_size,
            classes: CAMUS_CLASSES.iter().map(|c| c.to_string()).collect(),
            base_filters,
            depth: 5,
            dropout: 0.5,
            dropout_levels: 2,
        }
    }

    /// The binary LV variant of [`ModelConfig::camus`].
    pub fn lv_only(input_size: usize, base_filters: usize) -> ModelConfig {
        ModelConfig {
            classes: LV_CLASSES.iter().map(|c| c.to_string()).collect(),
            ..ModelConfig::camus(input_size, base_filters)
        }
    }

    /// The same network in another family.
    pub fn with_architecture(self, architecture: Architecture) -> ModelConfig {
        ModelConfig {
            architecture,
            ..self
        }
    }

    /// Filters at each level, top to bottom.
    pub fn filters(&self) -> Vec<usize> {
        (0..self.depth)
            .map(|level| self.base_filters << level)
            .collect()
    }

    /// The first encoder level whose output is dropped out: everything above
    /// it is deterministic and computed once for all MC samples.
    pub fn first_dropout_level(&self) -> usize {
        self.depth
            .saturating_sub(self.dropout_levels.min(self.depth))
    }

    /// Checks what the network code relies on.
    pub fn validate(&self) -> Result<(), String> {
        let stride = 1 << self.depth.saturating_sub(1);
        if self.depth < 2 || self.depth > 7 {
            return Err(format!("depth {} is outside 2..=7", self.depth));
        }
        if self.input_size == 0 || !self.input_size.is_multiple_of(stride) {
            return Err(format!(
                "input size {} is not a multiple of {stride}",
                self.input_size
            ));
        }
        if self.classes.len() < 2 || self.classes.len() > 255 {
            return Err(format!(
                "{} classes: a model needs 2 to 255 (background first)",
                self.classes.len()
            ));
        }
        if self.dropout_levels == 0 || self.dropout_levels > self.depth {
            return Err(format!(
                "{} dropout levels: expected 1 to {}",
                self.dropout_levels, self.depth
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is outside 0..1", self.dropout));
        }
        if self.base_filters == 0 {
            return Err("base filters must be at least 1".into());
        }
        Ok(())
    }

    /// The output channel of a structure, by name.
    pub fn class_of(&self, structure: &str) -> Option<usize> {
        self.classes
            .iter()
            .position(|c| c.eq_ignore_ascii_case(structure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mcd_unet_drops_out_at_its_two_deepest_levels() {
        let config = ModelConfig::camus(256, 16);
        assert_eq!(config.filters(), [16, 32, 64, 128, 256]);
        assert_eq!(config.first_dropout_level(), 3);
        assert!(config.validate().is_ok());
        assert_eq!(config.class_of("left atrium"), Some(3));
    }

    #[test]
    fn sizes_the_pooling_cannot_halve_are_refused() {
        let config = ModelConfig::camus(200, 16);
        assert!(config.validate().unwrap_err().contains("multiple of 16"));
    }
}
