//! The clip on screen: its decoded frames as they arrive, cine playback at
//! the clip's frame rate, and the view (zoom, pan, window/level).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::notices::Notices;
use super::viewer_gpu::FrameImage;
use crate::dicom::{ClipInfo, PatientSalt};
use crate::jobs::{FRAME_BUDGET_BYTES, FrameLoader, FrameWindow, LoaderEvent, Wake};
use crate::store::ClipRecord;

/// Frame rate used when a file states none, or one playback cannot use.
pub const DEFAULT_FPS: f64 = 30.0;
/// Frame times (ms) playback accepts from a file: 10 000 fps to one frame
/// every 10 s covers every real echo clip.
pub const FRAME_TIME_MS: std::ops::RangeInclusive<f64> = 0.1..=10_000.0;
/// Playback speeds offered.
pub const SPEEDS: [f64; 5] = [0.25, 0.5, 1.0, 1.5, 2.0];

/// Gives every uploaded image its own id, so the GPU viewer re-uploads only on change.
static NEXT_IMAGE_ID: AtomicU64 = AtomicU64::new(1);

pub fn next_image_id() -> u64 {
    NEXT_IMAGE_ID.fetch_add(1, Ordering::Relaxed)
}

/// Cine playback state.
pub struct Playback {
    pub frame: u32,
    pub playing: bool,
    pub looping: bool,
    pub speed: f64,
    /// Seconds spent on the current frame.
    elapsed: f64,
}

/// Zoom, pan and window/level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// 1 = the whole image fits the canvas.
    pub zoom: f32,
    /// The image point (pixels) at the canvas centre.
    pub centre: [f32; 2],
    /// Grey window width and centre, 0..255.
    pub window: f32,
    pub level: f32,
}

impl View {
    pub fn fitted(width: u32, height: u32) -> View {
        View {
            zoom: 1.0,
            centre: [width as f32 / 2.0, height as f32 / 2.0],
            window: 255.0,
            level: 127.5,
        }
    }
}

pub struct OpenClip {
    pub record: ClipRecord,
    loader: FrameLoader,
    pub info: Option<ClipInfo>,
    frames: HashMap<u32, FrameImage>,
    window: Option<FrameWindow>,
    /// Why the clip cannot be shown.
    pub failure: Option<String>,
    pub frame_errors: HashMap<u32, String>,
    pub playback: Playback,
    pub view: View,
    /// Bumped on every document change, so overlays are rebuilt.
    pub document_version: u64,
}

impl OpenClip {
    pub fn open(record: ClipRecord, path: &Path, salt: PatientSalt, wake: Wake) -> OpenClip {
        let loader = FrameLoader::spawn(path, salt, FRAME_BUDGET_BYTES, wake);
        let view = View::fitted(record.cols, record.rows);
        OpenClip {
            record,
            loader,
            info: None,
            frames: HashMap::new(),
            window: None,
            failure: None,
            frame_errors: HashMap::new(),
            playback: Playback {
                frame: 0,
                playing: false,
                looping: true,
                speed: 1.0,
                elapsed: 0.0,
            },
            view,
            document_version: 0,
        }
    }

    pub fn document_changed(&mut self) {
        self.document_version += 1;
    }

    pub fn frame_count(&self) -> u32 {
        self.info.as_ref().map_or(self.record.frames, |i| i.frames)
    }

