//! Where the networks run: a wgpu GPU when the machine has one, otherwise
//! burn's `flex` CPU backend, so the app works on any workstation.
//!
//! `ECHOLABEL_DEVICE=gpu|cpu|auto` (or `--device` on the CLI) forces a choice;
//! `gpu` also accepts a software Vulkan driver (Mesa lavapipe), which is how
//! CI exercises the wgpu path.

use std::sync::OnceLock;

use burn::prelude::*;

/// The environment variable that picks the device.
pub const DEVICE_ENV: &str = "ECHOLABEL_DEVICE";

/// The environment a process without a window sets before its first thread
/// starts, so probing the GPU stays off the display server.
///
/// wgpu enables the Wayland and X11 surface extensions on every Vulkan
/// instance it creates, and Mesa's implicit layer `VK_LAYER_MESA_device_select`
/// answers an instance with those extensions by connecting to the Wayland
/// compositor (and the X server) to learn which GPU drives the screen. Without
/// a desktop session libwayland then prints "error: XDG_RUNTIME_DIR is invalid
/// or not set in the environment." on stderr, once per instance (the probe
/// makes several). `NODEVICE_SELECT=1` is the layer's own off switch (its
/// manifest's `disable_environment`): the Vulkan loader then does not load it,
/// and adapters are listed in the drivers' order, which is all a headless
/// command needs. The desktop app keeps the layer (it has a display, and the
/// layer picks the GPU the screen is on).
///
/// The library cannot set it (it has no `unsafe`, and changing the
/// environment of a running multi-threaded process is unsound): the binary
/// does, first thing, for every subcommand that opens no window.
pub const HEADLESS_VULKAN_ENV: &[(&str, &str)] = &[("NODEVICE_SELECT", "1")];

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DevicePreference {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// wgpu, including a software adapter; an error when there is none.
    Gpu,
    /// The CPU (`flex`).
    Cpu,
}

impl DevicePreference {
    /// The command-line choice if given, else `ECHOLABEL_DEVICE`.
    pub fn resolve(flag: Option<DevicePreference>) -> Result<DevicePreference, String> {
        flag.map_or_else(DevicePreference::from_env, Ok)
    }

    /// From `ECHOLABEL_DEVICE`, `Auto` when unset; an unknown value is an error.
    pub fn from_env() -> Result<DevicePreference, String> {
        match std::env::var(DEVICE_ENV) {
            Err(_) => Ok(DevicePreference::Auto),
            Ok(value) => match value.to_ascii_lowercase().as_str() {
                "" | "auto" => Ok(DevicePreference::Auto),
                "gpu" | "wgpu" => Ok(DevicePreference::Gpu),
                "cpu" | "flex" => Ok(DevicePreference::Cpu),
                other => Err(format!("{DEVICE_ENV}={other}: expected auto, gpu or cpu")),
            },
        }
    }
}

/// The device found, and how to describe it to the user.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    pub is_gpu: bool,
    /// e.g. "GPU (wgpu): NVIDIA H100" or "CPU (no GPU adapter found)".
    pub description: String,
}

/// The device for `preference`. wgpu adapters can be opened once per process,
/// so the GPU is probed once and remembered.
pub fn select_device(preference: DevicePreference) -> Result<ComputeDevice, String> {
    let cpu = |why: &str| ComputeDevice {
        device: Device::flex(),
        is_gpu: false,
        description: format!("CPU{why}"),
    };
    match preference {
        DevicePreference::Cpu => Ok(cpu("")),
        DevicePreference::Auto => Ok(hardware_gpu()
            .clone()
            .unwrap_or_else(|why| cpu(&format!(" ({why})")))),
        DevicePreference::Gpu => hardware_gpu().clone().or_else(|_| software_gpu().clone()),
    }
}

fn hardware_gpu() -> &'static Result<ComputeDevice, String> {
    static GPU: OnceLock<Result<ComputeDevice, String>> = OnceLock::new();
    GPU.get_or_init(|| {
        open_wgpu(&[
            DeviceKind::DiscreteGpu(0),
            DeviceKind::IntegratedGpu(0),
            DeviceKind::VirtualGpu(0),
        ])
        .map_err(|_| "no GPU adapter found".to_string())
    })
}

fn software_gpu() -> &'static Result<ComputeDevice, String> {
    static SOFTWARE: OnceLock<Result<ComputeDevice, String>> = OnceLock::new();
    SOFTWARE.get_or_init(|| {
        open_wgpu(&[DeviceKind::Cpu])
            .map_err(|e| format!("no wgpu adapter, not even a software one: {e}"))
    })
}

fn open_wgpu(kinds: &[DeviceKind]) -> Result<ComputeDevice, String> {
    let mut last_error = String::from("no adapter");
    for kind in kinds {
        match Device::wgpu_options().device_kind(kind.clone()).init() {
            Ok(device) => {
                let name = device
                    .identity()
                    .map(|identity| identity.name)
                    .unwrap_or_else(|| format!("{kind:?}"));
                return Ok(ComputeDevice {
                    device,
                    is_gpu: true,
                    description: format!("GPU (wgpu): {name}"),
                });
            }
            Err(error) => last_error = error.to_string(),
        }
    }
    Err(last_error)
}
