//! NIfTI-1 volumes as the datasets and exports use them: read any voxel type
//! into bytes or widened values, write 8-bit volumes with their spacing.
//!
//! NIfTI stores the first axis fastest. A 2-D frame written as `[W, H]`
//! therefore has its voxels in our row-major order, with no transposition;
//! the per-clip export writes `[rows, cols, frames]` instead (the shape the
//! issue of record asks readers to see), with rows fastest.

use std::path::Path;

use nifti::{
    DataElement, InMemNiftiVolume, NiftiHeader, NiftiObject, NiftiType, NiftiVolume, ReaderOptions,
};

use super::{DatasetError, unreadable};

/// Voxel values as stored: bytes are used as they are, other types widened.
pub enum Voxels {
    Bytes(Vec<u8>),
    Values(Vec<f64>),
}

/// A volume: its dimensions (first fastest), voxel spacing and voxels.
pub struct Volume {
    pub dims: Vec<usize>,
    /// Spacing along each dimension, in the file's units (mm for our files).
    pub spacing: Vec<f32>,
    pub voxels: Voxels,
}

/// The most bytes one file may hold once read (1 GiB), checked against the
/// header before the data is inflated; values wider than a byte are widened
/// to `f64`, so their count is bounded by the same budget at 8 bytes each.
const MAX_BYTES: u64 = 1 << 30;

fn header_of(path: &Path) -> Result<NiftiHeader, DatasetError> {
    NiftiHeader::from_file(path)
        .map_err(|e| unreadable(path, format!("not a readable NIfTI file: {e}")))
}

fn dims_of(path: &Path, header: &NiftiHeader) -> Result<Vec<usize>, DatasetError> {
    Ok(header
        .dim()
        .map_err(|e| unreadable(path, format!("invalid NIfTI dimensions: {e}")))?
        .iter()
        .map(|&d| usize::from(d))
        .collect())
}

/// The dimensions of a NIfTI file, from its header alone.
pub fn volume_dims(path: &Path) -> Result<Vec<usize>, DatasetError> {
    dims_of(path, &header_of(path)?)
}

/// Reads a `.nii` or `.nii.gz` file.
pub fn read_volume(path: &Path) -> Result<Volume, DatasetError> {
    let header = header_of(path)?;
    let dims = dims_of(path, &header)?;
    let voxels = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64));
    let width = if header.datatype == NiftiType::Uint8 as i16 {
        1
    } else {
        8
    };
    if voxels.is_none_or(|n| n.saturating_mul(width) > MAX_BYTES) {
        return Err(unreadable(
            path,
            format!("dimensions {dims:?} are more than {MAX_BYTES} bytes to read"),
        ));
    }
    let spacing = header.pixdim[1..=dims.len()].to_vec();
    let volume = ReaderOptions::new()
        .read_file(path)
        .map_err(|e| unreadable(path, format!("not a readable NIfTI file: {e}")))?
        .into_volume();
    let voxels = match volume.data_type() {
        NiftiType::Uint8 => Ok(Voxels::Bytes(volume.into_raw_data())),
        NiftiType::Int8 => widen::<i8>(volume),
        NiftiType::Uint16 => widen::<u16>(volume),
        NiftiType::Int16 => widen::<i16>(volume),
        NiftiType::Uint32 => widen::<u32>(volume),
        NiftiType::Int32 => widen::<i32>(volume),
        NiftiType::Float32 => widen::<f32>(volume),
        NiftiType::Float64 => widen::<f64>(volume),
        other => {
            return Err(unreadable(
                path,
                format!("voxel type {other:?} is not supported"),
            ));
        }
    }
    .map_err(|e| unreadable(path, e.to_string()))?;
    Ok(Volume {
        dims,
        spacing,
        voxels,
    })
}

