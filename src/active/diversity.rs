//! Diversity sampling on encoder embeddings: Greedy K-Center (the core-set
//! approach) and fuzzy C-means on a PCA projection.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

fn distance2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Picks `budget` points, each the farthest from everything labelled or
/// picked so far (a 2-approximation of the k-center cover). With nothing
/// labelled the first pick is the point farthest from the pool's mean.
pub fn greedy_k_center(points: &[Vec<f32>], labelled: &[usize], budget: usize) -> Vec<usize> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut nearest: Vec<f32> = vec![f32::INFINITY; points.len()];
    let update = |nearest: &mut Vec<f32>, centre: &[f32]| {
        for (d, p) in nearest.iter_mut().zip(points) {
            *d = d.min(distance2(p, centre));
        }
    };
    if labelled.is_empty() {
        let dims = points[0].len();
        let mean: Vec<f32> = (0..dims)
            .map(|d| points.iter().map(|p| p[d]).sum::<f32>() / points.len() as f32)
            .collect();
        update(&mut nearest, &mean);
    }
    for &l in labelled {
        update(&mut nearest, &points[l]);
    }
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < budget {
        let Some(best) = (0..points.len())
            .filter(|i| !labelled.contains(i) && !picked.contains(i))
            .max_by(|&a, &b| nearest[a].total_cmp(&nearest[b]))
        else {
            break;
        };
        picked.push(best);
        update(&mut nearest, &points[best]);
    }
    picked
}

