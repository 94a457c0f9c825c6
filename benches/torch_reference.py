#!/usr/bin/env python3
"""PyTorch reference for `echolabel bench infer|train`: the same MCD U-Net,
the same MC-dropout inference and the same training step, timed the same way,
so the burn figures can be read next to what PyTorch does on the same machine.

What it mirrors (src/model/{config,layers,unet,mc,loss}.rs, src/cli/bench_model.rs):

- The MCD U-Net of `ModelConfig::camus(size, filters)`: depth 5, filters
  base·2^level (16/32/64/128/256 for base 16), 1 input channel, 4 output
  logits (background, LV endocardium, myocardium, left atrium).
  Each level is a DoubleConv, [3×3 conv (padding 1, no bias) → BatchNorm2d
  → ReLU] ×2; 2×2 max-pool between encoder levels; decoder levels 3, 2, 1, 0
  are ConvTranspose2d(f[l+1] → f[l], kernel 2, stride 2, bias) → cat([skip,
  up], 1) → DoubleConv(2f[l] → f[l]); a 1×1 conv head f[0] → 4 with bias.
- MC dropout (p = 0.5) that is on whenever asked, at inference too:
  x · bernoulli(1 − p) / (1 − p), not nn.Dropout's train/eval switch. It
  follows the conv blocks of the two deepest encoder levels (3 and 4; the
  level-3 output is dropped before it serves as skip and before pooling) and
  the first decoder block.
- The split of `McdUNet::shared` / `McdUNet::sample`: levels 0..2 (with their
  skips) and the level-3 conv block before its dropout are deterministic.
  "shared" mode computes them once per frame and repeats them T times along
  the batch (sample-major: sample t of frame b at t·frames + b); "naive" mode
  runs the whole net on the input repeated T times.
- The device reductions of `mc::reduce` over the softmax p_t of the T passes,
  per pixel: mean p̄; entropy H(p̄) = −Σ_c p̄_c ln max(p̄_c, 1e-7); variance =
  mean over classes of the population variance over t; BALD = H(p̄) −
  mean_t H(p_t). `predict` adds one deterministic pass (dropout off) whose
  entropy is the single-pass score.
- `bench infer`: batch norm on running statistics (burn's inference device;
  here model.eval() under torch.no_grad()), random uniform frames, the T
  passes + softmax + reductions, reading the entropy map back to the host;
  median of --runs after two warm-ups, ms/frame and frame·samples/s.
- `bench train`: one Adam step (lr 1e-4, eps 1e-8, betas 0.9/0.999) on the
  full net with dropout on and batch norm on batch statistics (model.train()),
  loss = cross-entropy (mean over pixels of −Σ_c y_c log softmax) + soft Dice
  over the foreground classes, 1 − mean_c (2Σpy + 1)/(Σp + Σy + 1) summed over
  batch and space; random uniform images, labels (i + b) % 4 with i the pixel
  index; median of --runs after two warm-ups, s/step and images/s.

Weights use PyTorch's default initialisation (the same Kaiming-uniform bound
1/sqrt(fan_in) as burn's for the convolutions); timing does not depend on it.

Run it next to the Rust bench, with the same arguments:

    echolabel bench infer --size 256 --filters 16 --samples 20 --frames 1 --runs 5
    python3 benches/torch_reference.py infer --size 256 --filters 16 --samples 20 --frames 1 --runs 5

    echolabel bench train --size 256 --filters 16 --batch 8 --runs 5
    python3 benches/torch_reference.py train --size 256 --filters 16 --batch 8 --runs 5

Extra options: --device cpu|cuda (default cpu), --threads N (torch.set_num_threads,
default all cores this process may use), --seed. `check` runs the self-checks
(shared and naive modes agree with dropout off, the reductions match plain
loops, dropout statistics, losses): `python3 benches/torch_reference.py check`.
`infer` also asserts, before timing, that both modes agree with dropout off.

Needs only torch and numpy (`pip install torch`, the CPU wheels are enough).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CLASSES = ["background", "LV endocardium", "Myocardium", "Left atrium"]
LOG_FLOOR = 1e-7
DICE_SMOOTHING = 1.0


# --- the network (src/model/config.rs, layers.rs, unet.rs) ------------------


class ModelConfig:
    """`ModelConfig::camus(input_size, base_filters)`."""

    def __init__(self, input_size: int, base_filters: int = 16, classes: int = 4, depth: int = 5,
                 dropout: float = 0.5, dropout_levels: int = 2):
        self.input_size = input_size
        self.base_filters = base_filters
        self.classes = classes
        self.depth = depth
        self.dropout = dropout
        self.dropout_levels = dropout_levels

    def filters(self) -> list[int]:
        return [self.base_filters << level for level in range(self.depth)]

    def first_dropout_level(self) -> int:
        return max(self.depth - min(self.dropout_levels, self.depth), 0)

    def validate(self) -> None:
        stride = 1 << max(self.depth - 1, 0)
        if not 2 <= self.depth <= 7:
            raise SystemExit(f"depth {self.depth} is outside 2..=7")
        if self.input_size == 0 or self.input_size % stride != 0:
            raise SystemExit(f"input size {self.input_size} is not a multiple of {stride}")
        if not 0.0 <= self.dropout < 1.0:
            raise SystemExit(f"dropout {self.dropout} is outside 0..1")
        if self.base_filters == 0:
            raise SystemExit("base filters must be at least 1")


def mc_dropout(x: torch.Tensor, probability: float, active: bool) -> torch.Tensor:
    """Dropout applied whenever `active`, in training and at inference alike."""
    if not active or probability <= 0.0:
        return x
    keep = 1.0 - probability
    mask = torch.empty_like(x).bernoulli_(keep)
    return x * mask / keep


class DoubleConv(nn.Module):
    """Two 3×3 convolutions (no bias), each followed by batch norm and ReLU."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(cout)  # eps 1e-5, momentum 0.1, as burn's
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(x)))


