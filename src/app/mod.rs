//! The desktop application (egui/eframe on its wgpu renderer). This is the
//! only module that imports egui.
//!
//! For now the window plays a demo phantom clip as cine; the annotation
//! workspace is built on top of it.

mod demo_viewer;
mod screenshot;

use std::path::PathBuf;

use eframe::egui;

pub use demo_viewer::DemoViewer;
use screenshot::ScreenshotRequest;

/// Opens the main window and runs until it is closed. With `screenshot`, the
/// window saves a PNG of itself there once the demo clip shows, then closes.
pub fn run(screenshot: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("EchoLabel")
            .with_inner_size([1100.0, 760.0])
            .with_min_inner_size([640.0, 480.0]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "EchoLabel",
        options,
        Box::new(move |cc| {
            Ok(Box::new(MainWindow {
                viewer: DemoViewer::new(cc.egui_ctx.clone()),
                screenshot: screenshot.map(ScreenshotRequest::new),
            }))
        }),
    )
}

struct MainWindow {
    viewer: DemoViewer,
    screenshot: Option<ScreenshotRequest>,
}

impl eframe::App for MainWindow {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| self.viewer.ui(ui));
        if let Some(request) = &mut self.screenshot {
            request.poll(ui.ctx(), self.viewer.is_loaded());
        }
    }
}