fn widen<T: DataElement + Into<f64>>(volume: InMemNiftiVolume) -> nifti::Result<Voxels> {
    Ok(Voxels::Values(
        volume
            .into_nifti_typed_data::<T>()?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

impl Voxels {
    /// Class indices: whole numbers in 0..=255, or an error naming `path`.
    pub fn into_classes(self, path: &Path) -> Result<Vec<u8>, DatasetError> {
        match self {
            Voxels::Bytes(bytes) => Ok(bytes),
            Voxels::Values(values) => values
                .into_iter()
                .map(|v| {
                    (v.fract() == 0.0 && (0.0..=255.0).contains(&v))
                        .then_some(v as u8)
                        .ok_or_else(|| {
                            unreadable(path, format!("mask value {v} is not a class index"))
                        })
                })
                .collect(),
        }
    }

    /// Grey levels: bytes as they are, other values scaled by their range.
    pub fn into_gray(self) -> Vec<u8> {
        match self {
            Voxels::Bytes(bytes) => bytes,
            Voxels::Values(values) => scale_to_bytes(&values),
        }
    }
}

/// Values scaled to 0..=255 by their range (a constant image is black).
fn scale_to_bytes(values: &[f64]) -> Vec<u8> {
    let (low, high) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
            (low.min(v), high.max(v))
        });
    let range = high - low;
    values
        .iter()
        .map(|&v| {
            if range > 0.0 {
                ((v - low) / range * 255.0).round().clamp(0.0, 255.0) as u8
            } else {
                0
            }
        })
        .collect()
}

/// NIfTI unit code for millimetres (space) with seconds unset.
const UNITS_MM: u8 = 2;
/// `sform`/`qform` code "aligned to another file's coordinates".
const ALIGNED_ANAT: i16 = 2;

/// Writes an 8-bit volume of `dims` (first fastest, 1 to 3 axes) whose voxels
/// are `data` in file order, with `spacing` mm per axis; the affine is that
/// diagonal scaling (voxel (i, j, k) lies at (i·s₁, j·s₂, k·s₃) mm), in both
/// the sform and the qform. `.gz` names are compressed.
pub fn write_volume(
    path: &Path,
    dims: &[usize],
    data: Vec<u8>,
    spacing: &[f32],
    description: &str,
) -> nifti::Result<()> {
    let mut header = NiftiHeader {
        xyzt_units: UNITS_MM,
        sform_code: ALIGNED_ANAT,
        qform_code: ALIGNED_ANAT,
        ..NiftiHeader::default()
    };
    header.pixdim = [1.0; 8];
    header.srow_x = [0.0; 4];
    header.srow_y = [0.0; 4];
    header.srow_z = [0.0; 4];
    for (axis, &s) in spacing.iter().enumerate().take(3) {
        header.pixdim[axis + 1] = s;
    }
    header.srow_x[0] = header.pixdim[1];
    header.srow_y[1] = header.pixdim[2];
    header.srow_z[2] = header.pixdim[3];
    header.quatern_b = 0.0;
    header.quatern_c = 0.0;
    header.quatern_d = 0.0;
    header.set_description_str(description.chars().take(79).collect::<String>())?;
    use ndarray::ShapeBuilder;
    let array = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(dims).f(), data)
        .map_err(|e| nifti::NiftiError::Io(std::io::Error::other(e.to_string())))?;
    nifti::writer::WriterOptions::new(path)
        .reference_header(&header)
        .write_nifti(&array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_volume_reads_back_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.nii.gz");
        let data: Vec<u8> = (0..24).collect();
        write_volume(&path, &[4, 3, 2], data.clone(), &[0.5, 0.25, 1.0], "test").unwrap();
        let volume = read_volume(&path).unwrap();
        assert_eq!(volume.dims, [4, 3, 2]);
        assert_eq!(volume.spacing, [0.5, 0.25, 1.0]);
        assert_eq!(volume.voxels.into_gray(), data);
    }

    #[test]
    fn classes_must_be_whole_bytes() {
        let path = Path::new("m.nii");
        assert_eq!(
            Voxels::Values(vec![0.0, 3.0]).into_classes(path).unwrap(),
            [0, 3]
        );
        let error = Voxels::Values(vec![0.5])
            .into_classes(path)
            .unwrap_err()
            .to_string();
        assert!(error.contains("m.nii") && error.contains("0.5"), "{error}");
        assert_eq!(Voxels::Values(vec![2.0, 4.0]).into_gray(), [0, 255]);
    }
}
