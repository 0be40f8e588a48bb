#!/usr/bin/env python3
"""Train SKAB's 1-D convolutional autoencoder (Conv-AE) and export it to ONNX (numpy, autograd, onnx).

The architecture is SKAB's Conv-AE baseline on 60-step windows of the eight rig sensors:

    Conv1D(32, k7, stride 2, ReLU) -> Dropout(0.2) -> Conv1D(16, k7, stride 2, ReLU)
    -> ConvTranspose1D(16, k7, stride 2, ReLU) -> Dropout(0.2)
    -> ConvTranspose1D(32, k7, stride 2, ReLU) -> Conv1D(F, k7)

trained with Adam (lr 1e-3) on the mean squared reconstruction error, early stopping after 5
epochs without improvement on a held-out 10 % (SKAB's settings, except batches of 128 windows
instead of 32: autograd's per-operation cost makes small batches slow on a 2-core machine). The graph (opset 17:
Sub, Mul, Transpose, Conv, Relu, ConvTranspose, Abs, ReduceMean) normalises the raw window with
the stored `mean` and `inv_scale`, reconstructs it, and returns each feature's window-mean absolute
reconstruction error (SKAB's residual); the score is their sum over `errorRef`:

    inputs   x        float32 [N, W, F]   raw values, oldest step first
    outputs  contrib  float32 [N, F]

How it is used differs from SKAB in one way, and it is chosen before looking at any test file:
SKAB trains a new network on the first 400 rows of every file. The detector cannot train at the
edge, so the network is trained once, here, and each device refits only the normalisation and
the error reference on its own first rows (`baselineSteps`, 400 as in SKAB's protocol;
components/anomaly-detector/src/fit.rs). The training data imitates that: the training files are
cut into 400-row chunks, each normalised with its own mean and scale, and the network learns to
reconstruct the windows of every chunk. The calibration is SKAB's: `errorRef` is the 0.99
quantile of the baseline windows' errors and the threshold is 1.5 (SKAB's "3/2 UCL").

Reproducible: fixed seed, float64; the same command gives the same bytes on the same numpy.
SageMaker script mode: `--train` defaults to $SM_CHANNEL_TRAIN and `--model-dir` to $SM_MODEL_DIR.
Every CSV under the train folder (recursively) is read as by train_pca_t2q.py (rows labelled
anomalous are left out).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import autograd.numpy as anp
import numpy as np
import onnx
from autograd import grad
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
from train_pca_t2q import SKAB_FEATURES, read_rows  # noqa: E402

KERNEL = 7
BATCH = 128
PAD = KERNEL // 2


def scaling(rows: np.ndarray, scale_floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale as the detector's refit computes them (src/fit.rs::fit_scaling)."""
    mean = rows.mean(0)
    scale = np.sqrt(rows.std(0) ** 2 + (scale_floor * np.abs(mean)) ** 2)
    scale[scale == 0] = 1.0
    return mean, scale


def chunk_windows(x: np.ndarray, chunk: int, window: int, scale_floor: float) -> np.ndarray:
    """Windows [M, F, W] of every `chunk`-row piece of x, each piece normalised with its own
    mean and scale."""
    out = []
    for start in range(0, max(len(x) - chunk, 0) + 1, chunk):
        part = x[start : start + chunk]
        mean, scale = scaling(part, scale_floor)
        z = (part - mean) / scale
        out.extend(z[i : i + window].T for i in range(len(z) - window + 1))
    return np.asarray(out)


# ---- the network, in autograd numpy (channels first: [N, C, L]) ----


def pad(x, left, right):
    n, c, _ = x.shape
    return anp.concatenate([anp.zeros((n, c, left)), x, anp.zeros((n, c, right))], axis=2)


