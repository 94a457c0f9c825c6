//! Saving a screenshot of the window (`echolabel screenshot`), so anyone can
//! look at the UI under `xvfb-run` without a screen grabber.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use eframe::egui;

/// Frames drawn after the content is ready, so layout and textures settle.
const SETTLE_FRAMES: u32 = 5;

pub struct ScreenshotRequest {
    path: PathBuf,
    ready_frames: u32,
    pending: Option<Receiver<Result<(), String>>>,
}

impl ScreenshotRequest {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            ready_frames: 0,
            pending: None,
        }
    }

    /// Called once a frame: requests the shot when `ready` has held a few
    /// frames, and closes the window once it is written.
    pub fn poll(&mut self, ctx: &egui::Context, ready: bool) {
        if let Some(pending) = &self.pending {
            if let Ok(result) = pending.try_recv() {
                match result {
                    Ok(()) => eprintln!("screenshot written to {}", self.path.display()),
                    Err(message) => eprintln!("echolabel: {message}"),
                }
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            ctx.request_repaint();
            return;
        }
        if !ready {
            return;
        }
        self.ready_frames += 1;
        ctx.request_repaint();
        if self.ready_frames < SETTLE_FRAMES {
            return;
        }
        let (sender, receiver) = channel();
        let path = self.path.clone();
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            let [width, height] = image.size;
            let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
            let result = image::RgbaImage::from_raw(width as u32, height as u32, rgba)
                .ok_or_else(|| "the screenshot has an unexpected size".to_string())
                .and_then(|img| {
                    img.save(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))
                });
            let _ = sender.send(result);
            repaint.request_repaint();
        });
        self.pending = Some(receiver);
    }
}
