#!/usr/bin/env python3
"""onnxruntime peer for the anomaly detector's parity test and benchmark (our script).

  ort_peer.py run   <model.onnx> <input.f32> <n> <w> <f> <out-dir>
      reads n x w x f float32 values (little endian), runs the model on one CPU thread and
      writes each output as <out-dir>/<name>.f32; prints the output names as JSON.
  ort_peer.py bench <model.onnx> <input.f32> <n> <w> <f> <single-iters>
      single-window latency (median and p99 of <single-iters> runs, cycling over the n windows)
      and batch throughput (all n windows per call); prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    t0 = time.perf_counter()
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return s, (time.perf_counter() - t0) * 1e3


def main():
    mode, model, data, n, w, f = sys.argv[1:7]
    n, w, f = int(n), int(w), int(f)
    x = np.fromfile(data, dtype="<f4").reshape(n, w, f)
    s, load_ms = session(model)
    name = s.get_inputs()[0].name
    if mode == "run":
        out_dir = sys.argv[7]
        outs = s.run(None, {name: x})
        names = [o.name for o in s.get_outputs()]
        for o, v in zip(names, outs):
            np.asarray(v, dtype="<f4").tofile(os.path.join(out_dir, f"{o}.f32"))
        print(json.dumps(names))
    elif mode == "bench":
        iters = int(sys.argv[7])
        for i in range(min(iters, 1000)):
            s.run(None, {name: x[i % n : i % n + 1]})
        times = []
        for i in range(iters):
            one = x[i % n : i % n + 1]
            t0 = time.perf_counter_ns()
            s.run(None, {name: one})
            times.append(time.perf_counter_ns() - t0)
        times.sort()
        t0 = time.perf_counter()
        rounds = 0
        while time.perf_counter() - t0 < 1.0:
            s.run(None, {name: x})
            rounds += 1
        batch_rate = rounds * n / (time.perf_counter() - t0)
        print(json.dumps({
            "loadMs": load_ms,
            "singleMedianUs": times[len(times) // 2] / 1e3,
            "singleP99Us": times[int(len(times) * 0.99)] / 1e3,
            "batchWindowsPerSec": batch_rate,
            "onnxruntime": ort.__version__,
        }))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
