#!/usr/bin/env python3
"""Train the windowed PCA T2+Q anomaly model and export it to ONNX (numpy + onnx only).

The model scores a window of `--window` steps x F features. The graph (opset 17, five plain ops
that tract and onnxruntime both run: Sub, MatMul, MatMul, Mul, ReduceMean) centres each value on
the stored mean, multiplies by the two halves `left`, `right` of one precomputed [F, 4F]
`projection` (scaling, principal axes, T2 weights and the residual projector folded together),
multiplies the two results and returns each feature's window-mean part of Hotelling's T2 and of
the residual Q; t2 and q are their sums:

    inputs   x        float32 [N, W, F]    raw values, oldest step first
    outputs  contrib  float32 [N, 2F]      [t2 part of each feature | q part of each feature]

The fitted parameters are `mean`, `scale`, the principal axes, 1/lambda for the kept axes and which
axes are kept; the graph holds `mean` and the halves of `projection` (see `projection`). The detector can refit
them on a device's own normal data with the same algorithm (components/anomaly-detector/src/fit.rs);
this script is the reference and is what ships.

The score is max(t2 / t2Ref, q / qRef), where the refs are the largest window means seen on the
training data; a window is an anomaly when the score exceeds `--threshold`. All of this goes into
`model.json` next to `model.onnx`, with the detector's baseline-drift settings (`--drift-rate`,
`--drift-gate`: the detector follows a slowly drifting mean from windows scored normal, see
components/anomaly-detector/src/drift.rs).

SageMaker script mode: `--train` defaults to $SM_CHANNEL_TRAIN and `--model-dir` to $SM_MODEL_DIR.
Every CSV under the train folder (recursively) is read: `;`- or `,`-separated, a header row, the
feature columns named by `--features` (default: SKAB's eight sensors); rows whose `anomaly` column
is 1 are left out.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

import export

SKAB_FEATURES = [
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
]


def read_rows(path: str, features: list[str], fit_rows: int | None) -> np.ndarray:
    with open(path, newline="") as f:
        head = f.readline()
        delim = ";" if head.count(";") >= head.count(",") else ","
        f.seek(0)
        reader = csv.DictReader(f, delimiter=delim)
        missing = [c for c in features if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: missing columns {missing}")
        rows = []
        for i, r in enumerate(reader):
            if fit_rows is not None and i >= fit_rows:
                break
            if float(r.get("anomaly") or 0.0) >= 0.5:
                continue
            rows.append([float(r[c]) for c in features])
    return np.asarray(rows, dtype=np.float64)


def fit(x: np.ndarray, scale_floor: float, variance_kept: float) -> dict[str, np.ndarray]:
    """The fit, also implemented in Rust (src/fit.rs): keep the two in step."""
    mean = x.mean(0)
    sd = x.std(0)
    scale = np.sqrt(sd**2 + (scale_floor * np.abs(mean)) ** 2)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    cov = np.cov(z.T, ddof=1)
    lam, vec = np.linalg.eigh(cov)
    order = np.argsort(lam)[::-1]
    lam, vec = np.clip(lam[order], 0.0, None), vec[:, order]
    ratio = np.cumsum(lam) / max(lam.sum(), 1e-30)
    k = min(int(np.searchsorted(ratio, variance_kept, side="right")) + 1, len(lam))
    t2_weight = np.zeros_like(lam)
    t2_weight[:k] = 1.0 / np.maximum(lam[:k], 1e-12)
    keep = np.zeros_like(lam)
    keep[:k] = 1.0
    return {"mean": mean, "scale": scale, "basis": vec, "t2_weight": t2_weight, "keep": keep, "k": k}


def score_windows(x: np.ndarray, p: dict[str, np.ndarray], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Window means of T2 and Q for every full window of x (numpy reference of the graph)."""
    z = (x - p["mean"]) / p["scale"]
    proj = z @ p["basis"]
    t2 = (proj**2 * p["t2_weight"]).sum(1)
    resid = z - (proj * p["keep"]) @ p["basis"].T
    q = (resid**2).sum(1)
    kernel = np.ones(window) / window
    return np.convolve(t2, kernel, "valid"), np.convolve(q, kernel, "valid")