class SharedFeatures:
    """The deterministic part of a pass: skips above the first dropout level and
    that level's conv output before dropout."""

    def __init__(self, skips: list[torch.Tensor], deep: torch.Tensor):
        self.skips = skips
        self.deep = deep

    def repeat(self, times: int) -> "SharedFeatures":
        """Repeated along the batch, sample-major (sample t of image b at t·batch + b)."""
        return SharedFeatures([s.repeat(times, 1, 1, 1) for s in self.skips], self.deep.repeat(times, 1, 1, 1))


class McdUNet(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        f = config.filters()
        self.encoder = nn.ModuleList(
            DoubleConv(1 if level == 0 else f[level - 1], f[level]) for level in range(config.depth))
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(f[level + 1], f[level], 2, stride=2) for level in reversed(range(config.depth - 1)))
        self.decoder = nn.ModuleList(
            DoubleConv(2 * f[level], f[level]) for level in reversed(range(config.depth - 1)))
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Conv2d(f[0], config.classes, 1)
        self.dropout = config.dropout
        self.first_dropout_level = config.first_dropout_level()
        self.decoder_dropout_blocks = max(config.dropout_levels - 1, 0)

    def forward(self, x: torch.Tensor, dropout: bool = True) -> torch.Tensor:
        """Class logits [batch, classes, s, s] of x [batch, 1, s, s]."""
        return self.sample(self.shared(x), dropout)

    def shared(self, x: torch.Tensor) -> SharedFeatures:
        skips = []
        for level in range(self.first_dropout_level):
            features = self.encoder[level](x)
            x = self.pool(features)
            skips.append(features)
        return SharedFeatures(skips, self.encoder[self.first_dropout_level](x))

    def sample(self, shared: SharedFeatures, dropout: bool) -> torch.Tensor:
        bottom = len(self.encoder) - 1
        skips = list(shared.skips)
        x = mc_dropout(shared.deep, self.dropout, dropout)
        for level in range(self.first_dropout_level + 1, bottom + 1):
            skips.append(x)
            x = mc_dropout(self.encoder[level](self.pool(x)), self.dropout, dropout)
        for block, (up, decode) in enumerate(zip(self.upsample, self.decoder)):
            x = decode(torch.cat([skips.pop(), up(x)], dim=1))
            x = mc_dropout(x, self.dropout, dropout and block < self.decoder_dropout_blocks)
        return self.head(x)