/// Projects `points` on their first `components` principal axes (power
/// iteration with deflation on the covariance matrix).
pub fn pca(points: &[Vec<f32>], components: usize) -> Vec<Vec<f32>> {
    let n = points.len();
    if n == 0 {
        return Vec::new();
    }
    let dims = points[0].len();
    let mean: Vec<f32> = (0..dims)
        .map(|d| points.iter().map(|p| p[d]).sum::<f32>() / n as f32)
        .collect();
    let centred: Vec<Vec<f32>> = points
        .iter()
        .map(|p| p.iter().zip(&mean).map(|(x, m)| x - m).collect())
        .collect();
    let mut covariance = vec![vec![0f32; dims]; dims];
    for p in &centred {
        for i in 0..dims {
            for j in 0..dims {
                covariance[i][j] += p[i] * p[j] / n as f32;
            }
        }
    }
    let mut axes: Vec<Vec<f32>> = Vec::new();
    for c in 0..components.min(dims) {
        let mut v: Vec<f32> = (0..dims)
            .map(|d| if d == c { 1.0 } else { 0.5 / (1 + d) as f32 })
            .collect();
        for _ in 0..200 {
            let mut next: Vec<f32> = (0..dims)
                .map(|i| (0..dims).map(|j| covariance[i][j] * v[j]).sum())
                .collect();
            let norm = next.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm <= f32::EPSILON {
                break;
            }
            next.iter_mut().for_each(|x| *x /= norm);
            v = next;
        }
        let eigenvalue: f32 = (0..dims)
            .map(|i| v[i] * (0..dims).map(|j| covariance[i][j] * v[j]).sum::<f32>())
            .sum();
        for i in 0..dims {
            for j in 0..dims {
                covariance[i][j] -= eigenvalue * v[i] * v[j];
            }
        }
        axes.push(v);
    }
    centred
        .iter()
        .map(|p| {
            axes.iter()
                .map(|a| a.iter().zip(p).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect()
}

/// Fuzzy C-means clustering.
#[derive(Debug, Clone)]
pub struct FuzzyClusters {
    pub centres: Vec<Vec<f32>>,
    /// `memberships[i][k]`: how much point i belongs to cluster k (rows sum to 1).
    pub memberships: Vec<Vec<f32>>,
    pub iterations: usize,
    /// The objective Σ u^m d² after each iteration (never increases).
    pub objective: Vec<f32>,
}

impl FuzzyClusters {
    /// The cluster a point belongs to most.
    pub fn hard(&self, point: usize) -> usize {
        let row = &self.memberships[point];
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap_or(0)
    }
}

/// Fuzzy C-means with fuzzifier `m` (2 is usual), from centres drawn among the
/// points with `seed`, until memberships move less than `tolerance`.
pub fn fuzzy_c_means(
    points: &[Vec<f32>],
    clusters: usize,
    m: f32,
    tolerance: f32,
    seed: u64,
) -> FuzzyClusters {
    let n = points.len();
    // Starting centres: distinct points in a seeded order (never more
    // clusters than distinct points, or two centres would coincide forever).
    let mut distinct: Vec<&Vec<f32>> = Vec::new();
    for p in points {
        if !distinct.contains(&p) {
            distinct.push(p);
        }
    }
    distinct.shuffle(&mut StdRng::seed_from_u64(seed));
    let clusters = clusters.clamp(1, distinct.len().max(1));
    let mut centres: Vec<Vec<f32>> = distinct.into_iter().take(clusters).cloned().collect();
    if centres.is_empty() {
        centres.push(Vec::new());
    }
    let exponent = 2.0 / (m - 1.0);
    let mut memberships = vec![vec![0f32; clusters]; n];
    let mut objective = Vec::new();
    let mut iterations = 0;
    for _ in 0..300 {
        iterations += 1;
        let mut change = 0f32;
        for (i, p) in points.iter().enumerate() {
            let distances: Vec<f32> = centres
                .iter()
                .map(|c| distance2(p, c).sqrt().max(1e-9))
                .collect();
            for k in 0..clusters {
                let u = 1.0
                    / distances
                        .iter()
                        .map(|d| (distances[k] / d).powf(exponent))
                        .sum::<f32>();
                change = change.max((u - memberships[i][k]).abs());
                memberships[i][k] = u;
            }
        }
        for (k, centre) in centres.iter_mut().enumerate() {
            let weights: Vec<f32> = memberships.iter().map(|row| row[k].powf(m)).collect();
            let total: f32 = weights.iter().sum();
            if total > 0.0 {
                for (d, value) in centre.iter_mut().enumerate() {
                    *value = points
                        .iter()
                        .zip(&weights)
                        .map(|(p, w)| p[d] * w)
                        .sum::<f32>()
                        / total;
                }
            }
        }
        objective.push(
            points
                .iter()
                .zip(&memberships)
                .map(|(p, row)| {
                    centres
                        .iter()
                        .zip(row)
                        .map(|(c, u)| u.powf(m) * distance2(p, c))
                        .sum::<f32>()
                })
                .sum(),
        );
        if change < tolerance {
            break;
        }
    }
    FuzzyClusters {
        centres,
        memberships,
        iterations,
        objective,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rand::RngExt;

    #[test]
    fn fuzzy_c_means_on_identical_points_ends() {
        let points = vec![vec![1.0, 1.0]; 5];
        let clusters = fuzzy_c_means(&points, 3, 2.0, 1e-4, 1);
        assert_eq!(clusters.centres.len(), 1);
        assert!(
            clusters
                .memberships
                .iter()
                .all(|row| (row[0] - 1.0).abs() < 1e-6)
        );
    }

    fn blob(centre: [f32; 2], n: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                vec![
                    centre[0] + rng.random_range(-0.5f32..0.5),
                    centre[1] + rng.random_range(-0.5f32..0.5),
                ]
            })
            .collect()
    }

    #[test]
    fn k_center_picks_the_far_cluster_first() {
        // Labelled frames all sit in the near cluster; a small far cluster is unexplored.
        let mut points = blob([0.0, 0.0], 30, 1);
        points.extend(blob([20.0, 20.0], 3, 2));
        let labelled = [0, 1, 2];
        let picked = greedy_k_center(&points, &labelled, 2);
        assert!(
            picked[0] >= 30,
            "first pick {picked:?} is in the far cluster"
        );
        assert!(!picked.iter().any(|p| labelled.contains(p)));
        assert_eq!(
            greedy_k_center(&points, &labelled, 100).len(),
            30,
            "never more than the pool"
        );
    }

    #[test]
    fn pca_finds_the_direction_of_spread() {
        let points: Vec<Vec<f32>> = (0..50)
            .map(|i| vec![i as f32, 2.0 * i as f32 + 0.01 * (i % 3) as f32, 1.0])
            .collect();
        let projected = pca(&points, 1);
        let spread = projected
            .iter()
            .map(|p| p[0])
            .fold(0f32, |a, v| a.max(v.abs()));
        // The points lie on a line of length ≈ 49·√5; the first component spans half of it each side.
        assert!((spread - 49.0 * 5f32.sqrt() / 2.0).abs() < 1.0, "{spread}");
    }

    #[test]
    fn fuzzy_c_means_converges_and_separates_clusters() {
        let mut points = blob([0.0, 0.0], 20, 3);
        points.extend(blob([10.0, 0.0], 20, 4));
        points.extend(blob([0.0, 10.0], 20, 5));
        let clusters = fuzzy_c_means(&points, 3, 2.0, 1e-4, 9);
        assert!(
            clusters.iterations < 300,
            "converged in {}",
            clusters.iterations
        );
        assert!(
            clusters.objective.windows(2).all(|w| w[1] <= w[0] * 1.0001),
            "{:?}",
            clusters.objective
        );
        for group in 0..3 {
            let labels: Vec<usize> = (group * 20..group * 20 + 20)
                .map(|i| clusters.hard(i))
                .collect();
            assert!(
                labels.iter().all(|&l| l == labels[0]),
                "one cluster per blob"
            );
        }
        assert!(
            clusters
                .memberships
                .iter()
                .all(|row| (row.iter().sum::<f32>() - 1.0).abs() < 1e-4)
        );
    }
}
