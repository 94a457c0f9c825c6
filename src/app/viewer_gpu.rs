//! The frame viewer on the GPU: an egui-wgpu paint callback that draws the
//! current frame through `shaders/viewer.wgsl`, applying window/level and the
//! label overlay per pixel. Frame and label textures are uploaded only when
//! their content changes, so playing a clip costs one texture upload a frame
//! and moving the window/level costs none.

use std::borrow::Cow;
use std::sync::Arc;

use eframe::egui;
use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};
use eframe::wgpu;

use crate::downsample::{self, fit_within};

/// One decoded frame, RGBA8 with the grey values as decoded (gamma-encoded).
#[derive(Clone)]
pub struct FrameImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Arc<[u8]>,
    /// Changes whenever the pixels do: the texture is re-uploaded on a new id.
    pub id: u64,
}

/// A class map the size of the frame: 0 = nothing, k = `Display::class_colours[k]`.
#[derive(Clone)]
pub struct LabelOverlay {
    pub width: u32,
    pub height: u32,
    pub labels: Arc<[u8]>,
    pub id: u64,
}

/// How the frame is shown.
#[derive(Clone, Copy)]
pub struct Display {
    /// Window width and centre in grey levels (0..255).
    pub window: f32,
    pub level: f32,
    /// Straight-alpha colours per class; index 0 is unused.
    pub class_colours: [[f32; 4]; 8],
    /// The canvas corners in image texture coordinates (0..1 covers the image).
    pub uv_min: [f32; 2],
    pub uv_max: [f32; 2],
}

/// Creates the viewer's pipeline on the renderer that will draw the UI.
/// Until this is called (e.g. in UI tests without a GPU) the viewer draws nothing.
pub fn install(render_state: &RenderState) {
    let resources = ViewerResources::new(&render_state.device, render_state.target_format);
    render_state
        .renderer
        .write()
        .callback_resources
        .insert(resources);
}

/// Queues the frame (and overlay) to be drawn into `rect`.
pub fn paint(
    painter: &egui::Painter,
    rect: egui::Rect,
    frame: FrameImage,
    overlay: Option<LabelOverlay>,
    display: Display,
) {
    let callback = ViewerCallback {
        frame,
        overlay,
        display,
    };
    painter.add(egui_wgpu::Callback::new_paint_callback(rect, callback));
}

struct ViewerCallback {
    frame: FrameImage,
    overlay: Option<LabelOverlay>,
    display: Display,
}

impl CallbackTrait for ViewerCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(viewer) = resources.get_mut::<ViewerResources>() {
            viewer.prepare(device, queue, self);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(viewer) = resources.get::<ViewerResources>() else {
            return;
        };
        let Some(bind_group) = &viewer.bind_group else {
            return;
        };
        render_pass.set_pipeline(&viewer.pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..6, 0..1);
    }
}

/// Size of the uniform block in `viewer.wgsl`: 8 colours, the uv rectangle, the parameters.
const UNIFORM_BYTES: usize = (8 + 1 + 1) * 16;

/// A texture with the id of the content it holds.
struct Uploaded {
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    id: u64,
}

struct ViewerResources {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    uniforms: wgpu::Buffer,
    linear_target: bool,
    frame: Option<Uploaded>,
    labels: Option<Uploaded>,
    /// A 1×1 empty class map bound while there is no overlay.
    no_labels: Uploaded,
    /// Whether the bind group holds the overlay texture or `no_labels`.
    bound_labels: bool,
    bind_group: Option<wgpu::BindGroup>,
}

impl ViewerResources {
    fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("echolabel viewer"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/viewer.wgsl").into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("echolabel viewer"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                texture_entry(1, wgpu::TextureSampleType::Float { filterable: true }),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                texture_entry(3, wgpu::TextureSampleType::Uint),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("echolabel viewer"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("echolabel viewer"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("echolabel viewer"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("echolabel viewer"),
            size: UNIFORM_BYTES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let no_labels = Uploaded::new(device, 1, 1, wgpu::TextureFormat::R8Uint, u64::MAX);
        Self {
            pipeline,
            layout,
            sampler,
            uniforms,
            linear_target: target_format.is_srgb(),
            frame: None,
            labels: None,
            no_labels,
            bound_labels: false,
            bind_group: None,
        }
    }

    fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, callback: &ViewerCallback) {
        let frame = &callback.frame;
        let max_side = device.limits().max_texture_dimension_2d;
        let mut rebind = self.bind_group.is_none();
        rebind |= upload(
            device,
            queue,
            &mut self.frame,
            (frame.width, frame.height, frame.id),
            wgpu::TextureFormat::Rgba8Unorm,
            &frame.rgba,
            max_side,
        );
        if let Some(overlay) = &callback.overlay {
            rebind |= upload(
                device,
                queue,
                &mut self.labels,
                (overlay.width, overlay.height, overlay.id),
                wgpu::TextureFormat::R8Uint,
                &overlay.labels,
                max_side,
            );
        }
        // Which label texture is bound changes when the overlay comes or goes.
        let wants_labels = callback.overlay.is_some() && self.labels.is_some();
        let bound_labels = self.bind_group.as_ref().map(|_| self.bound_labels);
        rebind |= bound_labels != Some(wants_labels);
        if rebind {
            self.bind(device, wants_labels);
        }
        queue.write_buffer(
            &self.uniforms,
            0,
            &uniform_bytes(&callback.display, self.linear_target, wants_labels),
        );
    }

    fn bind(&mut self, device: &wgpu::Device, with_labels: bool) {
        let Some(frame) = &self.frame else { return };
        let labels = match (&self.labels, with_labels) {
            (Some(labels), true) => labels,
            _ => &self.no_labels,
        };
        self.bound_labels = with_labels;
        self.bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("echolabel viewer"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.uniforms.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&frame.view),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&labels.view),
                },
            ],
        }));
    }
}

fn texture_entry(binding: u32, sample_type: wgpu::TextureSampleType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type,
            view_dimension: wgpu::TextureViewDimension::D2,
            multisampled: false,
        },
        count: None,
    }
}

impl Uploaded {
    fn new(
        device: &wgpu::Device,
        width: u32,
        height: u32,
        format: wgpu::TextureFormat,
        id: u64,
    ) -> Self {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("echolabel viewer"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Self { texture, view, id }
    }
}

/// Writes `pixels` into `slot`, creating the texture when the size changes.
/// An image wider or taller than `max_side` (the device's texture limit) is
/// shrunk to fit first, since the device would refuse it: the shader samples
/// in 0..1 texture coordinates, so the smaller texture still covers the whole
/// image rect and contours stay where they belong. Frames are box-filtered,
/// class maps (`R8Uint`) sampled nearest so no class is invented.
/// Returns whether the texture itself is new (the bind group must be rebuilt).
fn upload(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    slot: &mut Option<Uploaded>,
    (width, height, id): (u32, u32, u64),
    format: wgpu::TextureFormat,
    pixels: &[u8],
    max_side: u32,
) -> bool {
    let bytes_per_pixel = format.block_copy_size(None).unwrap_or(1);
    let expected = u64::from(width) * u64::from(height) * u64::from(bytes_per_pixel);
    if width == 0 || height == 0 || pixels.len() as u64 != expected {
        return false;
    }
    if slot.as_ref().is_some_and(|uploaded| uploaded.id == id) {
        return false;
    }
    let (width, height, pixels) = match fit_within(width, height, max_side, max_side) {
        fitted if fitted == (width, height) => (width, height, Cow::Borrowed(pixels)),
        fitted => {
            let shrink = if format == wgpu::TextureFormat::R8Uint {
                downsample::nearest
            } else {
                downsample::box_filter
            };
            match shrink(pixels, (width, height), bytes_per_pixel as usize, fitted) {
                Some(small) => (fitted.0, fitted.1, Cow::Owned(small)),
                None => return false,
            }
        }
    };
    let same_size = slot.as_ref().is_some_and(|uploaded| {
        let size = uploaded.texture.size();
        size.width == width && size.height == height
    });
    if !same_size {
        *slot = Some(Uploaded::new(device, width, height, format, id));
    }
    let Some(uploaded) = slot.as_mut() else {
        return false;
    };
    uploaded.id = id;
    queue.write_texture(
        uploaded.texture.as_image_copy(),
        &pixels,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(width * bytes_per_pixel),
            rows_per_image: Some(height),
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    !same_size
}

/// The uniform block of `viewer.wgsl`, as bytes.
fn uniform_bytes(display: &Display, linear_target: bool, with_labels: bool) -> [u8; UNIFORM_BYTES] {
    let flag = |on: bool| if on { 1.0 } else { 0.0 };
    let values = display
        .class_colours
        .iter()
        .flatten()
        .copied()
        .chain([
            display.uv_min[0],
            display.uv_min[1],
            display.uv_max[0],
            display.uv_max[1],
        ])
        .chain([
            display.window,
            display.level,
            flag(linear_target),
            flag(with_labels),
        ]);
    let mut bytes = [0u8; UNIFORM_BYTES];
    for (chunk, value) in bytes.chunks_exact_mut(4).zip(values) {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    bytes
}