# --- MC inference (src/model/mc.rs) -----------------------------------------


def mc_probabilities(model: McdUNet, x: torch.Tensor, samples: int, mode: str, dropout: bool = True) -> torch.Tensor:
    """Softmax of T passes over x [batch, 1, s, s], as [T, batch, classes, s, s]."""
    batch, _, height, width = x.shape
    if mode == "shared":
        logits = model.sample(model.shared(x).repeat(samples), dropout)
    elif mode == "naive":
        logits = model(x.repeat(samples, 1, 1, 1), dropout)
    else:
        raise ValueError(mode)
    return torch.softmax(logits, dim=1).reshape(samples, batch, logits.shape[1], height, width)


def pixel_entropy(probabilities: torch.Tensor, dim: int) -> torch.Tensor:
    """−Σ_c p_c ln max(p_c, 1e-7) over `dim` (kept)."""
    return -(probabilities * probabilities.clamp_min(LOG_FLOOR).log()).sum(dim=dim, keepdim=True)


def reduce(probabilities: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean [batch, classes, s, s] and entropy, variance, BALD maps [batch, s, s]."""
    _, batch, classes, height, width = probabilities.shape
    mean = probabilities.mean(dim=0, keepdim=True)
    variance = probabilities.var(dim=0, unbiased=False, keepdim=True).mean(dim=2, keepdim=True)
    entropy = pixel_entropy(mean, 2)
    expected_entropy = pixel_entropy(probabilities, 2).mean(dim=0, keepdim=True)
    bald = entropy - expected_entropy
    return {
        "mean": mean.reshape(batch, classes, height, width),
        "entropy": entropy.reshape(batch, height, width),
        "variance": variance.reshape(batch, height, width),
        "bald": bald.reshape(batch, height, width),
    }


def predict(model: McdUNet, x: torch.Tensor, samples: int, mode: str) -> dict[str, torch.Tensor]:
    """`mc::predict` without the host-side scoring: the maps of T passes plus the
    entropy of one deterministic pass (dropout off)."""
    single = torch.softmax(model(x, False), dim=1)
    maps = reduce(mc_probabilities(model, x, max(samples, 1), mode))
    maps["single_pass_entropy"] = pixel_entropy(single, 1).squeeze(1)
    maps["mask"] = maps["mean"].argmax(dim=1)
    return maps


# --- losses (src/model/loss.rs) ---------------------------------------------


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of −Σ_c y_c log softmax(z)_c."""
    return -(torch.log_softmax(logits, dim=1) * targets).sum(dim=1).mean()


def dice_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """1 − mean over foreground classes of (2|P∩Y| + 1) / (|P| + |Y| + 1), summed over batch and space."""
    probabilities = torch.softmax(logits, dim=1)[:, 1:]
    targets = targets[:, 1:]
    intersection = (probabilities * targets).sum(dim=(0, 2, 3))
    total = probabilities.sum(dim=(0, 2, 3)) + targets.sum(dim=(0, 2, 3))
    dice = (intersection * 2.0 + DICE_SMOOTHING) / (total + DICE_SMOOTHING)
    return 1.0 - dice.mean()


def loss_ce_dice(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return cross_entropy(logits, targets) + dice_loss(logits, targets)


def one_hot(labels: np.ndarray, classes: int, device: torch.device) -> torch.Tensor:
    """[batch, classes, s, s] float targets from class indices [batch, s, s]."""
    indices = torch.from_numpy(np.minimum(labels, classes - 1).astype(np.int64)).to(device)
    return F.one_hot(indices, classes).permute(0, 3, 1, 2).contiguous().float()


# --- timing and set-up -------------------------------------------------------


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_median(device: torch.device, runs: int, work) -> float:
    """Median seconds of `runs` calls of `work` after two warm-ups, synchronising the device."""

    def once() -> float:
        started = time.perf_counter()
        work()
        synchronize(device)
        return time.perf_counter() - started

    once()
    once()
    times = sorted(once() for _ in range(max(runs, 1)))
    return times[len(times) // 2]


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def setup(args) -> torch.device:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(max(args.threads or usable or 1, 1))
    torch.manual_seed(args.seed)
    if args.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device")
        device = torch.device("cuda")
        description = f"cuda ({torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda})"
    else:
        device = torch.device("cpu")
        description = f"cpu ({cpu_name()}, {os.cpu_count()} logical cores)"
    print(f"torch: {torch.__version__} (numpy {np.__version__}, Python {platform.python_version()})")
    print(f"threads: {torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} inter-op")
    print(f"device: {description}")
    return device


def build(args, device: torch.device) -> tuple[McdUNet, ModelConfig]:
    config = ModelConfig(args.size, args.filters)
    config.validate()
    return McdUNet(config).to(device), config


# --- subcommands ------------------------------------------------------------


def infer(args) -> int:
    device = setup(args)
    model, _ = build(args, device)
    model.eval()  # batch norm on running statistics, as on burn's inference device
    frames, samples = args.frames, args.samples
    with torch.no_grad():
        x = torch.rand(frames, 1, args.size, args.size, device=device)
        if not args.no_check:
            check_modes_agree(model, x, min(samples, 2))
        print(f"MC inference, {frames} frame(s) per batch, T = {samples}, "
              f"{args.size}×{args.size}, {args.filters} base filters")
        print(f"{'mode':<34} {'ms / frame':>12} {'frame·samples / s':>18}")
        for name, mode in [("naive (T full passes)", "naive"), ("shared deterministic part", "shared")]:
            def work(mode=mode):
                maps = reduce(mc_probabilities(model, x, samples, mode))
                maps["entropy"].cpu().numpy()

            seconds = time_median(device, args.runs, work)
            print(f"{name:<34} {seconds * 1000.0 / frames:>12.1f} {frames * samples / seconds:>18.1f}")
    return 0


def train(args) -> int:
    device = setup(args)
    model, config = build(args, device)
    model.train()  # batch norm on batch statistics, as on burn's autodiff device
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    batch, size = args.batch, args.size
    x = torch.rand(batch, 1, size, size, device=device)
    pixels = np.arange(size * size)
    labels = ((pixels[None, :] + np.arange(batch)[:, None]) % 4).reshape(batch, size, size)
    y = one_hot(labels, config.classes, device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        value = loss_ce_dice(model(x, True), y)
        value.backward()
        optimizer.step()

    seconds = time_median(device, args.runs, step)
    print(f"Adam step, batch {batch}, BCE + Dice, {size}×{size}, {args.filters} base filters")
    print(f"{'s / step':>12} {'images / s':>12}")
    print(f"{seconds:>12.3f} {batch / seconds:>12.1f}")
    return 0


# --- self-checks --------------------------------------------------------------


def close(got: torch.Tensor, want, what: str, tolerance: float) -> None:
    want = torch.as_tensor(want, dtype=got.dtype, device=got.device)
    worst = (got - want).abs().max().item()
    assert worst < tolerance, f"{what}: worst difference {worst} (tolerance {tolerance})"


def check_modes_agree(model: McdUNet, x: torch.Tensor, samples: int) -> None:
    """With dropout off, shared and naive sampling, and the split pass, equal a full pass."""
    single = model(x, False)
    close(model.sample(model.shared(x), False), single, "sample(shared(x)) vs forward(x)", 1e-4)
    naive = mc_probabilities(model, x, samples, "naive", dropout=False)
    shared = mc_probabilities(model, x, samples, "shared", dropout=False)
    close(shared, naive, "shared vs naive probabilities, dropout off", 1e-5)
    close(shared, torch.softmax(single, 1).expand_as(shared), "shared vs single pass, dropout off", 1e-5)


def reference_maps(probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """`uncertainty::reference_maps`: the same formulas pixel by pixel, in float64 loops."""
    t_count, batch, classes, height, width = probabilities.shape
    out = {k: np.zeros((batch, height, width)) for k in ("entropy", "variance", "bald")}
    out["mean"] = np.zeros((batch, classes, height, width))

    def entropy(p):
        return -sum(v * np.log(max(v, LOG_FLOOR)) for v in p)

    for b in range(batch):
        for i in range(height):
            for j in range(width):
                per_pass = [[float(probabilities[t, b, c, i, j]) for c in range(classes)] for t in range(t_count)]
                mean = [sum(p[c] for p in per_pass) / t_count for c in range(classes)]
                out["mean"][b, :, i, j] = mean
                out["entropy"][b, i, j] = entropy(mean)
                out["variance"][b, i, j] = sum(
                    sum((p[c] - mean[c]) ** 2 for p in per_pass) / t_count for c in range(classes)) / classes
                out["bald"][b, i, j] = entropy(mean) - sum(entropy(p) for p in per_pass) / t_count
    return out


def check(args) -> int:
    device = setup(args)
    size, base = args.size, args.filters
    config = ModelConfig(size, base)
    config.validate()
    assert ModelConfig(256, 16).filters() == [16, 32, 64, 128, 256]
    assert ModelConfig(256, 16).first_dropout_level() == 3
    model = McdUNet(config).to(device)
    # Non-trivial running statistics so eval-mode batch norm is not the identity.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.8, 1.2)
                module.bias.uniform_(-0.1, 0.1)
    model.eval()
    with torch.no_grad():
        x = torch.rand(2, 1, size, size, device=device)
        assert tuple(model(x, True).shape) == (2, 4, size, size)
        shared = model.shared(x)
        assert [s.shape[1] for s in shared.skips] == config.filters()[:3] and shared.deep.shape[1] == config.filters()[3]
        print("ok: shapes (logits [2, 4, s, s]; skips of levels 0..2, deep block of level 3)")

        ones = torch.ones(100, 100, device=device)
        kept = mc_dropout(ones, 0.5, True)
        zeros = int((kept == 0).sum())
        assert 4000 <= zeros <= 6000, f"{zeros} of 10000 dropped"
        assert bool(((kept == 0) | ((kept - 2.0).abs() < 1e-6)).all())
        assert bool((mc_dropout(ones, 0.5, False) == 1).all())
        print(f"ok: MC dropout drops {zeros} of 10000 and rescales the rest by 2; inactive, it is the identity")

        check_modes_agree(model, x, 3)
        print("ok: dropout off, shared and naive modes and the single pass agree (same weights)")

        # Batch norm on batch statistics (a copy in training mode) keeps the
        # deep activations at unit scale, so dropout visibly moves the logits.
        normalised = copy.deepcopy(model).train()
        a, b = normalised(x, True), normalised(x, True)
        difference = (a - b).abs().mean().item()
        assert difference > 1e-3, f"MC passes differ by {difference} on average"
        assert torch.equal(model(x, False), model(x, False))
        print(f"ok: dropout on, passes differ (mean |Δlogit| {difference:.3g}); off, they repeat exactly")

        # The reductions against float64 loops, on probabilities of sharply
        # differing passes (T = 5, 2 frames, 3×5 pixels).
        probabilities = torch.softmax(3.0 * torch.randn(5, 2, 4, 3, 5, device=device), dim=2)
        maps = reduce(probabilities)
        expected = reference_maps(probabilities.double().cpu().numpy())
        for key in ("mean", "entropy", "variance", "bald"):
            close(maps[key].double(), expected[key], key, 2e-5)
        assert float(expected["variance"].max()) > 1e-3, "the passes differ, so the check is not trivial"
        assert bool((maps["bald"] <= maps["entropy"] + 1e-5).all()) and bool((maps["bald"] >= -1e-5).all())
        print("ok: entropy, variance, BALD and mean match the plain per-pixel formulas")

        result = predict(model, x, 4, "shared")
        close(result["single_pass_entropy"],
              pixel_entropy(torch.softmax(model(x, False), 1), 1).squeeze(1), "single-pass entropy", 1e-6)
        deterministic = reduce(torch.softmax(model(x, False), 1).unsqueeze(0))
        assert float(deterministic["variance"].abs().max()) == 0.0 and float(deterministic["bald"].abs().max()) < 1e-6
        print("ok: predict adds the single-pass entropy; one pass has zero variance and BALD")

    logits = torch.randn(2, 4, 8, 8, device=device)
    labels = np.random.default_rng(0).integers(0, 4, size=(2, 8, 8))
    y = one_hot(labels, 4, device)
    p = torch.softmax(logits, 1).double().cpu().numpy()
    t = y.double().cpu().numpy()
    want_ce = -np.mean(np.log(np.take_along_axis(p, labels[:, None], axis=1)))
    want_dice = 1.0 - np.mean([(2 * (p[:, c] * t[:, c]).sum() + 1) / (p[:, c].sum() + t[:, c].sum() + 1)
                               for c in range(1, 4)])
    close(cross_entropy(logits, y).double(), want_ce, "cross-entropy", 1e-5)
    close(dice_loss(logits, y).double(), want_dice, "Dice", 1e-5)
    perfect = dice_loss(y * 50.0, y).item()
    assert perfect < 1e-3, f"Dice of a perfect prediction is {perfect}"
    print("ok: cross-entropy and Dice match numpy; a perfect prediction has Dice loss ≈ 0")

    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    fixed = torch.rand(2, 1, size, size, device=device)
    target = one_hot((np.indices((size, size)).sum(0)[None].repeat(2, 0) // (size // 2)) % 4, 4, device)
    losses = []
    for _ in range(15):
        optimizer.zero_grad(set_to_none=True)
        value = loss_ce_dice(model(fixed, True), target)
        value.backward()
        optimizer.step()
        losses.append(value.item())
    assert losses[-1] < losses[0], f"loss went from {losses[0]:.4f} to {losses[-1]:.4f}"
    print(f"ok: 15 Adam steps take the loss from {losses[0]:.4f} to {losses[-1]:.4f}")
    print("all checks passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub, size: int, filters: int):
        sub.add_argument("--size", type=int, default=size, help="side of the square input (multiple of 16)")
        sub.add_argument("--filters", type=int, default=filters, help="base filters (doubled per level)")
        sub.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
        sub.add_argument("--runs", type=int, default=5, help="timed repetitions after two warm-ups; the median is printed")
        sub.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: all usable cores)")
        sub.add_argument("--seed", type=int, default=0)

    sub = commands.add_parser("infer", help="MC-dropout inference: ms/frame and frame·samples/s, naive vs shared")
    common(sub, 256, 16)
    sub.add_argument("--samples", type=int, default=20, help="MC samples T")
    sub.add_argument("--frames", type=int, default=1, help="frames per batch")
    sub.add_argument("--no-check", action="store_true", help="skip the shared-vs-naive agreement check before timing")
    sub.set_defaults(run=infer)

    sub = commands.add_parser("train", help="training: seconds per Adam step and images/s")
    common(sub, 256, 16)
    sub.add_argument("--batch", type=int, default=8)
    sub.set_defaults(run=train)

    sub = commands.add_parser("check", help="self-checks on a small model (CPU by default)")
    common(sub, 32, 4)
    sub.set_defaults(run=check)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
