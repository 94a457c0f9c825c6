//! A cine viewer of a built-in demo clip, generated off the UI thread.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use eframe::egui;

use crate::phantom::{self, PhantomClip};

/// Seed and index of the built-in demo clip.
const DEMO_SEED: u64 = 2026;
const DEMO_CLIP: u32 = 0;

/// Plays the demo phantom clip with play/pause, a frame scrubber and ED/ES marks.
pub struct DemoViewer {
    loading: Option<Receiver<PhantomClip>>,
    clip: Option<PhantomClip>,
    textures: Vec<egui::TextureHandle>,
    frame: usize,
    playing: bool,
    /// Seconds into the current frame, for playback at the clip's frame rate.
    elapsed_in_frame: f64,
}

impl DemoViewer {
    /// Starts generating the demo clip on a worker thread; `ctx` is repainted when it is ready.
    pub fn new(ctx: egui::Context) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // The receiver is gone only if the window closed first.
            let _ = sender.send(phantom::generate(DEMO_SEED, DEMO_CLIP));
            ctx.request_repaint();
        });
        Self {
            loading: Some(receiver),
            clip: None,
            textures: Vec::new(),
            frame: 0,
            playing: true,
            elapsed_in_frame: 0.0,
        }
    }

    /// Whether the demo clip has arrived.
    pub fn is_loaded(&self) -> bool {
        self.clip.is_some()
    }

    fn receive_clip(&mut self, ctx: &egui::Context) {
        let Some(receiver) = &self.loading else {
            return;
        };
        match receiver.try_recv() {
            Ok(clip) => {
                self.textures = clip
                    .frames
                    .iter()
                    .enumerate()
                    .map(|(i, pixels)| {
                        let image = egui::ColorImage::from_gray(
                            [clip.params.cols as usize, clip.params.rows as usize],
                            pixels,
                        );
                        ctx.load_texture(
                            format!("demo-frame-{i}"),
                            image,
                            egui::TextureOptions::LINEAR,
                        )
                    })
                    .collect();
                self.clip = Some(clip);
                self.loading = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => self.loading = None,
        }
    }

    fn advance(&mut self, ctx: &egui::Context) {
        let Some(clip) = &self.clip else { return };
        if !self.playing {
            return;
        }
        let frame_time = clip.params.frame_time_ms / 1000.0;
        self.elapsed_in_frame += f64::from(ctx.input(|i| i.stable_dt)).min(0.25);
        while self.elapsed_in_frame >= frame_time {
            self.elapsed_in_frame -= frame_time;
            self.frame = (self.frame + 1) % clip.frames.len();
        }
        ctx.request_repaint_after(Duration::from_secs_f64(frame_time - self.elapsed_in_frame));
    }

    /// Draws the whole window.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.receive_clip(&ctx);
        self.advance(&ctx);
        if ui.input(|i| i.key_pressed(egui::Key::Space)) {
            self.playing = !self.playing;
        }
        let Some(clip) = &self.clip else {
            ui.centered_and_justified(|ui| ui.spinner());
            return;
        };
        let frames = clip.frames.len();
        let (ed, es) = (&clip.truth.end_diastole, &clip.truth.end_systole);
        ui.horizontal(|ui| {
            ui.heading("EchoLabel");
            ui.label(format!(
                "demo clip {} · {} frames · {:.0} fps · {:.0} bpm",
                clip.name,
                frames,
                1000.0 / clip.params.frame_time_ms,
                clip.params.heart_rate_bpm
            ));
        });
        ui.horizontal(|ui| {
            if ui
                .button(if self.playing { "Pause" } else { "Play" })
                .clicked()
            {
                self.playing = !self.playing;
            }
            let mut frame = self.frame;
            ui.add(egui::Slider::new(&mut frame, 0..=frames - 1).text("frame"));
            if frame != self.frame {
                self.frame = frame;
                self.playing = false;
            }
            let mark = if ed.contains(&(self.frame as u32)) {
                "ED"
            } else if es.contains(&(self.frame as u32)) {
                "ES"
            } else {
                ""
            };
            ui.strong(mark);
        });
        let texture = &self.textures[self.frame];
        let available = ui.available_size();
        let scale = (available.x / texture.size_vec2().x)
            .min(available.y / texture.size_vec2().y)
            .max(0.1);
        ui.centered_and_justified(|ui| {
            ui.add(egui::Image::new(texture).fit_to_exact_size(texture.size_vec2() * scale));
        });
    }
}
