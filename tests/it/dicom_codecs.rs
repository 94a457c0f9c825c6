//! What archives hold beyond the shared files: JPEG-LS (lossless and
//! near-lossless) and segmented palette colour tables, on multi-frame
//! ultrasound files written and decoded independently by pydicom.

use std::path::Path;

use echolabel::dicom::{Clip, PatientSalt};

/// Writes the test files into `out` with pydicom and, beside each, the RGB
/// pydicom decodes (`<name>.rgb`, 8 bits per channel, all frames).
const WRITE_FILES: &str = r#"
import sys, numpy as np, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEGLSLossless, JPEGLSNearLossless
from pydicom.pixels import apply_color_lut
out = sys.argv[1]
FRAMES, ROWS, COLS = 4, 40, 56

def ultrasound(samples, photometric):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLS, FRAMES
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameTime = "25"
    return ds

def written(ds, name):
    ds.save_as(f"{out}/{name}.dcm", enforce_file_format=True)
    return pydicom.dcmread(f"{out}/{name}.dcm")

def reference(name, rgb):
    np.ascontiguousarray(rgb, dtype=np.uint8).tofile(f"{out}/{name}.rgb")

rng = np.random.default_rng(12)
yy, xx = np.mgrid[0:ROWS, 0:COLS]
# A moving speckled pattern: neither constant nor pure noise.
pattern = np.stack([
    np.stack([(xx * 4 + 9 * k) % 256, (yy * 6 + 5 * k) % 256, ((xx + yy) * 3) % 256], -1)
    for k in range(FRAMES)
]).astype(int)
rgb = (pattern + rng.integers(0, 24, pattern.shape)).clip(0, 255).astype(np.uint8)

ds = ultrasound(3, "RGB")
ds.compress(JPEGLSLossless, rgb)
back = written(ds, "jpegls_lossless_rgb")
assert back.file_meta.TransferSyntaxUID == JPEGLSLossless
assert (back.pixel_array == rgb).all()
reference("jpegls_lossless_rgb", back.pixel_array)

gray = rgb[..., 0]
ds = ultrasound(1, "MONOCHROME2")
ds.compress(JPEGLSNearLossless, gray, jls_error=3)
back = written(ds, "jpegls_near_gray")
assert back.file_meta.TransferSyntaxUID == JPEGLSNearLossless
decoded = back.pixel_array
assert np.abs(decoded.astype(int) - gray).max() <= 3
reference("jpegls_near_gray", np.repeat(decoded[..., None], 3, -1))
gray.tofile(f"{out}/jpegls_near_gray.original")

# Segmented tables (PS3.3 C.7.9.2), each expanding to 256 entries.
# 16-bit: discrete, linear, an indirect copy of the first two segments.
red16 = [0, 3, 0, 4000, 9000, 1, 50, 30000, 1, 40, 65535, 2, 2, 0, 0, 1, 110, 12]
green16 = [0, 1, 65535, 1, 255, 0]
blue16 = [0, 2, 100, 200, 1, 120, 50000, 0, 3, 7, 8, 9, 1, 131, 1000]
# 8-bit, read as bytes: the indirect offset is 4 bytes, low first.
red8 = [0, 2, 0, 255, 1, 100, 7, 2, 1, 0, 0, 0, 0, 1, 152, 200]
green8 = [0, 1, 3, 1, 255, 250]
blue8 = [0, 4, 9, 8, 7, 6, 1, 252, 255]
for name, tables, bits, dtype, first in [
    ("segmented_palette_16", (red16, green16, blue16), 16, "<u2", 0),
    ("segmented_palette_8", (red8, green8, blue8), 8, "u1", 10),
]:
    ds = ultrasound(1, "PALETTE COLOR")
    index = (xx[None] * 3 + yy[None] + 17 * np.arange(FRAMES)[:, None, None]) % 256
    ds.PixelData = index.astype(np.uint8).tobytes()
    for colour, words in zip(("Red", "Green", "Blue"), tables):
        data = np.asarray(words, dtype=dtype).tobytes()
        if len(data) % 2:
            data += b"\0"
        keyword = f"Segmented{colour}PaletteColorLookupTableData"
        setattr(ds, keyword, data)
        ds[keyword].VR = "OW"
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, first, bits])
    back = written(ds, name)
    lut_rgb = apply_color_lut(back.pixel_array, back)
    assert lut_rgb.shape == (FRAMES, ROWS, COLS, 3), lut_rgb.shape
    reference(name, lut_rgb >> 8 if bits == 16 else lut_rgb)
print("ok")
"#;

fn write_files(out: &Path) {
    let python = std::process::Command::new("python3")
        .args(["-c", WRITE_FILES, out.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "pydicom could not write the codec files (pip install pydicom numpy pyjpegls): {}",
        String::from_utf8_lossy(&python.stderr)
    );
}

/// All frames of a clip as displayed, concatenated.
fn decoded_rgb(path: &Path) -> Vec<u8> {
    let clip = Clip::open(path, &PatientSalt::random()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clip.frame_count(), 4);
    assert_eq!(clip.info().fps(), Some(40.0));
    (0..clip.frame_count())
        .flat_map(|i| clip.frame(i).unwrap_or_else(|e| panic!("{e}")).rgb)
        .collect()
}

#[test]
fn jpeg_ls_decodes_like_pydicom() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path());
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();

    let ours = decoded_rgb(&dir.path().join("jpegls_lossless_rgb.dcm"));
    assert_eq!(ours, read("jpegls_lossless_rgb.rgb"), "lossless JPEG-LS");

    // Near-lossless with NEAR = 3: within 3 of the original in every sample,
    // and (the same CharLS on both sides) equal to pydicom's decoding.
    let ours = decoded_rgb(&dir.path().join("jpegls_near_gray.dcm"));
    let original = read("jpegls_near_gray.original");
    assert_eq!(ours.len(), original.len() * 3);
    let worst = ours
        .chunks_exact(3)
        .zip(&original)
        .map(|(rgb, o)| rgb[0].abs_diff(*o))
        .max()
        .unwrap();
    assert!(worst <= 3, "near-lossless error {worst}");
    let reference = read("jpegls_near_gray.rgb");
    let differing = ours.iter().zip(&reference).filter(|(a, b)| a != b).count();
    assert!(
        differing * 100 <= ours.len(),
        "{differing} samples differ from pydicom's decoding"
    );
}

#[test]
fn segmented_palettes_expand_like_pydicom() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path());
    for name in ["segmented_palette_16", "segmented_palette_8"] {
        let ours = decoded_rgb(&dir.path().join(format!("{name}.dcm")));
        let reference = std::fs::read(dir.path().join(format!("{name}.rgb"))).unwrap();
        assert_eq!(ours.len(), reference.len(), "{name}");
        let first_difference = ours.iter().zip(&reference).position(|(a, b)| a != b);
        assert_eq!(first_difference, None, "{name}: first differing sample");
        // The table is not flat: the frames show several colours.
        let mut colours: Vec<&[u8]> = ours.chunks_exact(3).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() > 20, "{name}: {} colours", colours.len());
    }
}
