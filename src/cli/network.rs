//! The network shape arguments shared by `train` and `bench infer|train`.

use crate::model::{Architecture, ModelConfig};

#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Network input size (a multiple of 16).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Filters of the first level (doubled at each of the 5 levels).
    #[arg(long, default_value_t = 16)]
    pub filters: usize,
    /// Network family (the multi-architecture ensemble trains one of each).
    #[arg(long, value_enum, default_value_t)]
    pub architecture: Architecture,
}

impl NetworkArgs {
    /// The CAMUS structures (or the LV alone) at this shape.
    pub fn config(&self, lv_only: bool) -> ModelConfig {
        let config = if lv_only {
            ModelConfig::lv_only(self.size, self.filters)
        } else {
            ModelConfig::camus(self.size, self.filters)
        };
        config.with_architecture(self.architecture)
    }
}