def conv(x, w, b, stride):
    """ONNX Conv, pads (PAD, PAD): w [O, C, K]."""
    xp = pad(x, PAD, PAD)
    return _taps(xp, w, b, stride, (xp.shape[2] - KERNEL) // stride + 1)


def conv_transpose(x, w, b, stride):
    """ONNX ConvTranspose, pads (PAD, PAD), output_padding stride-1: w [C, O, K]; output length
    stride x input length. Zero-insert, pad, then a stride-1 convolution with the flipped kernel."""
    n, c, length = x.shape
    up = np.zeros((length, (length - 1) * stride + 1))
    up[np.arange(length), np.arange(length) * stride] = 1.0
    xu = anp.dot(x, up)
    xp = pad(xu, KERNEL - 1 - PAD, KERNEL - 1 - PAD + stride - 1)
    flipped = anp.transpose(w[:, :, ::-1], (1, 0, 2))
    return _taps(xp, flipped, b, 1, xp.shape[2] - KERNEL + 1)


def _taps(xp, w, b, stride, out_len):
    """sum over the kernel taps k of w[:, :, k] @ xp shifted by k: [N, O, out_len]. Plain
    slices and matmuls, whose gradients are cheap (a gather's is not)."""
    y = b[None, :, None]
    for k in range(KERNEL):
        y = y + anp.matmul(w[:, :, k], xp[:, :, k : k + stride * (out_len - 1) + 1 : stride])
    return y


def relu(x):
    return anp.maximum(x, 0.0)


def forward(p, z, drop=None):
    h = relu(conv(z, p["w1"], p["b1"], 2))
    if drop is not None:
        h = h * drop[0]
    h = relu(conv(h, p["w2"], p["b2"], 2))
    h = relu(conv_transpose(h, p["w3"], p["b3"], 2))
    if drop is not None:
        h = h * drop[1]
    h = relu(conv_transpose(h, p["w4"], p["b4"], 2))
    return conv(h, p["w5"], p["b5"], 1)


def init(features: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    def glorot(shape, fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)

    k = KERNEL
    return {
        "w1": glorot((32, features, k), features * k, 32 * k), "b1": np.zeros(32),
        "w2": glorot((16, 32, k), 32 * k, 16 * k), "b2": np.zeros(16),
        "w3": glorot((16, 16, k), 16 * k, 16 * k), "b3": np.zeros(16),
        "w4": glorot((16, 32, k), 16 * k, 32 * k), "b4": np.zeros(32),
        "w5": glorot((features, 32, k), 32 * k, features * k), "b5": np.zeros(features),
    }


def train(windows: np.ndarray, seed: int, max_epochs: int, log) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(windows))
    n_val = len(windows) // 10
    val, fit = windows[order[:n_val]], windows[order[n_val:]]
    p = init(windows.shape[1], rng)

    def loss(params, z, drop):
        return anp.mean((forward(params, z, drop) - z) ** 2)

    g = grad(loss)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-7, 0
    best, best_p, waited, history = np.inf, p, 0, []
    for epoch in range(max_epochs):
        t0 = time.time()
        for start in range(0, len(fit), BATCH):
            batch = fit[start : start + BATCH]
            keep = 0.8
            drop = (
                (rng.random((len(batch), 32, 30)) < keep) / keep,
                (rng.random((len(batch), 16, 30)) < keep) / keep,
            )
            grads = g(p, batch, drop)
            step += 1
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
                mh, vh = m[k] / (1 - b1**step), v[k] / (1 - b2**step)
                p[k] = p[k] - lr * mh / (np.sqrt(vh) + eps)
        fit = fit[rng.permutation(len(fit))]
        val_loss = float(np.mean((forward(p, val) - val) ** 2))
        history.append(val_loss)
        log(f"epoch {epoch + 1}: validation mse {val_loss:.5f} ({time.time() - t0:.1f} s)")
        if val_loss < best - 1e-6:
            best, best_p, waited = val_loss, {k: x.copy() for k, x in p.items()}, 0
        else:
            waited += 1
            if waited >= 5:
                break
    return best_p, {"epochs": len(history), "validationMse": best, "windows": len(fit), "validationWindows": n_val}


def graph(p, mean, scale, features: int, window: int, name: str) -> onnx.ModelProto:
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    inits = [
        numpy_helper.from_array(f32(mean), "mean"),
        numpy_helper.from_array(f32(1.0 / scale), "inv_scale"),
    ] + [numpy_helper.from_array(f32(v), k) for k, v in sorted(p.items())]
    n = helper.make_node
    conv_attrs = {"kernel_shape": [KERNEL], "pads": [PAD, PAD]}
    up_attrs = {**conv_attrs, "strides": [2], "output_padding": [1]}
    nodes = [
        n("Sub", ["x", "mean"], ["centred"]),
        n("Mul", ["centred", "inv_scale"], ["z"]),
        n("Transpose", ["z"], ["z_t"], perm=[0, 2, 1]),
        n("Conv", ["z_t", "w1", "b1"], ["c1"], strides=[2], **conv_attrs),
        n("Relu", ["c1"], ["h1"]),
        n("Conv", ["h1", "w2", "b2"], ["c2"], strides=[2], **conv_attrs),
        n("Relu", ["c2"], ["h2"]),
        n("ConvTranspose", ["h2", "w3", "b3"], ["c3"], **up_attrs),
        n("Relu", ["c3"], ["h3"]),
        n("ConvTranspose", ["h3", "w4", "b4"], ["c4"], **up_attrs),
        n("Relu", ["c4"], ["h4"]),
        n("Conv", ["h4", "w5", "b5"], ["recon"], strides=[1], **conv_attrs),
        n("Sub", ["recon", "z_t"], ["diff"]),
        n("Abs", ["diff"], ["abs_err"]),
        n("ReduceMean", ["abs_err"], ["contrib"], axes=[2], keepdims=0),
    ]
    return export.model(nodes, inits, name, window, features, features)


def window_errors(p, x: np.ndarray, mean, scale, window: int) -> np.ndarray:
    """Sum over features of the window-mean absolute error, every full window of x (numpy
    reference of the graph)."""
    z = (x - mean) / scale
    w = np.asarray([z[i : i + window].T for i in range(len(z) - window + 1)])
    return np.abs(forward(p, w) - w).mean(2).sum(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"), help="folder of CSVs ($SM_CHANNEL_TRAIN)")
    ap.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"), help="output folder ($SM_MODEL_DIR)")
    ap.add_argument("--features", default=",".join(SKAB_FEATURES), help="comma-separated column names")
    ap.add_argument("--window", type=int, default=60, help="steps per window (a multiple of 4)")
    ap.add_argument("--step-ms", type=int, default=1000, help="sampling period the windows assume")
    ap.add_argument("--baseline-rows", type=int, default=400, help="rows each chunk (and each device's baseline) holds")
    ap.add_argument("--scale-floor", type=float, default=0.0, help="scale >= this x |mean| (0: plain standardisation, as SKAB)")
    ap.add_argument("--ref-quantile", type=float, default=0.99, help="errorRef = this quantile of the baseline windows' errors")
    ap.add_argument("--threshold", type=float, default=1.5, help="anomaly when error / errorRef exceeds this")
    ap.add_argument("--max-epochs", type=int, default=25, help="upper bound on epochs (SKAB: 100, with the same early stopping)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--name", default="conv-ae")
    ap.add_argument("--version", default="1.0.0")
    a = ap.parse_args()
    if not a.train or not a.model_dir:
        ap.error("--train and --model-dir (or SM_CHANNEL_TRAIN and SM_MODEL_DIR) are required")
    if a.window % 4:
        ap.error("--window must be a multiple of 4 (two stride-2 stages)")
    features = [c for c in a.features.split(",") if c]
    files = sorted(glob.glob(os.path.join(a.train, "**", "*.csv"), recursive=True))
    if not files:
        raise SystemExit(f"no CSV files under {a.train}")
    parts = [read_rows(f, features, None) for f in files]
    windows = np.concatenate(
        [chunk_windows(x, a.baseline_rows, a.window, a.scale_floor) for x in parts if len(x) >= a.baseline_rows]
    )
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    log(f"{len(windows)} training windows from {len(files)} files")
    params, stats = train(windows, a.seed, a.max_epochs, log)
    # The shipped normalisation and reference: the first baseline of the first file (the
    # detector refits both on each device's own baseline).
    first = parts[0][: a.baseline_rows]
    mean, scale = scaling(first, a.scale_floor)
    error_ref = float(np.quantile(window_errors(params, first, mean, scale, a.window), a.ref_quantile))
    model = graph(params, mean, scale, len(features), a.window, a.name)
    manifest = {
        "name": a.name,
        "version": a.version,
        "kind": "convAe",
        "features": features,
        "windowSteps": a.window,
        "stepMs": a.step_ms,
        "threshold": a.threshold,
        "errorRef": error_ref,
        "fit": {"scaleFloor": a.scale_floor, "refQuantile": a.ref_quantile},
        "onnxSha256": None,  # filled by export.save
        "trainedOn": {"files": len(files), "rows": int(sum(len(x) for x in parts)), **stats, "seed": a.seed},
    }
    export.save(model, manifest, a.model_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