    /// Takes the frames decoded since the last call.
    pub fn poll(&mut self, notices: &mut Notices) {
        while let Some(event) = self.loader.try_next() {
            match event {
                LoaderEvent::Opened(info) => {
                    let bytes = u64::from(info.rows) * u64::from(info.cols) * 4;
                    self.window = Some(FrameWindow::new(info.frames, bytes, FRAME_BUDGET_BYTES));
                    self.view = View::fitted(info.cols, info.rows);
                    self.info = Some(*info);
                }
                LoaderEvent::Frame(frame) => {
                    let kept = self
                        .window
                        .is_some_and(|w| w.contains(self.playback.frame, frame.index));
                    if kept {
                        self.frames.insert(
                            frame.index,
                            FrameImage {
                                width: frame.width,
                                height: frame.height,
                                rgba: frame.rgba,
                                id: next_image_id(),
                            },
                        );
                    }
                }
                LoaderEvent::Failed(error) => {
                    let message = error.to_string();
                    notices.error(format!("cannot open the clip: {message}"));
                    self.failure = Some(message);
                }
                LoaderEvent::FrameFailed { index, error } => {
                    self.frame_errors.insert(index, error.to_string());
                }
            }
        }
    }

    /// The current frame's image, if decoded.
    pub fn current_image(&self) -> Option<&FrameImage> {
        self.frames.get(&self.playback.frame)
    }

    /// How many frames are decoded (for the loading indicator).
    pub fn decoded(&self) -> usize {
        self.frames.len()
    }

    /// Shows `frame` (clamped) and stops playback.
    pub fn go_to(&mut self, frame: u32) {
        self.playback.playing = false;
        self.set_frame(frame);
    }

    fn set_frame(&mut self, frame: u32) {
        let last = self.frame_count().saturating_sub(1);
        self.playback.frame = frame.min(last);
        self.playback.elapsed = 0.0;
        self.loader.set_focus(self.playback.frame);
        if let Some(window) = self.window {
            let focus = self.playback.frame;
            self.frames
                .retain(|&index, _| window.contains(focus, index));
        }
    }

    /// Steps `delta` frames, wrapping when looping.
    pub fn step(&mut self, delta: i64) {
        let count = i64::from(self.frame_count().max(1));
        let target = i64::from(self.playback.frame) + delta;
        let target = if self.playback.looping {
            target.rem_euclid(count)
        } else {
            target.clamp(0, count - 1)
        };
        self.go_to(target as u32);
    }

    /// The rate playback runs at: the file's, when its frame time is
    /// plausible ([`FRAME_TIME_MS`]), else [`DEFAULT_FPS`]. A header may say
    /// anything (1e-300 ms would spin the frame loop forever, 1e22 ms
    /// overflow a `Duration`), so the value is bounded here whatever the
    /// reader let through.
    pub fn fps(&self) -> f64 {
        self.file_fps().unwrap_or(DEFAULT_FPS)
    }

    /// The file's frame rate when playback can use it.
    pub fn file_fps(&self) -> Option<f64> {
        self.info
            .as_ref()
            .and_then(|info| info.frame_time_ms)
            .filter(|ms| FRAME_TIME_MS.contains(ms))
            .map(|ms| 1000.0 / ms)
    }

    /// Advances playback by `dt` seconds; returns how long until the next frame is due.
    pub fn advance(&mut self, dt: f64) -> Option<Duration> {
        if !self.playback.playing {
            return None;
        }
        // Both factors are bounded (FRAME_TIME_MS, SPEEDS), so the frame
        // count below and the delay stay small whatever the file says.
        let frame_time = 1.0 / (self.fps() * self.playback.speed);
        let dt = if dt.is_finite() {
            dt.clamp(0.0, 0.25)
        } else {
            0.0
        };
        self.playback.elapsed += dt;
        let due = (self.playback.elapsed / frame_time).floor();
        self.playback.elapsed -= due * frame_time;
        let count = self.frame_count().max(1);
        let mut frame = self.playback.frame;
        if due >= 1.0 {
            let target = u64::from(frame) + due as u64;
            if target >= u64::from(count) && !self.playback.looping {
                frame = count - 1;
                self.playback.playing = false;
            } else {
                frame = (target % u64::from(count)) as u32;
            }
        }
        let elapsed = self.playback.elapsed;
        if frame != self.playback.frame {
            self.set_frame(frame);
            self.playback.elapsed = elapsed;
        }
        Some(Duration::from_secs_f64((frame_time - elapsed).max(0.001)))
    }
}