def projection(p: dict[str, np.ndarray]) -> np.ndarray:
    """[F, 4F] = diag(1/scale) [M | P | I | P], M = B diag(t2_weight) B^T, P = I - B diag(keep) B^T.

    With c = x - mean and y = c @ projection, the step's T2 part of feature j is y[j] * y[2F + j]
    (z_j (M z)_j) and its Q part is y[F + j] * y[3F + j] ((P z)_j^2): one MatMul, then a product
    of the two halves. Also implemented in Rust (src/fit.rs): keep the two in step."""
    b = p["basis"]
    f = len(b)
    m = b @ np.diag(p["t2_weight"]) @ b.T
    r = np.eye(f) - b @ np.diag(p["keep"]) @ b.T
    return np.diag(1.0 / p["scale"]) @ np.concatenate([m, r, np.eye(f), r], axis=1)


def graph(p: dict[str, np.ndarray], features: int, window: int, name: str) -> onnx.ModelProto:
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    proj = projection(p)
    inits = [
        numpy_helper.from_array(f32(p["mean"]), "mean"),
        numpy_helper.from_array(f32(proj[:, : 2 * features]), "left"),
        numpy_helper.from_array(f32(proj[:, 2 * features :]), "right"),
    ]
    n = helper.make_node
    # Two MatMuls and a Mul rather than one MatMul, Reshape and ReduceProd: same numbers, but
    # tract 0.23 runs ReduceProd about ten times slower than the whole rest of the graph.
    nodes = [
        n("Sub", ["x", "mean"], ["centred"]),
        n("MatMul", ["centred", "left"], ["a"]),
        n("MatMul", ["centred", "right"], ["b"]),
        n("Mul", ["a", "b"], ["step_contrib"]),
        n("ReduceMean", ["step_contrib"], ["contrib"], axes=[1], keepdims=0),
    ]
    return export.model(nodes, inits, name, window, features, 2 * features)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"), help="folder of CSVs ($SM_CHANNEL_TRAIN)")
    ap.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"), help="output folder ($SM_MODEL_DIR)")
    ap.add_argument("--features", default=",".join(SKAB_FEATURES), help="comma-separated column names")
    ap.add_argument("--fit-rows", type=int, default=None, help="use only the first N rows of each file")
    ap.add_argument("--window", type=int, default=60, help="steps per window")
    ap.add_argument("--step-ms", type=int, default=1000, help="sampling period the windows assume")
    ap.add_argument("--scale-floor", type=float, default=0.02, help="scale >= this x |mean| (sensor precision)")
    ap.add_argument("--variance-kept", type=float, default=0.85, help="share of variance the kept axes explain")
    ap.add_argument("--threshold", type=float, default=2.5, help="anomaly when max(t2/t2Ref, q/qRef) exceeds this")
    ap.add_argument(
        "--drift-rate",
        type=float,
        default=1 / 400,
        help="per-step rate at which the detector's baseline mean follows windows scored normal "
        "(default: 1/400, the memory of SKAB's 400 fit rows; 0: off; see src/drift.rs)",
    )
    ap.add_argument(
        "--drift-gate", type=float, default=None, help="windows scored at most this update the baseline (default: --threshold)"
    )
    ap.add_argument("--name", default="pca-t2q")
    ap.add_argument("--version", default="2.1.0")
    a = ap.parse_args()
    if not a.train or not a.model_dir:
        ap.error("--train and --model-dir (or SM_CHANNEL_TRAIN and SM_MODEL_DIR) are required")
    features = [c for c in a.features.split(",") if c]
    files = sorted(glob.glob(os.path.join(a.train, "**", "*.csv"), recursive=True))
    if not files:
        raise SystemExit(f"no CSV files under {a.train}")
    parts = [read_rows(f, features, a.fit_rows) for f in files]
    x = np.concatenate([p for p in parts if len(p)])
    if len(x) < a.window + len(features):
        raise SystemExit(f"{len(x)} training rows: need at least {a.window + len(features)}")
    params = fit(x, a.scale_floor, a.variance_kept)
    t2_ref, q_ref = (float(s.max()) for s in score_windows(x, params, a.window))
    model = graph(params, len(features), a.window, a.name)
    manifest = {
        "name": a.name,
        "version": a.version,
        "kind": "pcaT2q",
        "features": features,
        "windowSteps": a.window,
        "stepMs": a.step_ms,
        "threshold": a.threshold,
        "t2Ref": t2_ref,
        "qRef": q_ref,
        "fit": {
            "scaleFloor": a.scale_floor,
            "varianceKept": a.variance_kept,
            "axesKept": params["k"],
            "driftRate": a.drift_rate,
            "driftGate": a.threshold if a.drift_gate is None else a.drift_gate,
        },
        "onnxSha256": None,  # filled by export.save
        "trainedOn": {"files": len(files), "rows": int(len(x))},
    }
    export.save(model, manifest, a.model_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
