//! Decodes the frames of one clip on a worker thread, the frames around the
//! one being watched first, within a memory budget: a clip that fits is
//! decoded whole, a longer one keeps a window that follows playback.
//!
//! The window rule ([`FrameWindow`]) is shared by the worker and the viewer's
//! cache, so both agree on which frames are kept without talking about it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};

use super::{CancelToken, Wake};
use crate::dicom::{Clip, ClipError, ClipInfo, PatientSalt};

/// One decoded frame as RGBA (what the GPU viewer uploads).
#[derive(Clone)]
pub struct DecodedFrame {
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub rgba: Arc<[u8]>,
}

/// What the worker sends.
pub enum LoaderEvent {
    Opened(Box<ClipInfo>),
    Frame(DecodedFrame),
    /// The file could not be opened; nothing more follows.
    Failed(ClipError),
    /// One frame could not be decoded; the others still come.
    FrameFailed {
        index: u32,
        error: ClipError,
    },
}

/// The frames kept around a focus frame: `capacity` frames starting a quarter
/// of the capacity before the focus, wrapping around the clip (cine loops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameWindow {
    pub frames: u32,
    pub capacity: u32,
}

impl FrameWindow {
    /// The window for a clip of `frames` frames of `frame_bytes` each.
    pub fn new(frames: u32, frame_bytes: u64, budget_bytes: u64) -> FrameWindow {
        let capacity = (budget_bytes / frame_bytes.max(1))
            .max(2)
            .min(u64::from(frames.max(1)));
        FrameWindow {
            frames,
            capacity: capacity as u32,
        }
    }

    /// Whether `index` is kept while the viewer shows `focus`.
    pub fn contains(&self, focus: u32, index: u32) -> bool {
        if self.capacity >= self.frames {
            return index < self.frames;
        }
        let start = (focus + self.frames - self.capacity / 4) % self.frames;
        (index + self.frames - start) % self.frames < self.capacity
    }

    /// The frames to decode, most urgent first: the focus, then forward.
    pub fn order(&self, focus: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.frames)
            .map(move |step| (focus + step) % self.frames)
            .filter(move |&index| self.contains(focus, index))
    }
}

/// The viewer's handle on a loading clip.
pub struct FrameLoader {
    events: Receiver<LoaderEvent>,
    focus: Arc<AtomicU32>,
    stop: CancelToken,
}

/// Decoded frames kept per clip: 1 GiB covers a few hundred frames of 800×600.
pub const FRAME_BUDGET_BYTES: u64 = 1 << 30;

impl FrameLoader {
    /// Starts opening `path` and decoding its frames.
    pub fn spawn(path: &Path, salt: PatientSalt, budget_bytes: u64, wake: Wake) -> FrameLoader {
        let (sender, events) = channel();
        let focus = Arc::new(AtomicU32::new(0));
        let stop = CancelToken::new();
        let (worker_focus, worker_stop) = (focus.clone(), stop.clone());
        let path = path.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("frame loader".into())
            .spawn(move || {
                let clip = match Clip::open(&path, &salt) {
                    Ok(clip) => clip,
                    Err(error) => {
                        let _ = sender.send(LoaderEvent::Failed(error));
                        wake();
                        return;
                    }
                };
                let info = clip.info().clone();
                let frame_bytes = u64::from(info.rows) * u64::from(info.cols) * 4;
                let window = FrameWindow::new(info.frames, frame_bytes, budget_bytes);
                if sender.send(LoaderEvent::Opened(Box::new(info))).is_err() {
                    return;
                }
                wake();
                decode_frames(&clip, window, &worker_focus, &worker_stop, &|event| {
                    let sent = sender.send(event).is_ok();
                    wake();
                    sent
                });
            });
        if let Err(error) = spawned {
            eprintln!("echolabel: cannot start the frame loader: {error}");
        }
        FrameLoader {
            events,
            focus,
            stop,
        }
    }

    /// Tells the worker which frame the viewer shows now.
    pub fn set_focus(&self, frame: u32) {
        self.focus.store(frame, Ordering::Relaxed);
    }

    /// The next event, if one has arrived.
    pub fn try_next(&self) -> Option<LoaderEvent> {
        self.events.try_recv().ok()
    }
}

impl Drop for FrameLoader {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Decodes the window's frames until the viewer goes away; `send` returns
/// false once nobody listens.
fn decode_frames(
    clip: &Clip,
    window: FrameWindow,
    focus: &AtomicU32,
    stop: &CancelToken,
    send: &dyn Fn(LoaderEvent) -> bool,
) {
    let mut held = vec![false; window.frames as usize];
    let mut failed = vec![false; window.frames as usize];
    while !stop.is_cancelled() {
        let now = focus.load(Ordering::Relaxed) % window.frames.max(1);
        for (index, kept) in held.iter_mut().enumerate() {
            *kept &= window.contains(now, index as u32);
        }
        let next = window
            .order(now)
            .find(|&i| !held[i as usize] && !failed[i as usize]);
        let Some(index) = next else {
            // Everything wanted is decoded: wait for the focus to move.
            std::thread::sleep(std::time::Duration::from_millis(15));
            continue;
        };
        let event = match clip.frame(index) {
            Ok(frame) => {
                held[index as usize] = true;
                LoaderEvent::Frame(DecodedFrame {
                    index,
                    width: frame.width,
                    height: frame.height,
                    rgba: rgba_from_rgb(&frame.rgb),
                })
            }
            Err(error) => {
                failed[index as usize] = true;
                LoaderEvent::FrameFailed { index, error }
            }
        };
        if !send(event) {
            return;
        }
    }
}

fn rgba_from_rgb(rgb: &[u8]) -> Arc<[u8]> {
    rgb.chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_that_fits_is_kept_whole() {
        let window = FrameWindow::new(30, 1000, 1_000_000);
        assert_eq!(window.capacity, 30);
        assert!((0..30).all(|i| window.contains(17, i)));
        assert_eq!(window.order(28).take(3).collect::<Vec<_>>(), [28, 29, 0]);
    }

    #[test]
    fn a_single_frame_image_is_a_window_of_one() {
        let window = FrameWindow::new(1, 1000, 1_000_000);
        assert_eq!(window.capacity, 1);
        assert_eq!(window.order(0).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn a_long_clip_keeps_a_window_that_wraps_around_the_focus() {
        let window = FrameWindow::new(100, 1000, 8000);
        assert_eq!(window.capacity, 8);
        // Two frames behind the focus, five ahead.
        let kept: Vec<u32> = (0..100).filter(|&i| window.contains(1, i)).collect();
        assert_eq!(kept, [0, 1, 2, 3, 4, 5, 6, 99]);
        let order: Vec<u32> = window.order(1).collect();
        assert_eq!(order, [1, 2, 3, 4, 5, 6, 99, 0]);
    }
}
